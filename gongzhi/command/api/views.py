"""The command centre's data: today's figures, the map of open cases, the charts and the feed of
one district, street or community (JSON, read-only).

GET /api/command/summary/?level=&id=                       today's figures with their drill-down URLs
GET /api/command/map/?level=&id=&limit=&cases=&outlines=   open cases as GeoJSON points by SLA class
GET /api/command/charts/?level=&id=&days=                  intake and closure by day, category, community, channel
GET /api/command/feed/?level=&id=&after=&limit=            the latest feed entries (newest first)

`level` ∈ district, street, community and `id` together, or neither (the viewer's own node).
Anonymous 401; signed in without cases.view anywhere 403; a node out of scope or unknown 404;
bad parameters 400 with a Chinese message per field (DRF convention). The time is the server's
clock (`timezone.now()`); the figures are computed by `gongzhi.command.figures`.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import figures

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("输入有误：按字段列出的错误信息")),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("不存在或不在您的管辖范围内")),
}
NODE_PARAMETERS = [
    OpenApiParameter("level", str, enum=list(figures.LEVELS), description="district | street | community"),
    OpenApiParameter("id", int),
]
MAX_CASES = 200
POSITIVE_ID = {
    "invalid": gettext_lazy("id 应为正整数。"),
    "min_value": gettext_lazy("id 应为正整数。"),
    "max_value": gettext_lazy("id 应为正整数。"),
    "max_string_length": gettext_lazy("id 应为正整数。"),
}


class CommandPermission(BasePermission):
    """Signed in with cases.view somewhere; where is checked by the node's scope (404)."""

    message = gettext_lazy("您的角色没有查看指挥中心的权限。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_scope_perm(figures.CASES_VIEW))


class NodeQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=list(figures.LEVELS),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "未知的层级“{input}”：可选 district（区）、street（街道）、community（社区）。"
            )
        },
    )
    id = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, error_messages=POSITIVE_ID)

    def validate(self, attrs):
        if ("level" in attrs) != ("id" in attrs):
            raise serializers.ValidationError({"level": [_("level 和 id 须同时给出（或都不给，打开您的辖区）。")]})
        return attrs


class MapQuerySerializer(NodeQuerySerializer):
    limit = serializers.IntegerField(
        required=False,
        default=figures.POINT_LIMIT,
        min_value=1,
        max_value=figures.MAX_POINT_LIMIT,
        error_messages={
            key: gettext_lazy("limit 应为 1–5000 的整数。")
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )
    cases = serializers.CharField(required=False, max_length=2000)
    outlines = serializers.BooleanField(required=False, default=False)

    def validate_cases(self, value: str) -> list[int]:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts or len(parts) > MAX_CASES or not all(p.isdigit() and len(p) <= 9 for p in parts):
            raise serializers.ValidationError(_("cases 应为逗号分隔的事项编号（最多 %(n)s 个）。") % {"n": MAX_CASES})
        return sorted({int(p) for p in parts})


class ChartsQuerySerializer(NodeQuerySerializer):
    days = serializers.IntegerField(
        required=False,
        default=figures.DEFAULT_DAYS,
        min_value=1,
        max_value=figures.MAX_DAYS,
        error_messages={
            key: gettext_lazy("days 应为 1–366 的整数。")
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )


class FeedQuerySerializer(NodeQuerySerializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        error_messages={
            key: gettext_lazy("after 应为非负整数。")
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )
    limit = serializers.IntegerField(
        required=False,
        default=figures.FEED_LIMIT,
        min_value=1,
        max_value=100,
        error_messages={
            key: gettext_lazy("limit 应为 1–100 的整数。")
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )


class NodeView(APIView):
    permission_classes = [CommandPermission]
    params_class: type[NodeQuerySerializer] = NodeQuerySerializer

    def params(self, request) -> tuple[object, dict]:
        params = self.params_class(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "level" in data:
            node = figures.node_in_scope(request.user, data["level"], data["id"])
        else:
            node = figures.default_node(request.user)
        if node is None:
            raise NotFound(_("不存在或不在您的管辖范围内。"))
        return node, data


class SummaryView(NodeView):
    """Today's figures (Asia/Shanghai day) of a district, street or community."""

    @extend_schema(
        summary="Command centre: today's figures with their drill-down URLs",
        parameters=NODE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        node, _data = self.params(request)
        return Response(figures.summary(request.user, node, now=timezone.now()))


class MapView(NodeView):
    """The node's open cases as GeoJSON points coloured by SLA class, with legend counts."""

    params_class = MapQuerySerializer

    @extend_schema(
        summary="Command centre: open cases as GeoJSON points by SLA class (most urgent first, capped)",
        parameters=[
            *NODE_PARAMETERS,
            OpenApiParameter("limit", int, description=f"1–{figures.MAX_POINT_LIMIT}, default {figures.POINT_LIMIT}"),
            OpenApiParameter("cases", str, description="comma-separated case ids: only those (live updates)"),
            OpenApiParameter("outlines", bool, description="include the boundaries for orientation"),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        node, data = self.params(request)
        payload = figures.map_data(
            request.user,
            node,
            now=timezone.now(),
            limit=data["limit"],
            case_ids=data.get("cases"),
            outlines=data["outlines"],
        )
        return Response(payload)


class ChartsView(NodeView):
    """Intake and closure by day, and intake by category, community and channel."""

    params_class = ChartsQuerySerializer

    @extend_schema(
        summary="Command centre: chart series over the last `days` days",
        parameters=[*NODE_PARAMETERS, OpenApiParameter("days", int, description=f"1–{figures.MAX_DAYS}, default 30")],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        node, data = self.params(request)
        return Response(figures.charts(request.user, node, now=timezone.now(), days=data["days"]))


class FeedView(NodeView):
    """The latest feed entries: new cases, dispatches, escalations, whistles, overdue reminders."""

    params_class = FeedQuerySerializer

    @extend_schema(
        summary="Command centre: the latest feed entries (last 24 hours, or after an entry id)",
        parameters=[
            *NODE_PARAMETERS,
            OpenApiParameter("after", int, description="only entries after this one"),
            OpenApiParameter("limit", int, description="1–100, default 30"),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        node, data = self.params(request)
        items = figures.feed(request.user, node, now=timezone.now(), after=data.get("after"), limit=data["limit"])
        return Response({"node": figures.node_dict(node), "items": items})
