"""The cases REST API: intake, the case list and timeline, every move of the workflow table, the
whistle (吹哨报到), handling bodies, routing rules and the caller's notifications.

Every read starts from `services.visible_cases(user)` (territory + own bodies + own reports), so a
case out of scope is 404. Signed in without any part in the loop (no cases role, no handling body,
not a resident) is 403; anonymous is 401. Every write is a call to `cases.services`; an illegal
move answers 400 `{"detail", "code": "illegal_transition"}`, a stale `version` 409
`{"detail", "code": "conflict"}` — nothing is written in either case.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.reverse import reverse

from gongzhi.accounts.choices import Role
from gongzhi.territory.models import Grid

from .. import classifier, notify, routing, services, workflow
from ..choices import BodyKind, Category, Channel, Tier
from ..filtersets import CaseFilterSet
from ..models import Attachment, Case, HandlingBody, Notification, RoutingRule, Summons, Whistle
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description=_("输入有误：按字段列出的错误信息")),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description=_("不存在或不在您的管辖范围内")),
}
MOVE_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(
        s.ProblemSerializer,
        description=_("输入有误（按字段列出），或当前状态/身份不允许该操作（code = illegal_transition）"),
    ),
    409: OpenApiResponse(s.ProblemSerializer, description=_("事项已被他人改动（code = conflict），操作未保存")),
}


# -- who may use the API ---------------------------------------------------------------------------


def may_use_cases(user) -> bool:
    """Whoever may use the case desk (staff, handling bodies, reporters), and whoever may report:
    cases.report somewhere, or a resident's account (which reports and follows its own matters)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.has_scope_perm("cases.report"):
        return True
    if any(a.role == Role.RESIDENT for a in user._assignments):
        return True
    return services.desk_allowed(user)


class CasesAccess(BasePermission):
    message = _("您的角色没有此操作的权限。")

    def has_permission(self, request, view) -> bool:
        return may_use_cases(request.user)


