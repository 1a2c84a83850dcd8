from rest_framework.routers import SimpleRouter

from .audit_views import ObjectChangeViewSet

router = SimpleRouter()
router.register("changes", ObjectChangeViewSet, basename="audit-change")
urlpatterns = router.urls
