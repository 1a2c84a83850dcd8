"""Patrol pages (日巡查、日走访): the grid worker's phone page that walks a patrol, the list of
patrols with its Excel export, one patrol on a map, and the monthly hours per worker against the
daily standard.

Every write happens in `patrols.submit_patrol` through the API the phone page calls; these pages
only read, starting from `patrols.visible_patrols(user)` (out of scope → 404).
"""

from __future__ import annotations

import datetime
import re

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from gongzhi.accounts.models import User
from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import paginate
from gongzhi.territory.models import Grid

from . import patrols
from .choices import EntryKind, PatrolStatus
from .models import PatrolEntry

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
MAX_WALK_GRIDS = 200


class PatrolPageMixin(LoginRequiredMixin):
    """Anonymous → login; signed in without territory.view or grids.patrol → 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not patrols.may_see_patrols(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


class PatrolListView(PatrolPageMixin, TemplateView):
    """巡查记录: the patrols in scope, newest first, filtered by grid, worker, status and dates."""

    template_name = "grids/patrol_list.html"

    def filtered(self):
        visible = patrols.visible_patrols(self.request.user)
        filters = patrols.PatrolFilterSet(self.request.GET or None, queryset=visible)
        self.filter_errors = filters.errors if filters.is_bound else {}
        return filters.qs

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            return self.export()
        return super().get(request, *args, **kwargs)

    def export(self):
        rows = (
            patrols.with_counts(self.filtered())
            .select_related("worker", "grid", "community")
            .order_by("-started_at", "-pk")
        )
        headers = [
            _("开始时间"),
            _("结束时间"),
            _("巡查人"),
            _("网格"),
            _("社区"),
            _("状态"),
            _("时长（分钟）"),
            _("里程（米）"),
            _("记录数"),
            _("发现问题"),
            _("巡查小结"),
        ]

        def lines():
            for p in rows.iterator(chunk_size=500):
                yield [
                    timezone.localtime(p.started_at).strftime("%Y-%m-%d %H:%M"),
                    timezone.localtime(p.ended_at).strftime("%Y-%m-%d %H:%M") if p.ended_at else "",
                    p.worker.get_full_name() or p.worker.username,
                    p.grid.name,
                    p.community.name,
                    p.get_status_display(),
                    p.duration_minutes,
                    p.distance_m,
                    p.entry_count,
                    p.problem_count,
                    p.note,
                ]

        return xlsx_response(_("巡查台账"), headers, lines(), stem="patrols")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, params = self.request.user, self.request.GET
        listed = (
            patrols.with_counts(self.filtered())
            .select_related("worker", "grid", "community")
            .order_by("-started_at", "-pk")
        )
        page = paginate(self.request, listed)
        visible = patrols.visible_patrols(user)
        ctx.update(
            page=page,
            rows=list(page),
            errors=self.filter_errors,
            grids=Grid.objects.restrict(user).order_by("code").only("pk", "name")[:500],
            workers=User.objects.filter(pk__in=visible.values("worker_id")).order_by("display_name", "username"),
            statuses=PatrolStatus.choices,
            params=params,
            may_walk=patrols.may_patrol(user),
        )
        return ctx


def map_data(patrol, entries) -> dict:
    """What the detail page's map draws: the route ([lon, lat, unix_s, accuracy] points), the
    entries as GeoJSON points and the grid's boundary."""
    return {
        "route": patrol.route or [],
        "entries": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
                "properties": {"kind": e.kind, "label": str(e.get_kind_display()), "text": e.text[:80]},
            }
            for e in entries
            if e.lon is not None and e.lat is not None
        ],
        "grid": patrol.grid.geometry,
        "max_accuracy": patrols.MAX_ACCURACY_M,
    }


class PatrolDetailView(PatrolPageMixin, TemplateView):
    """One patrol: figures, the route and entries on a map, the entries with photos and cases."""

    template_name = "grids/patrol_detail.html"

    def get_context_data(self, **kwargs):
        from gongzhi.cases.services import visible_cases

        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        patrol = get_object_or_404(
            patrols.visible_patrols(user)
            .select_related("worker", "grid", "community", "street")
            .prefetch_related(Prefetch("entries", queryset=PatrolEntry.objects.select_related("case"))),
            pk=kwargs["pk"],
        )
        entries = list(patrol.entries.all())
        case_ids = [e.case_id for e in entries if e.case_id]
        open_cases = set(visible_cases(user).filter(pk__in=case_ids).values_list("pk", flat=True) if case_ids else [])
        route = patrol.route or []
        ctx.update(
            patrol=patrol,
            entries=entries,
            open_cases=open_cases,
            map_data=map_data(patrol, entries),
            route_points=len(route),
            rough_points=sum(1 for p in route if p[3] is not None and p[3] > patrols.MAX_ACCURACY_M),
            problems=sum(1 for e in entries if e.kind == EntryKind.PROBLEM),
            duration=patrols.hours_text(patrol.duration_minutes) if patrol.ended_at else "",
            is_own=patrol.worker_id == user.pk,
        )
        return ctx


