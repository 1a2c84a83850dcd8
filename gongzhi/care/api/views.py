from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from .. import services
from ..models import CareProfile
from ..views import visible_profiles


class CareProfileSerializer(serializers.ModelSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    paired_member_name = serializers.CharField(source="paired_member.name", read_only=True, default="")
    last_visit = serializers.DateField(read_only=True, allow_null=True)
    due = serializers.DateField(read_only=True)
    overdue_days = serializers.IntegerField(read_only=True)

    class Meta:
        model = CareProfile
        fields = [
            "id", "resident", "resident_name", "kind", "risk_level", "needs", "paired_member", "paired_member_name",
            "opened", "closed", "grid_id", "community_id", "last_visit", "due", "overdue_days",
        ]  # fmt: skip


class CareProfileViewSet(viewsets.ReadOnlyModelViewSet):
    """Care files in your territory (or paired with you), with when the next visit is due."""

    serializer_class = CareProfileSerializer
    queryset = CareProfile.objects.none()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (
            request.user.has_scope_perm("care.view")
            or CareProfile.objects.filter(paired_member__user=request.user).exists()
        ):
            raise PermissionDenied(_("您的角色没有此操作的权限。"))

    def get_queryset(self):
        qs = visible_profiles(self.request.user).select_related("resident", "paired_member")
        grid = self.request.query_params.get("grid", "")
        return qs.filter(grid_id=int(grid)) if grid.isdigit() else qs

    def _annotate(self, profiles):
        today = timezone.localdate()
        for p in profiles:
            p.due, p.overdue_days = p.next_due, services.rules.overdue_days(p.next_due, today)
        return profiles

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset().filter(closed=None).order_by("next_due", "pk"))
        return self.get_paginated_response(self.get_serializer(self._annotate(page), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        (profile,) = self._annotate([self.get_object()])
        return Response(self.get_serializer(profile).data)

    @extend_schema(responses=CareProfileSerializer(many=True))
    @action(detail=False)
    def overdue(self, request):
        """Open care files whose visit is overdue, most overdue first."""
        late = services.overdue(self.get_queryset(), timezone.localdate()).order_by("next_due", "pk")
        page = self.paginate_queryset(late)
        return self.get_paginated_response(self.get_serializer(self._annotate(page), many=True).data)
