from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from gongzhi.core.permissions import ScopePermission

from .. import services
from ..filtersets import HouseholdFilterSet, ResidentFilterSet, RevealLogFilterSet
from ..models import Household, Resident, RevealLog
from ..views import set_sizes
from . import serializers as s

WRITE = ("POST", "PUT", "PATCH", "DELETE")


class HouseholdViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Households within your scope."""

    permission_classes = [ScopePermission]
    scope_app = "population"
    serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilterSet
    queryset = Household.objects.none()

    def get_queryset(self):
        action_name = "change" if self.request.method in WRITE else "view"
        qs = Household.objects.restrict(self.request.user, action_name).prefetch_related("tag_links")
        return qs.order_by("pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            set_sizes(page)
        return page

    def get_object(self):
        obj = super().get_object()
        set_sizes([obj])
        return obj


class ResidentViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Residents within your scope. ID numbers and phones are masked; use `reveal` for a full value."""

    permission_classes = [ScopePermission]
    scope_app = "population"
    serializer_class = s.ResidentSerializer
    filterset_class = ResidentFilterSet
    queryset = Resident.objects.none()

    def get_queryset(self):
        action_name = "change" if self.request.method in WRITE else "view"
        if self.action == "reveal":
            action_name = "view"
        qs = Resident.objects.restrict(self.request.user, action_name).prefetch_related("tag_links")
        return qs.order_by("pk")

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["health_ids"] = _HealthIds(self.request.user)
        return ctx

    @extend_schema(request=s.RevealRequestSerializer, responses=s.RevealResponseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ScopePermission])
    def reveal(self, request, pk=None):
        """The full ID number or phone, with a reason; every call is logged."""
        resident = self.get_object()
        params = s.RevealRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        value = services.reveal(actor=request.user, resident=resident, **params.validated_data)
        return Response({"field": params.validated_data["field"], "value": value})


class _HealthIds:
    """Lazy membership test: may this user see a resident's health labels? (one query per resident set)."""

    def __init__(self, user):
        self.user = user
        self.cache: dict[int, bool] = {}

    def __contains__(self, pk) -> bool:
        if pk not in self.cache:
            self.cache[pk] = Resident.objects.restrict(self.user, "view_health").filter(pk=pk).exists()
        return self.cache[pk]


class RevealLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Who saw whose full personal data, within your scope (auditors)."""

    permission_classes = [ScopePermission]
    scope_app = "audit"
    serializer_class = s.RevealLogSerializer
    filterset_class = RevealLogFilterSet
    queryset = RevealLog.objects.none()

    def get_queryset(self):
        return RevealLog.objects.restrict(self.request.user).select_related("user", "resident")
