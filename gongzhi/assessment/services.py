"""Monthly assessment (考核): compute a district's month into snapshot rows, close it, set weights.

- Handling bodies, streets, communities and grids: the six rates of gongzhi.cases.metrics over the
  cases reported in the month, judged at the month's end (or now, for the running month), and a
  composite score = weighted mean of 响应率, 解决率 and 满意率 (default 30/35/35) over the rates
  that exist (a rate with no denominator leaves the score to the others).
- Grid workers (the full-time workers on the grid staff during the month): patrol days meeting
  the daily standard ÷ working days due, cases of their grid closed at the grid tier ÷ cases of
  their grid closed (格内解决率), care files in their grid visited on schedule all month ÷ open care
  files (走访及时率), and the problems they found (cases they reported from the grid app); score =
  weighted mean (default 40/30/30).

`assess_month` replaces the rows of an open month in one transaction (the same facts give the
same rows); a closed month is never touched again.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction

from .choices import AreaLevel, PeriodStatus
from .models import AreaScore, AssessmentConfig, AssessmentMonth, BodyScore, RateCounts, WorkerScore

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_WEIGHTS = {
    "response": 30,
    "resolution": 35,
    "satisfaction": 35,
    "patrol": 40,
    "visits": 30,
    "in_grid": 30,
}
# the weights' names and the AssessmentConfig fields that hold them
WEIGHT_FIELDS = {key: f"weight_{key}" for key in DEFAULT_WEIGHTS}
BODY_RATES = {"response": "response_rate", "resolution": "resolution_rate", "satisfaction": "satisfaction_rate"}
WORKER_RATES = {"patrol": "patrol_rate", "visits": "visit_rate", "in_grid": "in_grid_rate"}


# --- pure helpers ----------------------------------------------------------------------------------


def first_of_month(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def month_window(month: datetime.date, tz: ZoneInfo = SHANGHAI) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of a calendar month in local time (the patrol hours' own month bounds)."""
    from gongzhi.grids.patrols import month_bounds

    return month_bounds(month.year, month.month, tz)


