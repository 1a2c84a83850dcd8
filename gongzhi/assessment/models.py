"""Monthly assessment (考核): snapshot rows of the rates and scores, one set per district and month.

A month is computed by `services.assess_month` (a periodic job) into these rows; while the month
is open a recomputation replaces them (idempotent: the same facts give the same rows); once it is
closed (关账) the rows never change. Every figure keeps its counts, so a quarter is summed from
its months and every rate links to the cases it counts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import AreaLevel, PeriodStatus

WEIGHT = [MinValueValidator(0), MaxValueValidator(100)]


class AssessmentConfig(models.Model):
    """A district's weights. Without a row the defaults apply (30/35/35; workers 40/30/30)."""

    district = models.OneToOneField(
        "territory.District", verbose_name=_("区"), on_delete=models.CASCADE, related_name="assessment_config"
    )
    weight_response = models.PositiveSmallIntegerField(_("响应率权重"), default=30, validators=WEIGHT)
    weight_resolution = models.PositiveSmallIntegerField(_("解决率权重"), default=35, validators=WEIGHT)
    weight_satisfaction = models.PositiveSmallIntegerField(_("满意率权重"), default=35, validators=WEIGHT)
    weight_patrol = models.PositiveSmallIntegerField(_("巡查达标率权重"), default=40, validators=WEIGHT)
    weight_visits = models.PositiveSmallIntegerField(_("走访及时率权重"), default=30, validators=WEIGHT)
    weight_in_grid = models.PositiveSmallIntegerField(_("格内解决率权重"), default=30, validators=WEIGHT)

    class Meta:
        verbose_name = _("考核权重")
        verbose_name_plural = pgettext_lazy("plural", "考核权重")

    def __str__(self) -> str:
        return f"{self.district} {self.weight_response}/{self.weight_resolution}/{self.weight_satisfaction}"

    def audit_scope(self) -> dict[str, int | None]:
        return {"district_id": self.district_id, "street_id": None, "community_id": None, "grid_id": None}


