"""Assessment pages: the month's scorecards, the ranking board and the printable monthly report."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from gongzhi.accounts.roles import ASSESSMENT_ADMIN, ASSESSMENT_VIEW
from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import ScopePermissionMixin
from gongzhi.territory.models import LEVEL_MODELS, District

from . import services
from .choices import AreaLevel, PeriodStatus, RankingKind
from .models import AssessmentMonth, BodyScore
from .ranking import Period, available_periods, parse_period, ranking, scope_filter

KIND_LABELS = {
    RankingKind.COMMUNITY: gettext_lazy("社区"),
    RankingKind.GRID: gettext_lazy("网格"),
    RankingKind.WORKER: gettext_lazy("网格员"),
    RankingKind.BODY: gettext_lazy("处理主体"),
}


def user_district(request) -> District:
    """The district whose assessment the viewer reads: ?district= (superusers) or their own."""
    user = request.user
    if user.is_superuser:
        code = request.GET.get("district")
        district = District.objects.filter(code=code).first() if code else District.objects.order_by("code").first()
        if district is None:
            raise Http404
        return district
    nodes = user.scope_nodes(ASSESSMENT_VIEW)
    for level in ("district", "street", "community", "grid", "building"):
        ids = sorted(nodes.get(level, ()))
        if ids:
            node = LEVEL_MODELS[level].objects.filter(pk=ids[0]).first()
            if node is not None:
                return node if level == "district" else node.district
    raise Http404


def case_link(params: dict) -> str:
    return reverse("cases:list") + "?" + urlencode({k: v for k, v in params.items() if v is not None})


class AssessmentBase(ScopePermissionMixin, TemplateView):
    permission = ASSESSMENT_VIEW

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_scope_perm(self.permission):
            self.district = user_district(request)
        return super().dispatch(request, *args, **kwargs)

    def is_admin(self) -> bool:
        user = self.request.user
        return user.is_superuser or self.district.pk in user.scope_nodes(ASSESSMENT_ADMIN).get("district", set())


class ScorecardView(AssessmentBase):
    """月度考核: one month's scorecards of handling bodies, communities, grids and grid workers."""

    template_name = "assessment/scorecards.html"

    def month(self) -> datetime.date:
        period = parse_period(self.request.GET.get("month"))
        if period is not None and period.month is not None:
            return period.first_day
        # the latest complete month computed (the running month is one click away in the month list)
        current = timezone.localdate().replace(day=1)
        months = AssessmentMonth.objects.filter(district=self.district).order_by("-month")
        latest = months.filter(month__lt=current).first() or months.first()
        return latest.month if latest else current

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        month = self.month()
        period = AssessmentMonth.objects.filter(district=self.district, month=month).first()
        first, last = month, services.last_day(month)
        window = {"since": first.isoformat(), "until": last.isoformat(), "as_of": last.isoformat()}
        visible = scope_filter(self.request.user, self.district.pk)
        bodies = areas = workers = []
        if period is not None:
            bodies = list(BodyScore.objects.filter(period=period).select_related("body").order_by("rank", "body__name"))
            area_qs = period.areas.order_by("level", "rank", "name")
            worker_qs = period.workers.select_related("grid").order_by("rank", "name")
            if visible is not None:
                area_qs, worker_qs = area_qs.filter(visible), worker_qs.filter(visible)
            areas, workers = list(area_qs), list(worker_qs)
        for b in bodies:
            b.links = {m: case_link({"body": b.body_id, **window, "measure": m}) for m in MEASURE_LINKS}  # type: ignore[attr-defined]
        for a in areas:
            a.links = {m: case_link({a.level: a.node_id, **window, "measure": m}) for m in MEASURE_LINKS}  # type: ignore[attr-defined]
        for w in workers:
            w.links = {  # type: ignore[attr-defined]
                "closed": case_link(
                    {"grid": w.grid_id, "since": window["since"], "until": window["until"], "state": "closed"}
                ),
                "in_grid": case_link(
                    {
                        "grid": w.grid_id,
                        "since": window["since"],
                        "until": window["until"],
                        "state": "closed",
                        "tier": "grid",
                    }
                ),
                "problems": case_link(
                    {"grid": w.grid_id, "since": window["since"], "until": window["until"], "channel": "grid_app"}
                ),
                "patrols": reverse("grids:patrol-hours") + "?" + urlencode({"month": f"{month:%Y-%m}"}),
            }
        ctx.update(
            district=self.district,
            month=month,
            period=period,
            months=list(AssessmentMonth.objects.filter(district=self.district).order_by("-month")),
            bodies=bodies,
            communities=[a for a in areas if a.level == AreaLevel.COMMUNITY],
            grids=[a for a in areas if a.level == AreaLevel.GRID],
            streets=[a for a in areas if a.level == AreaLevel.STREET],
            workers=workers,
            is_admin=self.is_admin(),
            weights=(period.weights if period else None) or services.weights_for(self.district.pk),
            errors=kwargs.get("errors"),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.is_admin():
            raise Http404
        month = self.month()
        now = timezone.now()
        try:
            if request.POST.get("action") == "close":
                period = AssessmentMonth.objects.filter(district=self.district, month=month).first()
                if period is None:
                    raise ValidationError(_("该月尚未计算。"))
                services.close_month(period, actor=request.user, now=now)
                messages.success(request, _("%(month)s 已关账，考核结果不再变动。") % {"month": f"{month:%Y-%m}"})
            else:
                outcomes = services.assess_month(month=month, now=now, district=self.district, actor=request.user)
                if not outcomes:
                    raise ValidationError(_("%(month)s 已关账，不能重新计算。") % {"month": f"{month:%Y-%m}"})
                messages.success(request, _("已重新计算 %(month)s。") % {"month": f"{month:%Y-%m}"})
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=exc.messages), status=400)
        return redirect(reverse("assessment:scorecards") + f"?month={month:%Y-%m}")