def last_day(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def composite(rates: Mapping[str, float | None], weights: Mapping[str, int]) -> float | None:
    """Σ wᵢ·rateᵢ ÷ Σ wᵢ over the rates that exist, as a score out of 100 (None when none exists)."""
    parts = [(weights[k], v) for k, v in rates.items() if v is not None and weights.get(k, 0) > 0]
    total = sum(w for w, _v in parts)
    if not total:
        return None
    return round(100 * sum(w * v for w, v in parts) / total, 2)


def competition_ranks(scores: Iterable[float | None]) -> list[int | None]:
    """1, 2, 2, 4 …: equal scores share a rank; no score, no rank."""
    values = list(scores)
    ordered = sorted((v for v in values if v is not None), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return [first[v] if v is not None else None for v in values]


def fill_rates(row: RateCounts, weights: Mapping[str, int]) -> None:
    """Rates and score of a row from its counts (the formulas of gongzhi.cases.metrics)."""
    row.response_rate = ratio(row.responded, row.dispatches)
    row.resolution_rate = ratio(row.solved, row.rated)
    row.satisfaction_rate = ratio(row.satisfied, row.rated)
    row.closure_rate = ratio(row.closed, row.due - row.suspended)
    row.on_time_rate = ratio(row.closed_on_time, row.due - row.suspended)
    row.rework_rate = ratio(row.reworked, row.handled)
    row.score = composite({k: getattr(row, f) for k, f in BODY_RATES.items()}, weights)


def fill_worker_rates(row: WorkerScore, weights: Mapping[str, int]) -> None:
    row.patrol_rate = ratio(min(row.patrol_days_met, row.patrol_due_days), row.patrol_due_days)
    row.in_grid_rate = ratio(row.closed_in_grid, row.grid_closed)
    row.visit_rate = ratio(row.visits_on_time, row.visits_due)
    row.score = composite({k: getattr(row, f) for k, f in WORKER_RATES.items()}, weights)


def kept_schedule(
    visits: list[datetime.date], *, since: datetime.date, start: datetime.date, end: datetime.date, interval: int
) -> bool:
    """True when no gap between visits (from `since`, the last visit or the opening before the month)
    exceeds `interval` days anywhere in [start, end]."""
    previous = since
    for day in sorted(v for v in visits if start <= v <= end):
        if (day - previous).days > interval:
            return False
        previous = day
    return (end - previous).days <= interval


def weights_for(district_id: int) -> dict[str, int]:
    config = AssessmentConfig.objects.filter(district_id=district_id).first()
    if config is None:
        return dict(DEFAULT_WEIGHTS)
    return {key: getattr(config, field) for key, field in WEIGHT_FIELDS.items()}


# --- computing a month ------------------------------------------------------------------------------


@dataclass
class Outcome:
    period: AssessmentMonth
    bodies: int
    areas: int
    workers: int


def assess_month(*, month: datetime.date, now: datetime.datetime, district=None, actor=None) -> list[Outcome]:
    """Compute `month` (any day of it) for one district or every district; closed months are skipped."""
    from gongzhi.territory.models import District

    month = first_of_month(month)
    start, _end = month_window(month)
    if start > now:
        raise ValidationError(_("%(month)s 尚未开始，不能考核。") % {"month": f"{month:%Y-%m}"})
    districts = [district] if district is not None else list(District.objects.order_by("code"))
    outcomes = []
    for d in districts:
        outcome = _assess_district(d, month, now, actor)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


@transaction.atomic
def _assess_district(district, month: datetime.date, now: datetime.datetime, actor) -> Outcome | None:
    from gongzhi.cases.metrics import rates_by
    from gongzhi.cases.models import Case

    period, created = AssessmentMonth.objects.select_for_update().get_or_create(district=district, month=month)
    if period.status == PeriodStatus.CLOSED:
        return None
    start, end = month_window(month)
    as_of = min(now, end)
    weights = weights_for(district.pk)
    cases = Case.objects.filter(district=district, reported_at__gte=start, reported_at__lt=end, merged_into=None)

    before = None if created else serialize_object(period)
    BodyScore.objects.filter(period=period).delete()
    AreaScore.objects.filter(period=period).delete()
    WorkerScore.objects.filter(period=period).delete()

    bodies = []
    for body_id, r in rates_by(cases, "body", as_of=as_of).items():
        row = BodyScore(period=period, body_id=body_id, **{f: getattr(r, f) for f in RateCounts.COUNT_FIELDS})
        fill_rates(row, weights)
        bodies.append(row)
    for row, rank in zip(bodies, competition_ranks(b.score for b in bodies), strict=True):
        row.rank = rank
    BodyScore.objects.bulk_create(bodies, batch_size=2000)

    areas = _area_rows(period, cases, as_of, weights)
    AreaScore.objects.bulk_create(areas, batch_size=2000)
    workers = _worker_rows(period, district, month, now, weights)
    WorkerScore.objects.bulk_create(workers, batch_size=2000)

    period.computed_at = now
    period.as_of = as_of
    period.weights = weights
    period.save()
    log_change(actor=actor, obj=period, action=ChangeAction.CREATE if created else ChangeAction.UPDATE, before=before)
    return Outcome(period, len(bodies), len(areas), len(workers))


def _area_rows(period, cases, as_of, weights) -> list[AreaScore]:
    from gongzhi.cases.metrics import rates_by
    from gongzhi.territory.models import Community, Grid, Street

    rows: list[AreaScore] = []
    models = {AreaLevel.STREET: Street, AreaLevel.COMMUNITY: Community, AreaLevel.GRID: Grid}
    for level, model in models.items():
        by_node = rates_by(cases, level, as_of=as_of)
        nodes = {
            n["pk"]: n
            for n in model.objects.filter(pk__in=list(by_node)).values(
                "pk", "name", *(["street_id"] if level != AreaLevel.STREET else []),
                *(["community_id"] if level == AreaLevel.GRID else []),
            )
        }  # fmt: skip
        level_rows = []
        for node_id, r in by_node.items():
            node = nodes.get(node_id)
            if node is None:
                continue
            row = AreaScore(
                period=period,
                level=level,
                node_id=node_id,
                name=node["name"],
                street_id=node.get("street_id", node_id),
                community_id=node_id if level == AreaLevel.COMMUNITY else node.get("community_id"),
                grid_id=node_id if level == AreaLevel.GRID else None,
                **{f: getattr(r, f) for f in RateCounts.COUNT_FIELDS},
            )
            fill_rates(row, weights)
            level_rows.append(row)
        for row, rank in zip(level_rows, competition_ranks(r.score for r in level_rows), strict=True):
            row.rank = rank
        rows.extend(level_rows)
    return rows


def _worker_rows(period, district, month: datetime.date, now: datetime.datetime, weights) -> list[WorkerScore]:
    from gongzhi.cases.choices import Channel, State, Tier
    from gongzhi.cases.models import Case
    from gongzhi.cases.services import calendar as work_calendar
    from gongzhi.grids.choices import EntryKind, MemberKind
    from gongzhi.grids.models import GridMember, Patrol, PatrolEntry
    from gongzhi.grids.patrols import MAX_PATROL, Walk, month_figures, patrol_standards

    start, end = month_window(month)
    first, last = month, last_day(month)
    members = list(
        GridMember.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=first),
            district=district,
            kind=MemberKind.FULL_TIME,
            user__isnull=False,
            started_on__lte=last,
        )
        .select_related("user", "grid")
        .order_by("grid__code", "pk")
    )
    if not members:
        return []
    worker_ids = {m.user_id for m in members}
    grid_ids = {m.grid_id for m in members}
    walks: dict[int, list] = defaultdict(list)
    window = {"started_at__gte": start - MAX_PATROL, "started_at__lt": end, "district": district}
    # problems per patrol from the (few) problem entries, not a join of every patrol with its entries
    problems = dict(
        PatrolEntry.objects.filter(kind=EntryKind.PROBLEM, **{f"patrol__{k}": v for k, v in window.items()})
        .order_by()
        .values_list("patrol_id")
        .annotate(n=Count("pk"))
    )
    patrols = (
        Patrol.objects.filter(**window)
        .order_by()
        .values_list("pk", "worker_id", "started_at", "ended_at", "distance_m")
        .iterator(chunk_size=5000)
    )
    for pk, worker_id, started, ended, distance in patrols:
        if worker_id in worker_ids:
            walks[worker_id].append(Walk(worker_id, started, ended, distance, problems.get(pk, 0)))
    standard = patrol_standards([district.pk])[district.pk]
    is_due = work_calendar().is_workday
    effective_now = min(now, end)

    found = dict(
        Case.objects.filter(
            created_by_id__in=worker_ids, channel=Channel.GRID_APP, reported_at__gte=start, reported_at__lt=end
        )
        .order_by()
        .values_list("created_by_id")
        .annotate(n=Count("pk"))
    )
    closed_by_grid: dict[int, tuple[int, int]] = {
        row["grid_id"]: (row["closed"], row["in_grid"])
        for row in Case.objects.filter(
            grid_id__in=grid_ids, reported_at__gte=start, reported_at__lt=end, state=State.CLOSED, merged_into=None
        )
        .order_by()
        .values("grid_id")
        .annotate(closed=Count("pk"), in_grid=Count("pk", filter=Q(tier=Tier.GRID)))
    }
    visits_by_grid = _visits_by_grid(grid_ids, first, min(last, effective_now.astimezone(SHANGHAI).date()))

    rows = []
    figures_cache: dict[int, object] = {}
    for m in members:
        figures = figures_cache.get(m.user_id)
        if figures is None:
            figures = month_figures(
                walks.get(m.user_id, []),
                worker_id=m.user_id,
                year=month.year,
                month=month.month,
                standard=standard,
                now=effective_now,
                tz=SHANGHAI,
                is_due=is_due,
            )
            figures_cache[m.user_id] = figures
        grid_closed, in_grid = closed_by_grid.get(m.grid_id, (0, 0))
        due, on_time = visits_by_grid.get(m.grid_id, (0, 0))
        row = WorkerScore(
            period=period,
            worker_id=m.user_id,
            name=m.name,
            grid_id=m.grid_id,
            street_id=m.street_id,
            community_id=m.community_id,
            patrol_minutes=figures.minutes,  # type: ignore[attr-defined]
            patrols=figures.count,  # type: ignore[attr-defined]
            patrol_days_met=figures.days_met,  # type: ignore[attr-defined]
            patrol_due_days=figures.due_days,  # type: ignore[attr-defined]
            problems_found=found.get(m.user_id, 0),
            grid_closed=grid_closed,
            closed_in_grid=in_grid,
            visits_due=due,
            visits_on_time=on_time,
        )
        fill_worker_rates(row, weights)
        rows.append(row)
    # one row per worker and grid (a worker on two grids appears twice, each with the grid's own figures)
    unique = {(r.worker_id, r.grid_id): r for r in rows}
    rows = list(unique.values())
    for row, rank in zip(rows, competition_ranks(r.score for r in rows), strict=True):
        row.rank = rank
    return rows