class CasesStaff(BasePermission):
    """Staff of a territory (cases.view) or of a handling body."""

    message = _("您的角色没有此操作的权限。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return user.has_scope_perm("cases.view") or bool(services.body_ids(user))


class CasesView(BasePermission):
    message = _("您的角色没有此操作的权限。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_scope_perm("cases.view"))


class ProblemMixin:
    """Moves refused by the table or by a newer version are answered with a code, not a 500."""

    def handle_exception(self, exc):
        if isinstance(exc, services.Conflict):
            return Response({"detail": " ".join(exc.messages), "code": "conflict"}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, workflow.IllegalTransition):
            return Response(
                {"detail": " ".join(exc.messages), "code": "illegal_transition"}, status=status.HTTP_400_BAD_REQUEST
            )
        return super().handle_exception(exc)


def _scope_grids(user):
    return Grid.objects.restrict(user, "view", app="cases")


# -- cases --------------------------------------------------------------------------------------


MOVE_SERVICES = {
    "register": services.register_case,
    "reject": services.reject_case,
    "merge": services.merge_case,
    "dispatch": services.dispatch_case,
    "redispatch": services.redispatch_case,
    "accept": services.accept_case,
    "return": services.return_case,
    "plan": services.plan_case,
    "handle": services.handle_case,
    "suspend": services.suspend_case,
    "resume": services.resume_case,
    "escalate": services.escalate_case,
    "verify": services.verify_case,
    "rework": services.rework_case,
    "rate": services.rate_case,
    "close": services.close_case,
    "reopen": services.reopen_case,
}
NO_LIST = {"pagination_class": None, "filter_backends": []}


class CaseViewSet(ProblemMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """民情事项 in your scope: list (filters of the case desk), one case with its timeline, intake
    (`POST`, JSON or multipart with `photos`), and one `POST` per move of the workflow table."""

    permission_classes = [CasesAccess]
    serializer_class = s.CaseListSerializer
    filterset_class = CaseFilterSet
    queryset = Case.objects.none()

    def get_queryset(self):
        qs = services.visible_cases(self.request.user).select_related("grid", "body")
        if self.action == "retrieve":
            qs = qs.select_related("suggested_body", "merged_into").prefetch_related("events__attachments")
        return qs

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseListSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _detail(self, case: Case) -> dict:
        fresh = (
            Case.objects.select_related("grid", "body", "suggested_body", "merged_into")
            .prefetch_related("events__attachments")
            .get(pk=case.pk)
        )
        return s.CaseDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        request={"application/json": s.CaseCreateSerializer, "multipart/form-data": s.CaseCreateSerializer},
        responses={201: s.CaseCreatedSerializer, 400: ERRORS[400]},
    )
    def create(self, request, *args, **kwargs):
        """信息收集: report a matter. It is located (point, building, grid or address → grid),
        classified (unless `category` is given), routed (suggested body) and put on the clock. The
        answer has the case's number, category, suggestions, suggested body and deadlines; its
        timeline and photos are at `Location` (the case's own URL)."""
        params = s.CaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        user = request.user
        staff = user.has_scope_perm("cases.report")
        channel = data.pop("channel", None) or (Channel.API if staff else Channel.RESIDENT)
        case = services.report_case(actor=user, channel=channel, now=timezone.now(), **data)
        # the case as report_case returned it (no second read): the hot path of every intake
        body = s.CaseCreatedSerializer(case, context=self.get_serializer_context()).data
        location = reverse("cases-case-detail", args=[case.pk], request=request)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def _move(self, request, name: str) -> Response:
        case = self.get_object()
        params = s.MOVE_SERIALIZERS[name](data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        moved = MOVE_SERVICES[name](case, actor=request.user, now=timezone.now(), **params.validated_data)
        return Response(self._detail(moved))

    @extend_schema(request=s.CommentSerializer, responses={201: s.EventSerializer, **MOVE_ERRORS})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """A note in the timeline (no state change). A resident's note is always visible to them."""
        case = self.get_object()
        params = s.CommentSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        if not s.staff_on(case, request.user):
            data["public"] = True
        event = services.comment_case(case, actor=request.user, now=timezone.now(), **data)
        return Response(s.EventSerializer(event, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=s.SuspensionRequestSerializer, responses={201: s.EventSerializer, **MOVE_ERRORS})
    @action(detail=True, methods=["post"], url_path="request-suspension", url_name="request-suspension")
    def request_suspension(self, request, pk=None):
        """缓办申请: the handling body asks the centre to suspend the case (the centre approves with `suspend`)."""
        case = self.get_object()
        params = s.SuspensionRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        event = services.request_suspension(case, actor=request.user, now=timezone.now(), **params.validated_data)
        return Response(s.EventSerializer(event, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=s.WhistleRequestSerializer, responses={201: s.WhistleSerializer, **MOVE_ERRORS})
    @action(detail=True, methods=["post"])
    def whistle(self, request, pk=None):
        """吹哨: the community or street summons departments, each to report in within `minutes`."""
        case = self.get_object()
        params = s.WhistleRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        whistle = services.blow_whistle(case, actor=request.user, now=timezone.now(), **params.validated_data)
        whistle = (
            Whistle.objects.select_related("case", "blown_by").prefetch_related("summonses__body").get(pk=whistle.pk)
        )
        return Response(s.WhistleSerializer(whistle).data, status=201)

    @extend_schema(responses={200: s.DuplicateSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, **NO_LIST)
    def duplicates(self, request, pk=None):
        """并单 suggestions: open cases of the same category nearby with similar text, most similar first."""
        candidates = services.duplicate_candidates(self.get_object())
        ids = [c.pk for c, _score in candidates]
        visible = set(services.visible_cases(request.user).filter(pk__in=ids).values_list("pk", flat=True))
        rows = [{"case": c, "score": score} for c, score in candidates if c.pk in visible]
        return Response(s.DuplicateSerializer(rows, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    @action(detail=True, url_path=r"attachments/(?P<attachment_id>[0-9]+)", url_name="attachment", **NO_LIST)
    def attachment(self, request, pk=None, attachment_id=None):
        """One photo of the case (residents: only those of the steps they can see)."""
        case = self.get_object()
        attachment = get_object_or_404(Attachment.objects.select_related("event"), pk=attachment_id, case=case)
        if not attachment.event.public and not s.staff_on(case, request.user):
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=attachment.content_type)

    @extend_schema(methods=["GET"], parameters=[s.SuggestSerializer], responses={200: s.SuggestResult, **ERRORS})
    @extend_schema(methods=["POST"], request=s.SuggestSerializer, responses={200: s.SuggestResult, **ERRORS})
    @action(detail=False, methods=["get", "post"], **NO_LIST)
    def suggest(self, request):
        """The classifier's top three categories for a text, and — when a place is given — the body the
        routing rules would send the top category there to."""
        data = request.query_params if request.method == "GET" else request.data
        params = s.SuggestSerializer(data=data)
        params.is_valid(raise_exception=True)
        where = dict(params.validated_data)
        text = where.pop("text")
        top = [
            {"category": t["category"], "label": str(Category(t["category"]).label), "score": float(t["score"])}
            for t in classifier.suggest(text, k=3)
        ]
        grid = body = None
        if where["lon"] is not None or where["building"] or where["grid"] or where["address"].strip():
            place = services.locate(**where)
            grid = place.grid.pk
            if top:
                compound = place.compound
                body, _rule = routing.route(
                    top[0]["category"],
                    routing.Place(
                        district_id=place.grid.district_id,
                        street_id=place.grid.street_id,
                        community_id=place.grid.community_id,
                        grid_id=place.grid.pk,
                        compound_id=compound.pk if compound else None,
                        property_management=compound.property_management if compound else "",
                        owners_organisation=compound.owners_organisation if compound else "",
                    ),
                )
        result = {"top": top, "grid": grid, "body": s.BodyBriefSerializer(body).data if body else None}
        return Response(result)


def _move_action(name: str):
    move = workflow.MOVES[name]

    def view(self, request, pk=None):
        return self._move(request, name)

    view.__name__ = f"move_{name}"
    view.__doc__ = f"{move.label}（{name}）：{'须填写说明' if move.note_required else '说明可选'}。"
    view = action(detail=True, methods=["post"], url_path=name, url_name=name)(view)
    return extend_schema(request=s.MOVE_SERIALIZERS[name], responses={200: s.CaseDetailSerializer, **MOVE_ERRORS})(view)


for _name in MOVE_SERVICES:
    setattr(CaseViewSet, f"move_{_name}", _move_action(_name))


# -- handling bodies and routing rules (read-only: edited in the admin) ----------------------------


@extend_schema(
    parameters=[
        OpenApiParameter("case", int, description=_("只列出可派遣该事项的处理主体")),
        OpenApiParameter("tier", str, enum=Tier.values),
        OpenApiParameter("kind", str, enum=BodyKind.values),
    ]
)
class HandlingBodyViewSet(viewsets.ReadOnlyModelViewSet):
    """处理主体 serving your territory (its own, and the street and district bodies above it)."""

    permission_classes = [CasesView]
    serializer_class = s.HandlingBodySerializer
    queryset = HandlingBody.objects.none()

    def get_queryset(self):
        user = self.request.user
        qs = HandlingBody.objects.prefetch_related("compounds")
        if not user.is_superuser:
            grids = _scope_grids(user)
            qs = qs.filter(
                Q(tier=Tier.DISTRICT, district_id__in=grids.values("district_id"))
                | Q(tier=Tier.STREET, street_id__in=grids.values("street_id"))
                | Q(tier=Tier.COMMUNITY, community_id__in=grids.values("community_id"))
                | Q(tier=Tier.GRID, grid_id__in=grids.values("pk"))
                | Q(pk__in=services.body_ids(user))
            )
        params = self.request.query_params
        if params.get("case", "").isdigit():
            case = services.visible_cases(user).filter(pk=int(params["case"])).select_related("compound").first()
            ids = routing.nearby_bodies(routing.Place.of(case)).values("pk") if case else []
            qs = qs.filter(pk__in=ids)
        if params.get("tier") in Tier.values:
            qs = qs.filter(tier=params["tier"])
        if params.get("kind") in BodyKind.values:
            qs = qs.filter(kind=params["kind"])
        return qs.order_by("tier", "name", "pk")


@extend_schema(parameters=[OpenApiParameter("category", str, enum=Category.values)])
class RoutingRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """派单规则 that apply somewhere in your territory (including the district-wide defaults)."""

    permission_classes = [CasesView]
    serializer_class = s.RoutingRuleSerializer
    queryset = RoutingRule.objects.none()

    def get_queryset(self):
        user = self.request.user
        qs = RoutingRule.objects.select_related("body")
        if not user.is_superuser:
            grids = _scope_grids(user)
            qs = qs.filter(
                (Q(district=None) | Q(district_id__in=grids.values("district_id")))
                & (Q(street=None) | Q(street_id__in=grids.values("street_id")))
                & (Q(community=None) | Q(community_id__in=grids.values("community_id")))
            )
        category = self.request.query_params.get("category")
        if category in Category.values:
            qs = qs.filter(category=category)
        return qs.order_by("category", "pk")


# -- the whistle (吹哨报到) --------------------------------------------------------------------------


def visible_whistles(user):
    qs = Whistle.objects.restrict(user, "view")
    bodies = services.body_ids(user)
    if user.is_superuser or not bodies:
        return qs
    summoned = Summons.objects.filter(body_id__in=bodies).values("whistle_id")
    return Whistle.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=summoned))


class WhistleViewSet(viewsets.ReadOnlyModelViewSet):
    """吹哨 in your territory or summoning your bodies, with each department's report-in."""

    permission_classes = [CasesStaff]
    serializer_class = s.WhistleSerializer
    queryset = Whistle.objects.none()

    def get_queryset(self):
        return (
            visible_whistles(self.request.user)
            .select_related("case", "blown_by")
            .prefetch_related("summonses__body")
            .order_by("-blown_at", "-pk")
        )


class SummonsViewSet(ProblemMixin, viewsets.ReadOnlyModelViewSet):
    """报到: one summoned department of a whistle. Its staff report in; the whistle-blower evaluates."""

    permission_classes = [CasesStaff]
    serializer_class = s.SummonsSerializer
    queryset = Summons.objects.none()

    def get_queryset(self):
        whistles = visible_whistles(self.request.user).values("pk")
        return Summons.objects.filter(whistle_id__in=whistles).select_related("body").order_by("-whistle_id", "pk")

    @extend_schema(request=s.SummonsReportInSerializer, responses={200: s.SummonsSerializer, **MOVE_ERRORS})
    @action(detail=True, methods=["post"], url_path="report-in", url_name="report-in")
    def report_in(self, request, pk=None):
        """报到 (late if after the deadline: recorded, not refused)."""
        summons = self.get_object()
        params = s.SummonsReportInSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        done = services.report_in(summons, actor=request.user, now=timezone.now(), **params.validated_data)
        return Response(s.SummonsSerializer(done).data)

    @extend_schema(request=s.EvaluateSerializer, responses={200: s.SummonsSerializer, **MOVE_ERRORS})
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """The street's (or community's) score of a summoned department, 1–5."""
        summons = self.get_object()
        params = s.EvaluateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        done = services.evaluate_summons(summons, actor=request.user, now=timezone.now(), **params.validated_data)
        return Response(s.SummonsSerializer(done).data)


# -- notifications -------------------------------------------------------------------------------


@extend_schema(parameters=[OpenApiParameter("unread", bool, description=_("只列出未读消息"))])
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your own messages about cases, newest first (also pushed over the WebSocket)."""

    serializer_class = s.NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        qs = Notification.objects.filter(user=self.request.user).select_related("case")
        if self.request.query_params.get("unread") in ("1", "true", "True"):
            qs = qs.filter(read_at=None)
        return qs.order_by("-time", "-pk")

    @extend_schema(request=None, responses={200: s.NotificationSerializer, 404: ERRORS[404]})
    @action(detail=True, methods=["post"], **NO_LIST)
    def read(self, request, pk=None):
        """Mark one of your messages read (idempotent)."""
        notification = get_object_or_404(Notification.objects.select_related("case"), pk=pk, user=request.user)
        if notification.read_at is None:
            notify.mark_read(request.user, timezone.now(), notification.pk)
            notification.refresh_from_db(fields=["read_at"])
        return Response(s.NotificationSerializer(notification).data)
