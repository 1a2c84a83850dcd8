"""The grid map API: the children of a node coloured by a measure, and a community's grid boundaries.

GET  /api/grids/map/?level=&id=&measure=             GeoJSON of the children with their figures and the
                                                      breaks of a 5-class quantile legend (territory.view).
GET  /api/grids/map/community/<id>/boundaries/        the community's active grids and buildings, for the
                                                      boundary editor (grids.divide over the community).
POST /api/grids/map/community/<id>/boundaries/        {"grids": {"<grid id>": <GeoJSON Polygon>, ...}}:
                                                      redraws those grids through grids.services.redraw_grids.

A node or community outside the caller's scope is 404; bad input is 400 with a Chinese message
per field (DRF convention); a redraw the service refuses (overlap, gap, outside the community) is
400 with the service's message and nothing is saved.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from gongzhi.accounts.roles import GRIDS_DIVIDE
from gongzhi.core.permissions import ScopePermission
from gongzhi.territory.models import Building, Community, Grid

from .. import measures, services

MAP_LEVELS = list(measures.MAP_CHILD)
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("输入有误：按字段列出的错误信息")),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("不存在或不在您的管辖范围内")),
}


class MapQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=[*MAP_LEVELS, "grid"],
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "未知的层级“{input}”：可选 district（区）、street（街道）、community（社区）。"
            )
        },
    )
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        error_messages={
            "invalid": gettext_lazy("id 应为正整数。"),
            "min_value": gettext_lazy("id 应为正整数。"),
            "max_value": gettext_lazy("id 应为正整数。"),
            "max_string_length": gettext_lazy("id 应为正整数。"),
        },
    )
    measure = serializers.ChoiceField(
        choices=list(measures.MEASURES),
        default=measures.DEFAULT_MEASURE,
        error_messages={
            "invalid_choice": gettext_lazy(
                "未知的指标“{input}”：可选 households（户数）、residents（人口）、"
                "open_cases（在办事项）、patrol_coverage（巡查覆盖率）。"
            )
        },
    )

    def validate_level(self, value: str) -> str:
        if value == "grid":
            raise serializers.ValidationError(_("网格是地图的最底层，没有可着色的下级：请选择区、街道或社区。"))
        return value

    def validate(self, attrs):
        if ("level" in attrs) != ("id" in attrs):
            raise serializers.ValidationError({"level": [_("level 和 id 须同时给出（或都不给，打开您的辖区）。")]})
        return attrs


def map_payload(request, node, measure: str, *, today) -> dict:
    """The FeatureCollection of the node's children coloured by `measure`, with legend and breadcrumb."""
    user = request.user
    children = measures.child_figures(user, node, today=today)
    breaks = measures.quantile_breaks([c.value(measure) for c in children])
    features = []
    for c in children:
        value = c.value(measure)
        features.append(
            {
                "type": "Feature",
                "geometry": c.geometry,
                "properties": {
                    "id": c.id,
                    "name": c.name,
                    "code": c.code,
                    "level": c.level,
                    "value": value,
                    "class": measures.class_of(value, breaks),
                    "households": c.households,
                    "residents": c.residents,
                    "open_cases": c.open_cases,
                    "patrol_coverage": c.patrol_coverage,
                    "households_per_grid": c.households_per_grid,
                    "grids": c.grids,
                    "area_km2": c.area_km2,
                },
            }
        )
    values = [v for v in (c.value(measure) for c in children) if v is not None]
    may_edit = (
        node.level == "community"
        and user.has_scope_perm(GRIDS_DIVIDE)
        and Community.objects.restrict(user, "divide", app="grids").filter(pk=node.pk).exists()
    )
    edit_url = reverse("grids:map-edit", args=[node.pk]) if may_edit else None
    return {
        "type": "FeatureCollection",
        "features": features,
        "node": {"id": node.pk, "name": node.name, "code": node.code, "level": node.level},
        "child_level": measures.MAP_CHILD[node.level],
        "drill_down": measures.MAP_CHILD[node.level] in measures.MAP_CHILD,
        "measure": measure,
        "label": str(measures.MEASURES[measure]),
        "unit": str(measures.UNITS[measure]),
        "legend": {
            "classes": measures.LEGEND_CLASSES,
            "breaks": breaks,
            "min": min(values) if values else None,
            "max": max(values) if values else None,
        },
        "crumbs": measures.crumbs(user, node),
        "list_url": reverse("territory:node", args=[node.level, node.pk]) if measures.covers(user, node) else None,
        "edit_url": edit_url,
        "today": today.isoformat(),
    }