def _visits_by_grid(grid_ids: set[int], first: datetime.date, end: datetime.date) -> dict[int, tuple[int, int]]:
    """Per grid: (open care files, files visited on schedule from the 1st to `end`)."""
    from gongzhi.care.models import CareProfile, Visit
    from gongzhi.care.rules import interval_days

    intervals = getattr(settings, "GONGZHI_CARE_VISIT_DAYS", None)
    profiles = list(
        CareProfile.objects.filter(Q(closed__isnull=True) | Q(closed__gte=first), grid_id__in=grid_ids, opened__lte=end)
        .order_by()
        .values_list("pk", "grid_id", "risk_level", "opened")
    )
    if not profiles:
        return {}
    ids = [p[0] for p in profiles]
    in_month: dict[int, list[datetime.date]] = defaultdict(list)
    for profile_id, day in Visit.objects.filter(profile_id__in=ids, date__gte=first, date__lte=end).values_list(
        "profile_id", "date"
    ):
        in_month[profile_id].append(day)
    before = dict(
        Visit.objects.filter(profile_id__in=ids, date__lt=first)
        .order_by()
        .values_list("profile_id")
        .annotate(last=Max("date"))
    )
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pk, grid_id, risk, opened in profiles:
        since = max(d for d in (before.get(pk), opened) if d is not None)
        start = max(first, opened)
        kept = kept_schedule(
            in_month.get(pk, []), since=since, start=start, end=end, interval=interval_days(risk, intervals)
        )
        result[grid_id][0] += 1
        result[grid_id][1] += int(kept)
    return {g: (v[0], v[1]) for g, v in result.items()}


