"""The ranking board (实绩一榜统揽): months and quarters summed from the monthly snapshots.

A quarter adds up the counts of its months and computes the rates and score again (a mean of
monthly rates would weigh a quiet month like a busy one). The change is against the period
before (the previous month or quarter): rank places gained (+) or lost (−) and the score's
difference.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from .choices import AreaLevel, RankingKind
from .models import AreaScore, AssessmentMonth, BodyScore, RateCounts, WorkerScore
from .services import competition_ranks, fill_rates, fill_worker_rates

PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None  # a month …
    quarter: int | None = None  # … or a quarter

    @property
    def months(self) -> list[datetime.date]:
        if self.month is not None:
            return [datetime.date(self.year, self.month, 1)]
        quarter = self.quarter or 1
        return [datetime.date(self.year, 3 * (quarter - 1) + m, 1) for m in (1, 2, 3)]

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month is not None else f"{self.year}-Q{self.quarter}"

    @property
    def label(self) -> str:
        if self.month is not None:
            return _("%(y)s年%(m)s月") % {"y": self.year, "m": self.month}
        return _("%(y)s年第%(q)s季度") % {"y": self.year, "q": self.quarter}

    @property
    def previous(self) -> Period:
        if self.month is not None:
            return Period(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)
        quarter = self.quarter or 1
        return Period(self.year - (quarter == 1), quarter=4 if quarter == 1 else quarter - 1)

    @property
    def first_day(self) -> datetime.date:
        return self.months[0]

    @property
    def last_day(self) -> datetime.date:
        from .services import last_day

        return last_day(self.months[-1])


def parse_period(value: str | None) -> Period | None:
    match = PERIOD.match(value or "")
    if not match:
        return None
    year, month, quarter = match.groups()
    return Period(int(year), int(month)) if month else Period(int(year), quarter=int(quarter))


@dataclass
class Row:
    key: tuple
    name: str
    counts: object  # a summed score row (unsaved model instance)
    rank: int | None = None
    previous_rank: int | None = None
    previous_score: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        return self.counts.score  # type: ignore[attr-defined]

    @property
    def rank_change(self) -> int | None:
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def score_change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return round(self.score - self.previous_score, 2)


def scope_filter(user, district_id: int) -> Q | None:
    """Which area and worker rows the user sees: their territory (None: the whole district)."""
    if user.is_superuser:
        return None
    nodes = user.scope_nodes("assessment.view")
    if district_id in nodes.get("district", set()):
        return None
    condition = Q(pk__in=[])
    for level in ("street", "community", "grid"):
        ids = nodes.get(level)
        if ids:
            condition |= Q(**{f"{level}_id__in": sorted(ids)})
    return condition


def _rows(kind: str, district_id: int, period: Period, user) -> list[Row]:
    months = AssessmentMonth.objects.filter(district_id=district_id, month__in=period.months)
    month_list = list(months.order_by("month"))
    if not month_list:
        return []
    weights = month_list[-1].weights or {}
    visible = scope_filter(user, district_id)
    summed: dict[tuple, object] = {}
    names: dict[tuple, str] = {}
    extra: dict[tuple, dict] = defaultdict(dict)
    if kind == RankingKind.WORKER:
        worker_qs = WorkerScore.objects.filter(period__in=month_list).select_related("grid")
        if visible is not None:
            worker_qs = worker_qs.filter(visible)
        for w in worker_qs:
            wkey = (w.worker_id, w.grid_id)
            wrow = summed.setdefault(wkey, WorkerScore(worker_id=w.worker_id, grid_id=w.grid_id))
            for f in WorkerScore.COUNT_FIELDS:
                setattr(wrow, f, getattr(wrow, f) + getattr(w, f))
            names[wkey] = w.name
            extra[wkey] = {"grid": w.grid.name, "grid_id": w.grid_id, "worker_id": w.worker_id}
        for row in summed.values():
            fill_worker_rates(row, weights)  # type: ignore[arg-type]
    else:
        items: list[tuple[tuple, str, RateCounts, dict]] = []
        blank: type[RateCounts]
        if kind == RankingKind.BODY:
            body_qs = BodyScore.objects.filter(period__in=month_list).select_related("body")
            items = [
                ((b.body_id,), b.body.name, b, {"body_id": b.body_id, "kind": b.body.get_kind_display()})
                for b in body_qs
            ]
            blank = BodyScore
        else:
            level = AreaLevel.COMMUNITY if kind == RankingKind.COMMUNITY else AreaLevel.GRID
            area_qs = AreaScore.objects.filter(period__in=month_list, level=level)
            if visible is not None:
                area_qs = area_qs.filter(visible)
            items = [((a.node_id,), a.name, a, {"node_id": a.node_id, "level": level}) for a in area_qs]
            blank = AreaScore
        for key, name, score_row, more in items:
            row = summed.setdefault(key, blank())
            for f in RateCounts.COUNT_FIELDS:
                setattr(row, f, getattr(row, f) + getattr(score_row, f))
            names[key] = name
            extra[key] = more
        for row in summed.values():
            fill_rates(row, weights)  # type: ignore[arg-type]
    rows = [Row(key=k, name=names[k], counts=v, extra=extra[k]) for k, v in summed.items()]
    for row, rank in zip(rows, competition_ranks(r.score for r in rows), strict=True):
        row.rank = rank
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    return rows


def ranking(kind: str, district_id: int, period: Period, user) -> list[Row]:
    """The board for `kind` in `period`, each row with its change from the period before."""
    rows = _rows(kind, district_id, period, user)
    before = {r.key: r for r in _rows(kind, district_id, period.previous, user)}
    for row in rows:
        old = before.get(row.key)
        if old is not None:
            row.previous_rank, row.previous_score = old.rank, old.score
    return rows


def available_periods(district_id: int) -> list[Period]:
    """Months with figures, newest first, each followed by its quarter when the quarter starts."""
    months = list(
        AssessmentMonth.objects.filter(district_id=district_id).order_by("-month").values_list("month", flat=True)
    )
    result: list[Period] = []
    seen: set[str] = set()
    for m in months:
        for p in (Period(m.year, m.month), Period(m.year, quarter=(m.month - 1) // 3 + 1)):
            if p.key not in seen:
                seen.add(p.key)
                result.append(p)
    return result
