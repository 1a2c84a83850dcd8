"""The closed loop of residents' matters (民情闭环): cases, their timeline, the handling bodies they
go to, the rules that route them, the SLA policies that time them, and the whistle (吹哨报到).

Writes go through `services.py`; the allowed moves of a case are the table in `workflow.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.crypto import EncryptedCharField, blind_index, normalise
from gongzhi.core.models import TimeStampedModel
from gongzhi.core.scope import ScopedManager
from gongzhi.population.identity import mask_phone
from gongzhi.territory.choices import OwnersOrganisation, PropertyManagement

from .choices import (
    BodyKind,
    Category,
    Channel,
    DurationUnit,
    Priority,
    Satisfaction,
    SlaPhase,
    State,
    Tier,
    WhistleReason,
)

CASE_SCOPE = {"district": "district_id", "street": "street_id", "community": "community_id", "grid": "grid_id"}
OPEN_STATES = [
    State.REPORTED,
    State.REGISTERED,
    State.DISPATCHED,
    State.RETURNED,
    State.ACCEPTED,
    State.PLANNED,
    State.SUSPENDED,
    State.HANDLED,
    State.VERIFIED,
]


class HandlingBody(TimeStampedModel):
    """处理主体: who handles a dispatched case — a mediation committee, a property company, the
    street's service centre, a district department. It serves one territory node at its tier."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=BodyKind.choices)
    tier = models.CharField(_("层级"), max_length=10, choices=Tier.choices)
    district = models.ForeignKey(
        "territory.District", verbose_name=_("区"), on_delete=models.PROTECT, related_name="handling_bodies"
    )
    street = models.ForeignKey(
        "territory.Street",
        verbose_name=_("街道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handling_bodies",
    )
    community = models.ForeignKey(
        "territory.Community",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handling_bodies",
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handling_bodies",
    )
    compounds = models.ManyToManyField(
        "territory.Compound", verbose_name=_("服务小区"), blank=True, related_name="handling_bodies"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("工作人员"), blank=True, related_name="handling_bodies"
    )
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = ScopedManager()
    scope_app = "cases"
    scope_lookups = CASE_SCOPE

    class Meta:
        verbose_name = _("处理主体")
        verbose_name_plural = pgettext_lazy("plural", "处理主体")
        ordering = ["district", "street", "community", "grid", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(tier=Tier.DISTRICT, street=None, community=None, grid=None)
                    | Q(tier=Tier.STREET, street__isnull=False, community=None, grid=None)
                    | Q(tier=Tier.COMMUNITY, street__isnull=False, community__isnull=False, grid=None)
                    | Q(tier=Tier.GRID, street__isnull=False, community__isnull=False, grid__isnull=False)
                ),
                name="cases_body_node_matches_tier",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(TimeStampedModel):
    """派单规则: category × territory × compound attributes → a handling body.

    The most specific matching rule wins (a community's rule beats its street's, which beats the
    district's, which beats a rule for everywhere; a rule with compound conditions beats one
    without); among equally specific rules the lowest tier wins (微事不出格、小事不出社区). A rule
    names a body, or a kind of body at a tier that is found near the case (the property company
    of the case's compound, the mediation committee of its community).
    """

    category = models.CharField(_("事项类别"), max_length=20, choices=Category.choices, db_index=True)
    district = models.ForeignKey(
        "territory.District", verbose_name=_("区"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    street = models.ForeignKey(
        "territory.Street", verbose_name=_("街道"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    community = models.ForeignKey(
        "territory.Community",
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    property_management = models.CharField(
        _("小区物业条件"), max_length=10, choices=PropertyManagement.choices, blank=True, help_text=_("留空表示不限")
    )
    owners_organisation = models.CharField(
        _("业主组织条件"), max_length=20, choices=OwnersOrganisation.choices, blank=True, help_text=_("留空表示不限")
    )
    body = models.ForeignKey(
        HandlingBody,
        verbose_name=_("指定处理主体"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
    )
    body_kind = models.CharField(_("处理主体类型"), max_length=24, choices=BodyKind.choices, blank=True)
    tier = models.CharField(_("层级"), max_length=10, choices=Tier.choices, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = ScopedManager()
    scope_app = "cases"
    scope_lookups = {"district": "district_id", "street": "street_id", "community": "community_id"}

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = pgettext_lazy("plural", "派单规则")
        ordering = ["category", "district", "street", "community", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(body__isnull=False, body_kind="") | (Q(body=None) & ~Q(body_kind="") & ~Q(tier=""))),
                name="cases_rule_body_or_kind",
            ),
        ]

    def __str__(self) -> str:
        target = str(self.body) if self.body_id else f"{self.get_tier_display()}{self.get_body_kind_display()}"
        return f"{self.get_category_display()} → {target}"


class SlaPolicy(TimeStampedModel):
    """时限标准 of one priority (and optionally one category): dispatch, accept, plan, resolve."""

    priority = models.CharField(_("紧急程度"), max_length=10, choices=Priority.choices)
    category = models.CharField(
        _("事项类别"), max_length=20, choices=Category.choices, blank=True, help_text=_("留空表示所有类别")
    )
    dispatch_amount = models.PositiveIntegerField(_("派遣时限"))
    dispatch_unit = models.CharField(_("派遣时限单位"), max_length=12, choices=DurationUnit.choices)
    accept_amount = models.PositiveIntegerField(_("签收时限"))
    accept_unit = models.CharField(_("签收时限单位"), max_length=12, choices=DurationUnit.choices)
    plan_amount = models.PositiveIntegerField(_("方案时限"))
    plan_unit = models.CharField(_("方案时限单位"), max_length=12, choices=DurationUnit.choices)
    resolve_amount = models.PositiveIntegerField(_("办结时限"))
    resolve_unit = models.CharField(_("办结时限单位"), max_length=12, choices=DurationUnit.choices)

    class Meta:
        verbose_name = _("时限标准")
        verbose_name_plural = pgettext_lazy("plural", "时限标准")
        ordering = ["priority", "category"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "category"], name="cases_sla_policy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()} {self.get_category_display() or _('所有类别')}"


class CalendarDay(models.Model):
    """An exception to the weekly calendar: a public holiday, or a weekend day worked (调休上班)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"), help_text=_("勾选表示调休上班，不勾选表示放假"))
    name = models.CharField(_("名称"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = pgettext_lazy("plural", "节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


# the columns the command centre's windowed counts read (gongzhi.command.figures), carried in the
# (district|street, reported_at|closed_at) indexes so that those counts are index-only scans
REPORTED_COVER = ["state", "category", "channel", "community", "grid", "first_dispatched_at"]
CLOSED_COVER = ["state", "satisfaction"]


def case_number(pk: int, local_day) -> str:
    """案卷号 from the id and the local date (or local time) of the report: 20261201-000123."""
    return f"{local_day:%Y%m%d}-{pk:06d}"


class Case(TimeStampedModel):
    """民情事项 (案卷): one resident's matter from intake to rating."""

    channel = models.CharField(_("来源渠道"), max_length=12, choices=Channel.choices)
    description = models.TextField(_("事项描述"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    # where it is (事在格中): the grid is required, the rest copied from it by the services
    # no single-column indexes on these (db_index=False): the (node, state) and (node, time) indexes
    # of Meta.indexes begin with the same column and serve every lookup by it, and every intake
    # would pay for updating both
    grid = models.ForeignKey(
        "territory.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    community = models.ForeignKey(
        "territory.Community",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="cases",
        editable=False,
        db_index=False,
    )
    street = models.ForeignKey(
        "territory.Street",
        verbose_name=_("街道"),
        on_delete=models.PROTECT,
        related_name="cases",
        editable=False,
        db_index=False,
    )
    district = models.ForeignKey(
        "territory.District",
        verbose_name=_("区"),
        on_delete=models.PROTECT,
        related_name="cases",
        editable=False,
        db_index=False,
    )
    compound = models.ForeignKey(
        "territory.Compound",
        verbose_name=_("小区"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    building = models.ForeignKey(
        "territory.Building",
        verbose_name=_("楼栋"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    # who reported it
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone = EncryptedCharField(_("反映人电话"), blank=True)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    resident = models.ForeignKey(
        "population.Resident",
        verbose_name=_("居民"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entered_cases",
    )
    # what it is and who holds it
    category = models.CharField(_("事项类别"), max_length=20, choices=Category.choices)
    category_confirmed = models.BooleanField(_("类别已确认"), default=False)
    suggestions = models.JSONField(_("智能分类建议"), default=list, blank=True)
    suggested_body = models.ForeignKey(
        HandlingBody,
        verbose_name=_("建议处理主体"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.CharField(_("紧急程度"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.REPORTED, db_index=True)
    tier = models.CharField(_("责任层级"), max_length=10, choices=Tier.choices, default=Tier.COMMUNITY)
    body = models.ForeignKey(
        HandlingBody,
        verbose_name=_("处理主体"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        db_index=False,  # (body, state) in Meta.indexes serves it
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("并入事项"), on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    resume_state = models.CharField(_("恢复状态"), max_length=12, choices=State.choices, blank=True, editable=False)
    # the clocks (deadlines are set by the services; states are derived from them and the time asked about)
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    first_dispatched_at = models.DateTimeField(_("首次派遣时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    planned_at = models.DateTimeField(_("方案时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, db_index=True)
    suspended_at = models.DateTimeField(_("缓办时间"), null=True, blank=True)
    dispatch_due = models.DateTimeField(_("派遣时限"), null=True, blank=True, db_index=True)
    accept_due = models.DateTimeField(_("签收时限"), null=True, blank=True)
    plan_due = models.DateTimeField(_("方案时限"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("办结时限"), null=True, blank=True, db_index=True)
    handled_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    # feedback (综合评价)
    solved = models.BooleanField(_("问题是否解决"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    # counters for the rates
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    reminder_count = models.PositiveSmallIntegerField(_("催办次数"), default=0)
    # optimistic concurrency: a form carries the version it showed; a stale one is a conflict
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = ScopedManager()
    scope_app = "cases"
    scope_lookups = CASE_SCOPE

    class Meta:
        verbose_name = _("民情事项")
        verbose_name_plural = pgettext_lazy("plural", "民情事项")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["street", "state"], name="cases_case_street_state_idx"),
            models.Index(fields=["community", "state"], name="cases_case_community_state_idx"),
            models.Index(fields=["grid", "state"], name="cases_case_grid_state_idx"),
            models.Index(fields=["body", "state"], name="cases_case_body_state_idx"),
            models.Index(fields=["category", "state"], name="cases_case_category_state_idx"),
            # the command centre and the assessment at city scale (gongzhi.command, gongzhi.assessment)
            models.Index(fields=["district", "state"], name="cases_case_district_state_idx"),
            # covering (PostgreSQL): the command centre's counts over a window of days are index-only
            # scans that never visit the table (a district's month: 18,000 rows, 6 ms instead of 100 ms)
            models.Index(
                fields=["district", "reported_at"], include=REPORTED_COVER, name="cases_case_district_rep_idx"
            ),
            models.Index(fields=["street", "reported_at"], include=REPORTED_COVER, name="cases_case_street_rep_idx"),
            models.Index(fields=["district", "closed_at"], include=CLOSED_COVER, name="cases_case_district_closed_idx"),
            models.Index(fields=["street", "closed_at"], include=CLOSED_COVER, name="cases_case_street_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_category_display()}"

    @property
    def number(self) -> str:
        """案卷号: report date and a sequence, e.g. 20261201-000123."""
        if self.pk is None:
            return ""
        from django.utils import timezone

        return case_number(self.pk, timezone.localtime(self.reported_at))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def reporter_phone_masked(self) -> str:
        return mask_phone(self.reporter_phone)

    def set_reporter_phone(self, value: str) -> None:
        self.reporter_phone = normalise(value)
        self.reporter_phone_hash = blind_index(value, "phone") if value else ""


class Dispatch(models.Model):
    """One dispatch of a case to a body (派遣), with what the body did with it: the facts behind
    each body's response rate and its returns (退单)."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="dispatches")
    body = models.ForeignKey(HandlingBody, verbose_name=_("处理主体"), on_delete=models.PROTECT, related_name="+")
    dispatched_at = models.DateTimeField(_("派遣时间"), db_index=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派遣人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accept_due = models.DateTimeField(_("签收时限"))
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退单时间"), null=True, blank=True)
    return_reason = models.CharField(_("退单理由"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("派遣记录")
        verbose_name_plural = pgettext_lazy("plural", "派遣记录")
        ordering = ["case", "dispatched_at", "pk"]
        indexes = [models.Index(fields=["body", "dispatched_at"], name="cases_dispatch_body_time_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.body_id}"


class CaseEvent(models.Model):
    """One step in a case's timeline: who did what, when, with a note and attachments."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_events",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150)
    action = models.CharField(_("动作"), max_length=24)
    from_state = models.CharField(_("原状态"), max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, choices=State.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    public = models.BooleanField(_("反映人可见"), default=True)

    class Meta:
        verbose_name = _("事项流转记录")
        verbose_name_plural = pgettext_lazy("plural", "事项流转记录")
        ordering = ["case", "time", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.time:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"cases/{instance.case_id}/{uuid.uuid4().hex}.{ext}"


class Attachment(models.Model):
    """A photo (or document) attached to a case event: the evidence of a report or of handling."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("流转记录"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path)
    content_type = models.CharField(_("文件类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    time = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = pgettext_lazy("plural", "附件")
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return self.file.name


class Reminder(models.Model):
    """催办: one reminder for one overdue phase of a case (at most one per phase and deadline)."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="reminders")
    phase = models.CharField(_("时限"), max_length=10, choices=SlaPhase.choices)
    due = models.DateTimeField(_("到期时间"))
    time = models.DateTimeField(_("催办时间"))
    escalated = models.BooleanField(_("已自动上报"), default=False)

    class Meta:
        verbose_name = _("催办记录")
        verbose_name_plural = pgettext_lazy("plural", "催办记录")
        ordering = ["-time"]
        constraints = [models.UniqueConstraint(fields=["case", "phase", "due"], name="cases_reminder_once")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.phase} {self.due}"


class Whistle(models.Model):
    """吹哨: a community or street summons departments to a case; each must report in (报到)."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="whistles")
    reason = models.CharField(_("吹哨事由"), max_length=20, choices=WhistleReason.choices)
    note = models.TextField(_("情况说明"))
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT, related_name="+"
    )
    blown_at = models.DateTimeField(_("吹哨时间"), db_index=True)
    tier = models.CharField(_("吹哨层级"), max_length=10, choices=Tier.choices)
    report_minutes = models.PositiveIntegerField(_("报到时限（分钟）"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # where, copied from the case, so whistles are scoped like cases
    grid_id = models.BigIntegerField(db_index=True, editable=False)
    community_id = models.BigIntegerField(db_index=True, editable=False)
    street_id = models.BigIntegerField(db_index=True, editable=False)
    district_id = models.BigIntegerField(db_index=True, editable=False)

    objects = ScopedManager()
    scope_app = "cases"
    scope_lookups = CASE_SCOPE

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = pgettext_lazy("plural", "吹哨")
        ordering = ["-blown_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_reason_display()}"


class Summons(models.Model):
    """One department summoned by a whistle: when it must report in, when it did, how it was rated."""

    whistle = models.ForeignKey(Whistle, verbose_name=_("吹哨"), on_delete=models.CASCADE, related_name="summonses")
    body = models.ForeignKey(
        HandlingBody, verbose_name=_("报到部门"), on_delete=models.PROTECT, related_name="summonses"
    )
    due_at = models.DateTimeField(_("报到时限"))
    arrived_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报到人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    arrival_note = models.CharField(_("报到说明"), max_length=300, blank=True)
    reminded_at = models.DateTimeField(_("催报时间"), null=True, blank=True, editable=False)
    score = models.PositiveSmallIntegerField(_("街道评价（1–5分）"), null=True, blank=True)
    evaluation = models.CharField(_("评价意见"), max_length=300, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("报到")
        verbose_name_plural = pgettext_lazy("plural", "报到")
        ordering = ["whistle", "pk"]
        constraints = [models.UniqueConstraint(fields=["whistle", "body"], name="cases_summons_once")]

    def __str__(self) -> str:
        return f"{self.whistle_id} {self.body_id}"

    @property
    def late(self) -> bool | None:
        """Arrived after the deadline (None while not arrived: lateness then depends on the time)."""
        return None if self.arrived_at is None else self.arrived_at > self.due_at


class Notification(models.Model):
    """An in-app message to one user about a case (also pushed over the WebSocket)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("事项"), on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=24)
    message = models.CharField(_("内容"), max_length=300)
    time = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = pgettext_lazy("plural", "消息")
        ordering = ["-time", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="cases_notification_unread_idx")]

    def __str__(self) -> str:
        return self.message
