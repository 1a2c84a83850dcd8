"""The cases API under /api/cases/ (url names "cases-<resource>-<action>")."""

from rest_framework.routers import SimpleRouter

from .views import (
    CaseViewSet,
    HandlingBodyViewSet,
    NotificationViewSet,
    RoutingRuleViewSet,
    SummonsViewSet,
    WhistleViewSet,
)

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="cases-case")
router.register("bodies", HandlingBodyViewSet, basename="cases-body")
router.register("rules", RoutingRuleViewSet, basename="cases-rule")
router.register("whistles", WhistleViewSet, basename="cases-whistle")
router.register("summons", SummonsViewSet, basename="cases-summons")
router.register("notifications", NotificationViewSet, basename="cases-notification")
urlpatterns = router.urls
