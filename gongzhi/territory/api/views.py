from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from gongzhi.core.permissions import ScopePermission

from .. import services, stats
from ..filtersets import FILTERSETS
from ..models import LEVEL_MODELS, Grid
from ..resolve import grid_ids_at
from . import serializers as s

SERIALIZERS = {
    "district": s.DistrictSerializer,
    "street": s.StreetSerializer,
    "community": s.CommunitySerializer,
    "grid": s.GridSerializer,
    "compound": s.CompoundSerializer,
    "building": s.BuildingSerializer,
}
FEATURE_PROPERTIES = ["id", "name", "code", "area_km2"]


class NodeViewSet(viewsets.ModelViewSet):
    """List, read, create, change and delete nodes of one territory level, within scope."""

    permission_classes = [ScopePermission]
    scope_app = "territory"
    level = ""

    def get_queryset(self):
        model = LEVEL_MODELS[self.level]
        action_name = "view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change"
        return model.objects.restrict(self.request.user, action_name).order_by("code")

    def perform_create(self, serializer):
        """Create, then re-check inside the transaction that the new node is in the caller's scope."""
        with transaction.atomic():
            node = serializer.save()
            if not LEVEL_MODELS[self.level].objects.restrict(self.request.user, "change").filter(pk=node.pk).exists():
                raise PermissionDenied(_("只能在您管辖的范围内新建。"))

    def perform_destroy(self, instance):
        services.delete_node(instance, actor=self.request.user)

    @extend_schema(
        summary="GeoJSON FeatureCollection of the filtered nodes",
        responses=inline_serializer(
            "FeatureCollection", {"type": serializers.CharField(), "features": serializers.ListField()}
        ),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def geojson(self, request, *args, **kwargs):
        qs = self.filter_queryset(self.get_queryset())
        if self.level == "building":
            rows = qs.values("id", "name", "code", "lon", "lat")[:5000]
            features = [
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}, "properties": r}
                for r in rows
            ]
        else:
            rows = list(qs.exclude(Q(geometry=None)).values("geometry", *FEATURE_PROPERTIES)[:5000])
            figures = stats.counts(self.level, [r["id"] for r in rows], keys=("households", "residents"))
            features = [
                {"type": "Feature", "geometry": r.pop("geometry"), "properties": {**r, **figures[r["id"]]}}
                for r in rows
            ]
        return Response({"type": "FeatureCollection", "features": features})


def viewset_for(level):
    return type(
        f"{LEVEL_MODELS[level].__name__}ViewSet",
        (NodeViewSet,),
        {
            "level": level,
            "serializer_class": SERIALIZERS[level],
            "filterset_class": FILTERSETS[level],
            "queryset": LEVEL_MODELS[level].objects.none(),
        },
    )


VIEWSETS = {level: viewset_for(level) for level in LEVEL_MODELS}


class ResolveView(APIView):
    """Which grid contains this point? (404 when none, or when it is outside your scope.)"""

    permission_classes = [ScopePermission]
    scope_app = "territory"

    @extend_schema(
        parameters=[OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True)],
        responses=s.GridSerializer,
    )
    def get(self, request):
        params = s.ResolveSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        candidates = grid_ids_at(params.validated_data["lon"], params.validated_data["lat"])
        grid = Grid.objects.restrict(request.user).filter(pk__in=candidates).order_by("pk").first()
        if grid is None:
            raise Http404(_("该位置不在您管辖范围内的任何网格中。"))
        return Response(s.GridSerializer(grid, context={"request": request}).data)