def parse_month(value: str, today: datetime.date) -> tuple[int, int]:
    match = MONTH.match((value or "").strip())
    if match and 2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    return today.year, today.month


class PatrolHoursView(PatrolPageMixin, TemplateView):
    """巡查时长: per worker for a month — minutes (overlaps once), patrols, distance, problems found,
    the days meeting the daily standard and the shortfall on the due (working) days; one worker's
    days below."""

    template_name = "grids/patrol_hours.html"

    def report(self):
        from gongzhi.cases.services import calendar as work_calendar

        params = self.request.GET
        now = timezone.now()
        year, month = parse_month(params.get("month", ""), timezone.localdate(now))
        grid_id = _int(params.get("grid"))
        rows = patrols.hours_report(
            self.request.user,
            year=year,
            month=month,
            now=now,
            grid_id=grid_id,
            is_due=work_calendar().is_workday,
        )
        return year, month, grid_id, rows

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            year, month, _grid, rows = self.report()
            headers = [
                _("巡查人"),
                _("网格"),
                _("每日标准（分钟）"),
                _("巡查时长（分钟）"),
                _("巡查时长（小时）"),
                _("巡查次数"),
                _("里程（米）"),
                _("发现问题"),
                _("达标天数"),
                _("应巡查天数"),
                _("差额（分钟）"),
            ]
            lines = (
                [
                    r.worker.get_full_name() or r.worker.username,
                    "、".join(r.grids),
                    r.figures.standard,
                    r.figures.minutes,
                    round(r.figures.minutes / 60, 2),
                    r.figures.count,
                    r.figures.distance_m,
                    r.figures.problems,
                    r.figures.days_met,
                    r.figures.due_days,
                    r.figures.shortfall_minutes,
                ]
                for r in rows
            )
            return xlsx_response(_("巡查时长 %(month)s") % {"month": f"{year}-{month:02d}"}, headers, lines, "hours")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year, month, grid_id, rows = self.report()
        first = datetime.date(year, month, 1)
        previous = first - datetime.timedelta(days=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        chosen = _int(self.request.GET.get("worker"))
        selected = next((r for r in rows if r.worker.pk == chosen), None)
        ctx.update(
            rows=rows,
            month=f"{year}-{month:02d}",
            month_label=_("%(year)s年%(month)s月") % {"year": year, "month": month},
            previous=f"{previous.year}-{previous.month:02d}",
            following=f"{following.year}-{following.month:02d}" if following <= timezone.localdate() else "",
            grid_id=grid_id,
            grids=Grid.objects.restrict(self.request.user).order_by("code").only("pk", "name")[:500],
            selected=selected,
            days=list(reversed(selected.figures.days)) if selected else [],
            met_count=sum(1 for r in rows if r.figures.due_days and not r.figures.shortfall_minutes),
            standard_default=patrols.DEFAULT_PATROL_MINUTES,
            params=self.request.GET,
            may_walk=patrols.may_patrol(self.request.user),
        )
        return ctx


class WalkView(LoginRequiredMixin, TemplateView):
    """The grid worker's phone page: start, record the route, add notes, visits and problems, end.
    The patrol lives in the phone's localStorage until the server has confirmed all of it."""

    template_name = "grids/patrol_walk.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not patrols.may_patrol(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        grids = list(patrols.patrol_grids(user).order_by("code").values("id", "name", "geometry")[:MAX_WALK_GRIDS])
        default = patrols.default_grid(user)
        ctx.update(
            grids=grids,
            grid_data={"grids": grids, "default": default.pk if default else None},
            default_grid=default,
            api_url=reverse("grids-patrol-list"),
            detail_url=reverse("grids:patrol-detail", args=[0]).replace("/0/", "/{id}/"),
            max_accuracy=patrols.MAX_ACCURACY_M,
            max_speed=patrols.MAX_SPEED_KMH,
            max_points=patrols.MAX_ROUTE_POINTS,
        )
        return ctx