class AssessmentMonth(models.Model):
    """One district's month: open while it may still be recomputed, closed (关账) for good."""

    district = models.ForeignKey(
        "territory.District", verbose_name=_("区"), on_delete=models.PROTECT, related_name="assessment_months"
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    status = models.CharField(_("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    as_of = models.DateTimeField(_("统计截至"), null=True, blank=True)
    weights = models.JSONField(_("所用权重"), default=dict)
    closed_at = models.DateTimeField(_("关账时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关账人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("考核月")
        verbose_name_plural = pgettext_lazy("plural", "考核月")
        ordering = ["-month", "district"]
        constraints = [models.UniqueConstraint(fields=["district", "month"], name="assessment_month_unique")]

    def __str__(self) -> str:
        return f"{self.district} {self.month:%Y-%m}"

    def audit_scope(self) -> dict[str, int | None]:
        return {"district_id": self.district_id, "street_id": None, "community_id": None, "grid_id": None}


class RateCounts(models.Model):
    """The counts behind the six rates (gongzhi.cases.metrics) and the rates and score from them."""

    cases = models.PositiveIntegerField(_("事项"), default=0)
    dispatches = models.PositiveIntegerField(_("派遣"), default=0)
    responded = models.PositiveIntegerField(_("按时响应"), default=0)
    rated = models.PositiveIntegerField(_("已评价"), default=0)
    solved = models.PositiveIntegerField(_("已解决"), default=0)
    satisfied = models.PositiveIntegerField(_("满意或基本满意"), default=0)
    due = models.PositiveIntegerField(_("应结案"), default=0)
    suspended = models.PositiveIntegerField(_("缓办"), default=0)
    closed = models.PositiveIntegerField(_("已结案"), default=0)
    closed_on_time = models.PositiveIntegerField(_("按期结案"), default=0)
    handled = models.PositiveIntegerField(_("已办理"), default=0)
    reworked = models.PositiveIntegerField(_("返工"), default=0)
    response_rate = models.FloatField(_("响应率"), null=True, blank=True)
    resolution_rate = models.FloatField(_("解决率"), null=True, blank=True)
    satisfaction_rate = models.FloatField(_("满意率"), null=True, blank=True)
    closure_rate = models.FloatField(_("结案率"), null=True, blank=True)
    on_time_rate = models.FloatField(_("按期结案率"), null=True, blank=True)
    rework_rate = models.FloatField(_("返工率"), null=True, blank=True)
    score = models.FloatField(_("综合得分"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)

    COUNT_FIELDS = (
        "cases",
        "dispatches",
        "responded",
        "rated",
        "solved",
        "satisfied",
        "due",
        "suspended",
        "closed",
        "closed_on_time",
        "handled",
        "reworked",
    )

    class Meta:
        abstract = True


class BodyScore(RateCounts):
    """A handling body's month (处理主体考核)."""

    period = models.ForeignKey(
        AssessmentMonth, verbose_name=_("考核月"), on_delete=models.CASCADE, related_name="bodies"
    )
    body = models.ForeignKey(
        "cases.HandlingBody", verbose_name=_("处理主体"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("处理主体得分")
        verbose_name_plural = pgettext_lazy("plural", "处理主体得分")
        ordering = ["period", "rank", "body"]
        constraints = [models.UniqueConstraint(fields=["period", "body"], name="assessment_body_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.body_id} {self.score}"


class AreaScore(RateCounts):
    """A street's, community's or grid's month: the rates of the cases reported there."""

    period = models.ForeignKey(
        AssessmentMonth, verbose_name=_("考核月"), on_delete=models.CASCADE, related_name="areas"
    )
    level = models.CharField(_("层级"), max_length=10, choices=AreaLevel.choices)
    node_id = models.PositiveBigIntegerField(_("区域编号"))
    name = models.CharField(_("名称"), max_length=100)
    street_id = models.PositiveBigIntegerField(_("街道"), db_index=True)
    community_id = models.PositiveBigIntegerField(_("社区"), null=True, blank=True, db_index=True)
    grid_id = models.PositiveBigIntegerField(_("网格"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("区域得分")
        verbose_name_plural = pgettext_lazy("plural", "区域得分")
        ordering = ["period", "level", "rank", "node_id"]
        constraints = [models.UniqueConstraint(fields=["period", "level", "node_id"], name="assessment_area_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.level} {self.name} {self.score}"


class WorkerScore(models.Model):
    """A grid worker's month (网格员考核): patrols, problems found, cases solved in the grid, visits."""

    period = models.ForeignKey(
        AssessmentMonth, verbose_name=_("考核月"), on_delete=models.CASCADE, related_name="workers"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=150)
    grid = models.ForeignKey("territory.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    street_id = models.PositiveBigIntegerField(_("街道"), db_index=True)
    community_id = models.PositiveBigIntegerField(_("社区"), db_index=True)
    patrol_minutes = models.PositiveIntegerField(_("巡查分钟"), default=0)
    patrols = models.PositiveIntegerField(_("巡查次数"), default=0)
    patrol_days_met = models.PositiveIntegerField(_("达标天数"), default=0)
    patrol_due_days = models.PositiveIntegerField(_("应巡查天数"), default=0)
    problems_found = models.PositiveIntegerField(_("发现问题"), default=0)
    grid_closed = models.PositiveIntegerField(_("网格结案"), default=0)
    closed_in_grid = models.PositiveIntegerField(_("格内解决"), default=0)
    visits_due = models.PositiveIntegerField(_("应走访对象"), default=0)
    visits_on_time = models.PositiveIntegerField(_("按时走访对象"), default=0)
    patrol_rate = models.FloatField(_("巡查达标率"), null=True, blank=True)
    in_grid_rate = models.FloatField(_("格内解决率"), null=True, blank=True)
    visit_rate = models.FloatField(_("走访及时率"), null=True, blank=True)
    score = models.FloatField(_("综合得分"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)

    COUNT_FIELDS = (
        "patrol_minutes",
        "patrols",
        "patrol_days_met",
        "patrol_due_days",
        "problems_found",
        "grid_closed",
        "closed_in_grid",
        "visits_due",
        "visits_on_time",
    )

    class Meta:
        verbose_name = _("网格员得分")
        verbose_name_plural = pgettext_lazy("plural", "网格员得分")
        ordering = ["period", "rank", "name"]
        constraints = [models.UniqueConstraint(fields=["period", "worker", "grid"], name="assessment_worker_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.name} {self.score}"