MEASURE_LINKS = (
    "dispatches",
    "responded",
    "rated",
    "solved",
    "satisfied",
    "due",
    "closed",
    "closed_on_time",
    "reworked",
)


class RankingView(AssessmentBase):
    """实绩一榜统揽: communities, grids, grid workers or handling bodies ranked for a month or quarter."""

    template_name = "assessment/ranking.html"

    def choices(self) -> tuple[str, Period | None, list[Period]]:
        kind = self.request.GET.get("kind") or RankingKind.COMMUNITY
        if kind not in RankingKind.values:
            raise Http404
        periods = available_periods(self.district.pk)
        period = parse_period(self.request.GET.get("period")) or default_period(self.district.pk, periods)
        return kind, period, periods

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            kind, period, _periods = self.choices()
            rows = ranking(kind, self.district.pk, period, request.user) if period else []
            return xlsx_response(
                _("%(period)s%(kind)s排名") % {"period": period.label if period else "", "kind": KIND_LABELS[kind]},
                [_("排名"), _("名次变化"), _("名称"), _("综合得分"), _("得分变化"), *self.rate_headers(kind)],
                ([r.rank, r.rank_change, r.name, r.score, r.score_change, *self.rate_values(kind, r)] for r in rows),
                stem=f"ranking-{kind}",
            )
        return super().get(request, *args, **kwargs)

    @staticmethod
    def rate_headers(kind: str) -> list:
        if kind == RankingKind.WORKER:
            return [_("网格"), _("巡查达标率"), _("格内解决率"), _("走访及时率"), _("巡查分钟"), _("发现问题")]
        return [_("事项"), _("响应率"), _("解决率"), _("满意率"), _("结案率"), _("按期结案率"), _("返工率")]

    @staticmethod
    def rate_values(kind: str, row) -> list:
        c = row.counts
        if kind == RankingKind.WORKER:
            return [
                row.extra.get("grid"),
                c.patrol_rate,
                c.in_grid_rate,
                c.visit_rate,
                c.patrol_minutes,
                c.problems_found,
            ]
        return [
            c.cases,
            c.response_rate,
            c.resolution_rate,
            c.satisfaction_rate,
            c.closure_rate,
            c.on_time_rate,
            c.rework_rate,
        ]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        kind, period, periods = self.choices()
        rows = ranking(kind, self.district.pk, period, self.request.user) if period else []
        ctx.update(
            district=self.district,
            kind=kind,
            kinds=[(k, KIND_LABELS[k]) for k in RankingKind.values],
            period=period,
            periods=periods,
            rows=rows,
        )
        return ctx


def default_period(district_id: int, periods: list[Period]) -> Period | None:
    """The latest complete month with figures (the board is read for a month that has ended: the
    running month has only its first days), else the latest month with figures, else the latest
    period."""
    with_rows = set(
        AssessmentMonth.objects.filter(district_id=district_id, areas__isnull=False).values_list("month", flat=True)
    )
    current = timezone.localdate().replace(day=1)
    months = [p for p in periods if p.month is not None and p.first_day in with_rows]
    for p in months:
        if p.first_day < current:
            return p
    if months:
        return months[0]
    return periods[0] if periods else None


class ReportView(AssessmentBase):
    """The printable monthly report (A4): the month's figures, rankings and charts."""

    template_name = "assessment/report.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        period_arg = parse_period(self.request.GET.get("month"))
        if period_arg is not None and period_arg.month is not None:
            month = period_arg.first_day
        else:
            latest = default_period(self.district.pk, available_periods(self.district.pk))
            if latest is None:
                raise Http404
            month = latest.first_day
        period = Period(month.year, month.month)
        assessment = AssessmentMonth.objects.filter(district=self.district, month=month).first()
        communities = ranking(RankingKind.COMMUNITY, self.district.pk, period, self.request.user)
        bodies = ranking(RankingKind.BODY, self.district.pk, period, self.request.user)
        workers = ranking(RankingKind.WORKER, self.district.pk, period, self.request.user)
        totals = None
        if assessment is not None:
            totals = assessment.areas.filter(level=AreaLevel.STREET)
            visible = scope_filter(self.request.user, self.district.pk)
            if visible is not None:
                totals = totals.filter(visible)
        chart = {
            "names": [r.name for r in communities],
            "scores": [r.score for r in communities],
            "response": [r.counts.response_rate for r in communities],
            "resolution": [r.counts.resolution_rate for r in communities],
            "satisfaction": [r.counts.satisfaction_rate for r in communities],
        }
        ctx.update(
            district=self.district,
            period=period,
            assessment=assessment,
            communities=communities,
            bodies=bodies if len(bodies) <= 20 else bodies[:15],
            bodies_bottom=[b for b in bodies[15:] if b.rank is not None][-5:] if len(bodies) > 20 else [],
            workers_top=workers[:10],
            workers_bottom=[w for w in workers[10:] if w.rank is not None][-10:] if len(workers) > 20 else [],
            streets=list(totals) if totals is not None else [],
            chart=chart,
            printed=timezone.localtime(),
            status_closed=assessment is not None and assessment.status == PeriodStatus.CLOSED,
        )
        return ctx
