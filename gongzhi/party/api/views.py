"""The party API: organisations, members (with roles and linked households), report-ins, coverage."""

from dataclasses import asdict

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from gongzhi.core.permissions import ScopePermission
from gongzhi.territory.models import Community

from .. import services
from ..coverage import coverage_for, party_scoped
from ..filtersets import PartyMemberFilterSet, PartyOrganisationFilterSet, ReportInFilterSet
from ..models import PartyMember, PartyOrganisation, PartyRole, ReportIn
from . import serializers as s

SAFE = ("GET", "HEAD", "OPTIONS")


class PartyViewSet(viewsets.GenericViewSet):
    """Reads from the `view` scope, writes from the `change` scope (out of scope → 404)."""

    permission_classes = [ScopePermission]
    scope_app = "party"
    model: type = PartyOrganisation

    def action_name(self) -> str:
        return "view" if self.request.method in SAFE else "change"

    def get_queryset(self):
        return self.model.objects.restrict(self.request.user, self.action_name())

    def perform_create(self, serializer):
        """Create, then re-check inside the transaction that the result is in the caller's scope."""
        with transaction.atomic():
            obj = serializer.save()
            if not self.model.objects.restrict(self.request.user, "change").filter(pk=obj.pk).exists():
                raise PermissionDenied(_("只能在您管辖的范围内新建。"))


class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PartyViewSet,
):
    """Party organisations in your scope. Kind and parent are fixed once created."""

    model = PartyOrganisation
    serializer_class = s.OrganisationSerializer
    filterset_class = PartyOrganisationFilterSet
    queryset = PartyOrganisation.objects.none()

    def get_queryset(self):
        return super().get_queryset().prefetch_related("compounds", "buildings").order_by("pk")


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PartyViewSet,
):
    """Party members in your scope; phones are masked on read."""

    model = PartyMember
    serializer_class = s.MemberSerializer
    filterset_class = PartyMemberFilterSet
    queryset = PartyMember.objects.none()

    def get_queryset(self):
        return super().get_queryset().prefetch_related("roles").order_by("name", "pk")

    @extend_schema(request=s.RoleSerializer, responses={201: s.RoleSerializer})
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None):
        """Give the member a role (书记, 委员, 党小组长, 楼栋长, 党员中心户, 红色管家)."""
        member = self.get_object()
        serializer = s.RoleSerializer(data=request.data, context={**self.get_serializer_context(), "member": member})
        serializer.is_valid(raise_exception=True)
        role = serializer.save()
        return Response(
            s.RoleSerializer(role, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"roles/(?P<role_id>\d+)")
    def remove_role(self, request, pk=None, role_id=None):
        member = self.get_object()
        party_role = get_object_or_404(PartyRole, pk=role_id, member=member)
        services.remove_party_role(actor=request.user, party_role=party_role)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.HouseholdLinksSerializer, responses={200: s.HouseholdLinksSerializer})
    @action(detail=True, methods=["put"])
    def households(self, request, pk=None):
        """Set the households a central household keeps in touch with (1–15, in their building's grid)."""
        member = self.get_object()
        serializer = s.HouseholdLinksSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        links = services.set_linked_households(
            actor=request.user, member=member, households=serializer.validated_data["households"]
        )
        return Response({"households": sorted(link.household_id for link in links)})


class ReportInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PartyViewSet):
    """双报到 of in-service members to the communities in your scope."""

    model = ReportIn
    serializer_class = s.ReportInSerializer
    filterset_class = ReportInFilterSet
    queryset = ReportIn.objects.none()

    def get_queryset(self):
        return super().get_queryset().select_related("member")

    @extend_schema(request=s.ReportStatusSerializer, responses={200: s.ReportInSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Confirm (已确认) or end (已结束) a report-in."""
        report = self.get_object()
        serializer = s.ReportStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.change_report_status(report, actor=request.user, status=serializer.validated_data["status"])
        return Response(s.ReportInSerializer(report, context=self.get_serializer_context()).data)


class CoverageView(APIView):
    """Coverage of the compounds and buildings in your scope (seed S4's branch rule, S2's groups)."""

    permission_classes = [ScopePermission]
    scope_app = "party"

    @extend_schema(
        parameters=[OpenApiParameter("community", int, required=False)],
        responses=s.CoverageSerializer,
    )
    def get(self, request):
        params = s.CoverageQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        community = None
        if "community" in params.validated_data:
            community = get_object_or_404(
                party_scoped(Community.objects.all(), request.user), pk=params.validated_data["community"]
            )
        coverage = coverage_for(request.user, community)
        return Response(
            {
                "summary": coverage.summary,
                "compounds": [asdict(row) for row in coverage.compounds],
                "buildings_without_group": [asdict(b) for b in coverage.buildings_without_group],
                "buildings_without_central_household": [
                    asdict(b) for b in coverage.buildings_without_central_household
                ],
                "oversized_groups": [asdict(g) for g in coverage.oversized_groups],
            }
        )