class GridMapView(APIView):
    """The children of a district, street or community as GeoJSON, coloured by one measure."""

    permission_classes = [ScopePermission]
    scope_app = "territory"

    @extend_schema(
        summary="Grid map: children of a node with figures and a 5-class quantile legend",
        parameters=[
            OpenApiParameter("level", str, enum=MAP_LEVELS, description="district | street | community"),
            OpenApiParameter("id", int),
            OpenApiParameter("measure", str, enum=list(measures.MEASURES)),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        params = MapQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "level" in data:
            node = measures.map_node(request.user, data["level"], data["id"])
        else:
            node = measures.top_node(request.user)
        if node is None:
            raise NotFound(_("不存在或不在您的管辖范围内。"))
        return Response(map_payload(request, node, data["measure"], today=timezone.localdate()))


class MayDivide(BasePermission):
    """Signed in with a role that may redraw grids somewhere (grids.divide); where is checked by scope."""

    message = gettext_lazy("您的角色没有调整网格边界的权限。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_scope_perm(GRIDS_DIVIDE))


def editable_community(user, pk: int) -> Community:
    return get_object_or_404(Community.objects.restrict(user, "divide", app="grids"), pk=pk)


def boundaries_payload(community: Community) -> dict:
    grids = list(
        Grid.objects.filter(community=community, retired_on__isnull=True)
        .order_by("code")
        .values("id", "name", "code", "geometry")
    )
    buildings = list(
        Building.objects.filter(community=community, grid__retired_on__isnull=True)
        .order_by("code")
        .values("id", "name", "grid_id", "lon", "lat")
    )
    return {
        "community": {
            "id": community.pk,
            "name": community.name,
            "code": community.code,
            "geometry": community.geometry,
        },
        "grids": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": g.pop("geometry"),
                    "properties": g,
                }
                for g in grids
            ],
        },
        "buildings": [
            {"id": b["id"], "name": b["name"], "grid": b["grid_id"], "lon": b["lon"], "lat": b["lat"]}
            for b in buildings
        ],
    }


def parse_geometries(community: Community, body) -> dict[int, dict]:
    """{grid id: GeoJSON} from the request body, every id an active grid of the community (else 400)."""
    grids = body.get("grids") if isinstance(body, dict) else None
    if not isinstance(grids, dict):
        raise ValidationError({"grids": [_('请提交 {"grids": {网格编号: GeoJSON 多边形}}。')]})
    if not grids:
        raise ValidationError({"grids": [_("没有要保存的边界修改。")]})
    names = dict(
        Grid.objects.filter(community=community, retired_on__isnull=True).values_list("id", "name"),
    )
    geometries: dict[int, dict] = {}
    for key, value in grids.items():
        pk = int(key) if isinstance(key, str) and key.isdigit() and len(key) < 10 else None
        if pk is None or pk not in names:
            raise ValidationError({"grids": [_("网格“%(id)s”不是本社区的网格。") % {"id": str(key)[:20]}]})
        if not isinstance(value, dict) or value.get("type") != "Polygon":
            raise ValidationError({"grids": [_("网格“%(name)s”的边界必须是 GeoJSON Polygon。") % {"name": names[pk]}]})
        geometries[pk] = value
    return geometries


class CommunityBoundariesView(APIView):
    """The boundaries of one community's grids: read them for the editor, redraw several at once."""

    permission_classes = [MayDivide]

    @extend_schema(summary="A community's active grids and buildings, for the boundary editor", responses=ERRORS)
    def get(self, request, pk: int):
        return Response(boundaries_payload(editable_community(request.user, pk)))

    @extend_schema(
        summary="Redraw grids of one community (no overlap, no gap; buildings move to the grid that contains them)",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request, pk: int):
        community = editable_community(request.user, pk)
        geometries = parse_geometries(community, request.data)
        result = services.redraw_grids(community, geometries, actor=request.user)
        community.refresh_from_db()
        return Response(
            {
                "saved": sorted(geometries),
                "result": result if isinstance(result, dict) else {},
                **boundaries_payload(community),
            }
        )
