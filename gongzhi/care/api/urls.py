from rest_framework.routers import SimpleRouter

from .views import CareProfileViewSet

router = SimpleRouter()
router.register("profiles", CareProfileViewSet, basename="care-profile")
urlpatterns = router.urls
