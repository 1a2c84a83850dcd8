"""Serializers of the cases API. They parse and present; every write is a call to cases.services
(the serializers never save a case). Reporter phones only ever leave masked."""

from __future__ import annotations

import copy

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gongzhi.territory import geometry
from gongzhi.territory.models import Building, Grid

from .. import services, workflow
from ..choices import (
    Category,
    Channel,
    Priority,
    Satisfaction,
    SlaPhase,
    SlaState,
    WhistleReason,
)
from ..models import (
    Attachment,
    Case,
    CaseEvent,
    HandlingBody,
    Notification,
    RoutingRule,
    Summons,
    Whistle,
)

# -- reading --------------------------------------------------------------------------------------


class BuiltOnceMixin:
    """A ModelSerializer rebuilds its fields from the model on every instance (about 4 ms of CPU for
    a case: the intake's 201 and every detail pay it), and a Serializer deep-copies its declared
    fields, which re-runs every field's __init__ (7 % of the intake's CPU). Build them once per
    class and give each instance shallow copies of the leaf fields — `bind()` then sets the name and
    parent on the copy alone; their other state (choices, validators, querysets, which DRF clones
    per use) is read-only — and deep copies of the fields that hold other fields (nested
    serializers, list and dict fields, whose children are bound to them). Only for serializers
    whose fields do not depend on the request."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return {name: _instance_copy(field) for name, field in built.items()}


def _instance_copy(field):
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    return copy.copy(field)


class AttachmentSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField(label=_("下载地址"))

    class Meta:
        model = Attachment
        fields = ["id", "url", "content_type", "size", "time"]

    def get_url(self, obj) -> str:
        path = reverse("cases-case-attachment", args=[obj.case_id, obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class EventSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField(label=_("动作名称"))
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id", "time", "actor_name", "action", "action_label", "from_state", "to_state", "note", "data", "public",
            "attachments",
        ]  # fmt: skip

    def get_action_label(self, obj) -> str:
        return workflow.event_label(obj.action)


class CaseListSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    """One row of the case list: where it is, what it is, who holds it and how its clock runs."""

    number = serializers.CharField(read_only=True, label=_("案卷号"))
    reporter_phone_masked = serializers.CharField(read_only=True, label=_("反映人电话（脱敏）"))
    grid_name = serializers.CharField(source="grid.name", read_only=True, label=_("网格"))
    body_name = serializers.CharField(source="body.name", read_only=True, default="", label=_("处理主体"))
    sla_state = serializers.SerializerMethodField(label=_("时限状态"))
    phase = serializers.SerializerMethodField(label=_("当前时限"))
    phase_due = serializers.SerializerMethodField(label=_("当前时限到期"))

    class Meta:
        model = Case
        fields = [
            "id", "number", "state", "category", "category_confirmed", "priority", "channel", "tier", "description",
            "address", "lon", "lat", "grid", "grid_name", "community", "street", "district", "compound", "building",
            "reporter_name", "reporter_phone_masked", "body", "body_name", "reported_at", "dispatch_due",
            "accept_due", "plan_due", "resolve_due", "closed_at", "satisfaction", "sla_state", "phase", "phase_due",
            "version",
        ]  # fmt: skip
        read_only_fields = fields

    def _phase(self, obj):
        if not hasattr(obj, "_api_phase"):
            obj._api_phase = services.phase_due(obj)
        return obj._api_phase

    @extend_schema_field(serializers.ChoiceField(choices=SlaState.choices))
    def get_sla_state(self, obj) -> str:
        return services.sla_state(obj, self.context["now"])

    @extend_schema_field(serializers.ChoiceField(choices=[("", "-"), *SlaPhase.choices]))
    def get_phase(self, obj) -> str:
        return self._phase(obj)[0]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_phase_due(self, obj):
        due = self._phase(obj)[1]
        return serializers.DateTimeField().to_representation(due) if due else None


class CaseCreatedSerializer(CaseListSerializer):
    """The answer to an intake: the case as the list shows it, with the classifier's suggestions and
    the body the routing rules suggest (the timeline is at the case's own URL)."""

    suggested_body_name = serializers.CharField(
        source="suggested_body.name", read_only=True, default="", label=_("建议处理主体")
    )

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "suggestions", "suggested_body", "suggested_body_name"]
        read_only_fields = fields


class MoveOfferSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    note_required = serializers.BooleanField()
    needs_body = serializers.BooleanField()
    needs_target_case = serializers.BooleanField()
    photos = serializers.BooleanField()


class CaseDetailSerializer(CaseListSerializer):
    """A case with its timeline (residents: the public steps only), its classification and the moves
    the caller may make now."""

    suggested_body_name = serializers.CharField(
        source="suggested_body.name", read_only=True, default="", label=_("建议处理主体")
    )
    merged_into_number = serializers.CharField(source="merged_into.number", read_only=True, default="")
    events = serializers.SerializerMethodField(label=_("流转记录"))
    moves = serializers.SerializerMethodField(label=_("可执行的操作"))

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "suggestions", "suggested_body", "suggested_body_name", "merged_into", "merged_into_number",
            "registered_at", "dispatched_at", "accepted_at", "planned_at", "handled_at", "verified_at",
            "suspended_at", "handled_on_time", "solved", "rating_comment", "rated_at", "rework_count",
            "reopen_count", "return_count", "escalation_count", "reminder_count", "events", "moves",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, obj):
        events = list(obj.events.all())
        if not staff_on(obj, self.context["request"].user):
            events = [e for e in events if e.public]
        return EventSerializer(events, many=True, context=self.context).data

    @extend_schema_field(MoveOfferSerializer(many=True))
    def get_moves(self, obj):
        roles = services.roles_on(obj, self.context["request"].user) - {workflow.Actor.SYSTEM}
        return [
            {
                "name": m.name,
                "label": str(m.label),
                "note_required": m.note_required,
                "needs_body": m.needs_body,
                "needs_target_case": m.needs_target_case,
                "photos": m.photos,
            }
            for m in workflow.available(obj.state, roles)
        ]


def staff_on(case: Case, user) -> bool:
    """Whether `user` sees a case's internal steps (as on the case page): its dispatchers, handlers
    and verifiers, staff of its territory, summoned departments; a reporter who is nothing else
    sees the public steps."""
    return services.is_staff_on(case, user, services.roles_on(case, user))


class DuplicateSerializer(serializers.Serializer):
    case = CaseListSerializer()
    score = serializers.FloatField(label=_("文本相似度"))


class HandlingBodySerializer(BuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = HandlingBody
        fields = [
            "id", "name", "kind", "tier", "district", "street", "community", "grid", "compounds", "phone", "is_active",
        ]  # fmt: skip
        read_only_fields = fields


class BodyBriefSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = HandlingBody
        fields = ["id", "name", "kind", "tier"]
        read_only_fields = fields


class RoutingRuleSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    body_name = serializers.CharField(source="body.name", read_only=True, default="")

    class Meta:
        model = RoutingRule
        fields = [
            "id", "category", "district", "street", "community", "property_management", "owners_organisation",
            "body", "body_name", "body_kind", "tier", "note",
        ]  # fmt: skip
        read_only_fields = fields


class SummonsSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    body_name = serializers.CharField(source="body.name", read_only=True)
    late = serializers.BooleanField(read_only=True, allow_null=True, label=_("迟到"))

    class Meta:
        model = Summons
        fields = [
            "id", "whistle", "body", "body_name", "due_at", "arrived_at", "late", "arrival_note", "score",
            "evaluation",
        ]  # fmt: skip
        read_only_fields = fields


class WhistleSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)
    blown_by_name = serializers.CharField(source="blown_by.get_full_name", read_only=True)
    summonses = SummonsSerializer(many=True, read_only=True)

    class Meta:
        model = Whistle
        fields = [
            "id", "case", "case_number", "reason", "note", "blown_by", "blown_by_name", "blown_at", "tier",
            "report_minutes", "closed_at", "summonses",
        ]  # fmt: skip
        read_only_fields = fields


class NotificationSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    case_number = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "case", "case_number", "kind", "message", "time", "read_at"]
        read_only_fields = fields

    def get_case_number(self, obj) -> str:
        return obj.case.number if obj.case_id else ""


# -- writing --------------------------------------------------------------------------------------


class LocationFieldsMixin(serializers.Serializer):
    """Where: a point, a building, a grid or a free-text address (the services resolve the grid)."""

    lon = serializers.FloatField(required=False, allow_null=True, default=None, label=_("经度"))
    lat = serializers.FloatField(required=False, allow_null=True, default=None, label=_("纬度"))
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200, label=_("地址"))
    building = serializers.PrimaryKeyRelatedField(
        queryset=Building.objects.all(), required=False, allow_null=True, default=None, label=_("楼栋")
    )
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Grid.objects.all(), required=False, allow_null=True, default=None, label=_("网格")
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        lon, lat = attrs.get("lon"), attrs.get("lat")
        errors = {}
        if (lon is None) != (lat is None):
            errors["lat" if lat is None else "lon"] = [_("经度和纬度须同时填写。")]
        if lon is not None and not geometry.LON_RANGE[0] <= lon <= geometry.LON_RANGE[1]:
            errors["lon"] = [_("经度超出中国范围（73–136），请检查经纬度是否写反。")]
        if lat is not None and not geometry.LAT_RANGE[0] <= lat <= geometry.LAT_RANGE[1]:
            errors["lat"] = [_("纬度超出中国范围（3–54），请检查经纬度是否写反。")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CaseCreateSerializer(BuiltOnceMixin, LocationFieldsMixin):
    """信息收集 through the API (JSON, or multipart with `photos`)."""

    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.MAX_DESCRIPTION, label=_("事项描述")
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL, label=_("紧急程度"))
    category = serializers.ChoiceField(
        choices=Category.choices, required=False, allow_blank=True, default="", label=_("事项类别（留空则智能分类）")
    )
    reporter_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50, label=_("反映人")
    )
    reporter_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=30, label=_("反映人电话")
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        label=_("来源渠道（默认：工作人员为“接口”，居民为“居民自报”）"),
    )
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=services.MAX_PHOTOS, label=_("照片")
    )

    def validate_channel(self, value):
        user = self.context["request"].user
        if value == Channel.OPEN311:
            raise serializers.ValidationError(_("Open311 的事项请通过 /open311/v2/ 提交。"))
        if value != Channel.RESIDENT and not user.has_scope_perm("cases.report"):
            raise serializers.ValidationError(_("您只能以居民身份反映问题。"))
        return value


class SuggestSerializer(LocationFieldsMixin):
    text = serializers.CharField(max_length=services.MAX_DESCRIPTION, label=_("事项描述"))


class SuggestionSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField()
    score = serializers.FloatField()


class SuggestResult(serializers.Serializer):
    top = SuggestionSerializer(many=True, label=_("前三个建议类别"))
    grid = serializers.IntegerField(allow_null=True, label=_("所属网格"))
    body = BodyBriefSerializer(allow_null=True, label=_("按派单规则建议的处理主体"))


@extend_schema_field(OpenApiTypes.INT)
class VisibleCaseField(serializers.PrimaryKeyRelatedField):
    """A case the caller can see (others do not exist for them)."""

    default_error_messages = {"does_not_exist": _("事项 {pk_value} 不存在或不在您的管辖范围内。")}

    def get_queryset(self):
        request = self.context.get("request")
        return services.visible_cases(request.user) if request else Case.objects.none()