# --- closing a month and the weights -----------------------------------------------------------------


@transaction.atomic
def close_month(period: AssessmentMonth, *, actor, now: datetime.datetime | None = None) -> AssessmentMonth:
    """关账: the month's figures become final; recomputation and closing again are refused."""
    period = AssessmentMonth.objects.select_for_update().get(pk=period.pk)
    if period.status == PeriodStatus.CLOSED:
        raise ValidationError(_("%(month)s 已关账。") % {"month": f"{period.month:%Y-%m}"})
    now = now or timezone.now()
    _start, end = month_window(period.month)
    if now < end:
        raise ValidationError(_("%(month)s 尚未结束，不能关账。") % {"month": f"{period.month:%Y-%m}"})
    if period.computed_at is None or period.computed_at < end:
        raise ValidationError(_("请先在月末之后重新计算 %(month)s，再关账。") % {"month": f"{period.month:%Y-%m}"})
    before = serialize_object(period)
    period.status = PeriodStatus.CLOSED
    period.closed_at = now
    period.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    period.save(update_fields=["status", "closed_at", "closed_by"])
    log_change(actor=actor, obj=period, action=ChangeAction.UPDATE, before=before)
    return period


@transaction.atomic
def set_weights(district, *, actor, **weights: int) -> AssessmentConfig:
    """Change a district's weights (each 0–100; each group must not be all zero)."""
    unknown = set(weights) - set(WEIGHT_FIELDS)
    if unknown:
        raise ValidationError(_("不能设置这些权重：%(names)s") % {"names": ", ".join(sorted(unknown))})
    config, created = AssessmentConfig.objects.select_for_update().get_or_create(district=district)
    before = None if created else serialize_object(config)
    for key, value in weights.items():
        setattr(config, WEIGHT_FIELDS[key], value)
    config.full_clean()
    if not (config.weight_response + config.weight_resolution + config.weight_satisfaction):
        raise ValidationError(_("响应率、解决率、满意率的权重不能都为 0。"))
    if not (config.weight_patrol + config.weight_visits + config.weight_in_grid):
        raise ValidationError(_("网格员考核的权重不能都为 0。"))
    config.save()
    log_change(actor=actor, obj=config, action=ChangeAction.CREATE if created else ChangeAction.UPDATE, before=before)
    return config
