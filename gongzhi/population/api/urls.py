from rest_framework.routers import SimpleRouter

from .views import HouseholdViewSet, ResidentViewSet, RevealLogViewSet

router = SimpleRouter()
router.register("households", HouseholdViewSet, basename="population-household")
router.register("residents", ResidentViewSet, basename="population-resident")
router.register("reveals", RevealLogViewSet, basename="population-reveal")
urlpatterns = router.urls