def _version():
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        label=_("版本"),
        help_text=_("页面显示时的事项版本；事项已被他人改动时返回 409，操作不保存。"),
    )


def _note():
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.MAX_DESCRIPTION, label=_("说明")
    )


def _photos():
    return serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=services.MAX_PHOTOS, label=_("照片")
    )


# The request body of each move: the fields its service takes (all take `version`).
MOVE_FIELDS: dict[str, dict] = {
    "register": {"note": _note, "category": None, "priority": None},
    "reject": {"note": _note},
    "merge": {"note": _note, "into": None},
    "dispatch": {"note": _note, "body": None, "category": None, "priority": None},
    "redispatch": {"note": _note, "body": None},
    "accept": {"note": _note},
    "return": {"note": _note},
    "plan": {"note": _note},
    "handle": {"note": _note, "photos": _photos},
    "suspend": {"note": _note},
    "resume": {"note": _note},
    "escalate": {"note": _note},
    "verify": {"note": _note, "photos": _photos},
    "rework": {"note": _note, "photos": _photos},
    "rate": {"solved": None, "satisfaction": None, "comment": None},
    "close": {"note": _note},
    "reopen": {"note": _note},
}


def _field(name: str):
    if name == "category":
        return serializers.ChoiceField(
            choices=Category.choices, required=False, allow_blank=True, default="", label=_("确认的事项类别")
        )
    if name == "priority":
        return serializers.ChoiceField(
            choices=Priority.choices, required=False, allow_blank=True, default="", label=_("紧急程度")
        )
    if name == "body":
        return serializers.PrimaryKeyRelatedField(queryset=HandlingBody.objects.all(), label=_("处理主体"))
    if name == "into":
        return VisibleCaseField(label=_("并入事项"))
    if name == "solved":
        return serializers.BooleanField(required=False, allow_null=True, default=None, label=_("问题是否解决"))
    if name == "satisfaction":
        return serializers.ChoiceField(
            choices=Satisfaction.choices, required=False, allow_blank=True, default="", label=_("满意度")
        )
    if name == "comment":
        return serializers.CharField(required=False, allow_blank=True, default="", max_length=500, label=_("评价意见"))
    raise KeyError(name)


def _move_serializer(name: str, spec: dict) -> type[serializers.Serializer]:
    attrs = {"version": _version()}
    for field, make in spec.items():
        attrs[field] = make() if make else _field(field)
    attrs["__doc__"] = f"{workflow.MOVES[name].label}"
    class_name = "Case" + "".join(part.capitalize() for part in name.split("-")) + "Serializer"
    return type(class_name, (serializers.Serializer,), attrs)


MOVE_SERIALIZERS = {name: _move_serializer(name, spec) for name, spec in MOVE_FIELDS.items()}


class CommentSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.MAX_DESCRIPTION, label=_("内容"))
    public = serializers.BooleanField(required=False, default=False, label=_("反映人可见"))
    photos = _photos()


class SuspensionRequestSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.MAX_DESCRIPTION, label=_("申请缓办的理由"))


class WhistleRequestSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=WhistleReason.choices, label=_("吹哨事由"))
    bodies = serializers.PrimaryKeyRelatedField(
        queryset=HandlingBody.objects.all(), many=True, label=_("报到部门"), allow_empty=False
    )
    note = serializers.CharField(max_length=services.MAX_DESCRIPTION, label=_("情况说明"))
    minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=5, max_value=24 * 60, label=_("报到时限（分钟）")
    )


class SummonsReportInSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300, label=_("报到说明"))


class EvaluateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5, label=_("评分（1–5）"))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300, label=_("评价意见"))


class ProblemSerializer(serializers.Serializer):
    """An error that is not about one field: an illegal move (400) or a version conflict (409)."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=[("illegal_transition", "illegal_transition"), ("conflict", "conflict")])
