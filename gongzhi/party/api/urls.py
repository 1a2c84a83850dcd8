from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CoverageView, MemberViewSet, OrganisationViewSet, ReportInViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="party-organisation")
router.register("members", MemberViewSet, basename="party-member")
router.register("report-ins", ReportInViewSet, basename="party-report-in")

urlpatterns = [path("coverage/", CoverageView.as_view(), name="party-coverage"), *router.urls]
