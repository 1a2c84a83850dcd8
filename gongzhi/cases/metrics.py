"""The rates that judge handling (处理效能): 响应率, 解决率, 满意率, 结案率, 按期结案率, 返工率.

Counted from the facts on cases and dispatches, per handling body or per territory, for a set of
cases (usually those reported in a period, scoped to the viewer). The formulas are in
docs/domain/cases.md; each rate is None when its denominator is zero (shown as "—", never 0 %).

- 响应率 = dispatches answered (签收 or 退单) by their acceptance deadline ÷ dispatches
- 解决率 = rated cases the reporter says are solved ÷ rated cases
- 满意率 = rated cases rated 满意 or 基本满意 ÷ rated cases
- 结案率 = closed cases ÷ (cases due to be closed − suspended cases)
- 按期结案率 = cases closed and handled by their deadline ÷ (cases due to be closed − suspended cases)
- 返工率 = cases sent back for rework at least once ÷ cases handled at least once
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet

from .choices import Satisfaction, State
from .models import Case, Dispatch


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class Rates:
    cases: int = 0
    dispatches: int = 0
    responded: int = 0
    rated: int = 0
    solved: int = 0
    satisfied: int = 0
    due: int = 0
    suspended: int = 0
    closed: int = 0
    closed_on_time: int = 0
    handled: int = 0
    reworked: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        return _rate(self.responded, self.dispatches)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.solved, self.rated)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.due - self.suspended)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.closed_on_time, self.due - self.suspended)

    @property
    def rework_rate(self) -> float | None:
        return _rate(self.reworked, self.handled)

    def as_dict(self) -> dict:
        return {
            "cases": self.cases,
            "dispatches": self.dispatches,
            "rated": self.rated,
            "response_rate": self.response_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "closure_rate": self.closure_rate,
            "on_time_rate": self.on_time_rate,
            "rework_rate": self.rework_rate,
        }


def case_filters(as_of: datetime.datetime) -> dict[str, Q]:
    """What each case count counts: one condition per figure (the drill-down shows these cases)."""
    dispatched = Q(first_dispatched_at__isnull=False)
    closed = Q(state=State.CLOSED)
    rated = Q(rated_at__isnull=False)
    return {
        "rated": rated,
        "solved": rated & Q(solved=True),
        "satisfied": rated & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC]),
        "due": dispatched & (closed | Q(resolve_due__lte=as_of) | Q(state=State.SUSPENDED)),
        "suspended": dispatched & Q(state=State.SUSPENDED),
        "closed": dispatched & closed,
        "closed_on_time": dispatched & closed & Q(handled_on_time=True),
        "handled": Q(handled_at__isnull=False) | Q(rework_count__gt=0),
        "reworked": Q(rework_count__gt=0),
    }


def _case_counts(as_of: datetime.datetime) -> dict:
    counts: dict = {"cases": Count("pk")}
    counts.update({name: Count("pk", filter=condition) for name, condition in case_filters(as_of).items()})
    return counts


def answered_in_time() -> Q:
    """A dispatch answered (签收 or 退单) by its acceptance deadline."""
    return Q(accepted_at__isnull=False, accepted_at__lte=F("accept_due")) | Q(
        accepted_at=None, returned_at__isnull=False, returned_at__lte=F("accept_due")
    )


def _dispatch_counts() -> dict:
    return {"dispatches": Count("pk"), "responded": Count("pk", filter=answered_in_time())}


MEASURES = ("dispatches", "responded", *case_filters(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)))


def counted(cases: QuerySet[Case], measure: str, *, as_of: datetime.datetime, body_id: int | None = None):
    """The cases behind one count of `rates` (for the dispatch counts: the cases of those dispatches)."""
    if measure in ("dispatches", "responded"):
        dispatches = Dispatch.objects.all()
        if measure == "responded":
            dispatches = dispatches.filter(answered_in_time())
        if body_id is not None:
            dispatches = dispatches.filter(body_id=body_id)
        return cases.filter(pk__in=dispatches.values("case_id"))
    filters = case_filters(as_of)
    if measure not in filters:
        raise ValueError(measure)
    return cases.filter(filters[measure])


def rates(cases: QuerySet[Case], *, as_of: datetime.datetime) -> Rates:
    """The six rates over a set of cases (and the dispatches of those cases)."""
    counts = cases.order_by().aggregate(**_case_counts(as_of))
    counts.update(Dispatch.objects.filter(case__in=cases.values("pk")).order_by().aggregate(**_dispatch_counts()))
    return Rates(**counts)


def rates_by(cases: QuerySet[Case], key: str, *, as_of: datetime.datetime) -> dict[int, Rates]:
    """The rates per body ("body") or per territory ("community", "grid", "street")."""
    if key not in ("body", "community", "grid", "street"):
        raise ValueError(key)
    result: dict[int, Rates] = {}
    for row in cases.order_by().values(f"{key}_id").annotate(**_case_counts(as_of)):
        pk = row.pop(f"{key}_id")
        if pk is not None:
            result[pk] = Rates(**row)
    dispatch_key = "body_id" if key == "body" else f"case__{key}_id"
    dispatches = Dispatch.objects.filter(case__in=cases.values("pk")).order_by()
    for row in dispatches.values(dispatch_key).annotate(**_dispatch_counts()):
        pk = row.pop(dispatch_key)
        rates_row = result.setdefault(pk, Rates())
        rates_row.dispatches, rates_row.responded = row["dispatches"], row["responded"]
    return result
