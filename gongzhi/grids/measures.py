"""What the grid map colours: figures of the children of one node, as the viewer may see them.

For the children of a district (streets), a street (communities) or a community (grids), each
measure is one grouped query, whatever the number of children:

- households, residents: rows of population.Household / population.Resident;
- open_cases: cases whose state is in cases.models.OPEN_STATES;
- patrol_coverage: over the 30 days ending at `today` (today included), the share of days on
  which a grid had at least one finished patrol, averaged over the child's active grids, in %;
- households_per_grid and area_km2, for reference.

Every query is scoped to the viewer: the children are the ones the viewer may view, and the rows
counted are the ones inside the viewer's territory (territory.view, the permission of the map;
only counts leave this module, never a person). Grids with `retired_on` set are neither shown
nor counted: neither they nor the households, cases and patrols still filed under them.

Time is an argument: `today` is a local date; nothing here reads the clock.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.roles import TERRITORY_VIEW
from gongzhi.cases.models import OPEN_STATES, Case
from gongzhi.population.models import Household, Resident
from gongzhi.territory.models import Community, District, Grid, Street

from .choices import PatrolStatus
from .models import Patrol

COVERAGE_DAYS = 30
LEGEND_CLASSES = 5
# The levels the map draws the children of, and what those children are.
MAP_CHILD = {"district": "street", "street": "community", "community": "grid"}
MAP_MODELS: dict[str, Any] = {"district": District, "street": Street, "community": Community, "grid": Grid}
PARENT_FIELD = {"street": "district", "community": "street", "grid": "community"}
# The measures one can colour by (the map's select), their labels and units.
MEASURES: dict[str, Any] = {
    "households": _("户数"),
    "residents": _("人口"),
    "open_cases": _("在办事项"),
    "patrol_coverage": _("巡查覆盖率"),
}
UNITS: dict[str, Any] = {
    "households": _("户"),
    "residents": _("人"),
    "open_cases": _("件"),
    "patrol_coverage": "%",
    "households_per_grid": _("户/格"),
    "area_km2": "km²",
}
DEFAULT_MEASURE = "households"


@dataclass
class ChildFigures:
    """One child of the node with every figure the map shows about it."""

    id: int
    name: str
    code: str
    level: str
    geometry: dict | None
    area_km2: float | None
    grids: int = 0
    households: int = 0
    residents: int = 0
    open_cases: int = 0
    patrol_coverage: float | None = None
    households_per_grid: float | None = None

    def value(self, measure: str) -> float | None:
        return getattr(self, measure)


def local_day_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start of `first`, start of the day after `last`) in the deployment's time zone."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def visible_children(user, node):
    """The node's children the viewer may see (grids: active ones only), ordered by code."""
    child_level = MAP_CHILD[node.level]
    qs = MAP_MODELS[child_level].objects.restrict(user, "view").filter(**{PARENT_FIELD[child_level]: node})
    if child_level == "grid":
        qs = qs.filter(retired_on__isnull=True)
    return qs.order_by("code")


def _scoped(model, user):
    """Rows of `model` inside the viewer's territory, outside retired grids."""
    return model.objects.restrict(user, "view", app="territory").filter(grid__retired_on__isnull=True)


def _grouped_count(qs, lookup: str, ids: list[int]) -> dict[int, int]:
    rows = qs.filter(**{f"{lookup}__in": ids}).order_by().values_list(lookup).annotate(n=Count("*"))
    return dict(rows)


def count_households(user, child_level: str, ids: list[int]) -> dict[int, int]:
    return _grouped_count(_scoped(Household, user), f"{child_level}_id", ids)


def count_residents(user, child_level: str, ids: list[int]) -> dict[int, int]:
    return _grouped_count(_scoped(Resident, user), f"{child_level}_id", ids)


def count_open_cases(user, child_level: str, ids: list[int]) -> dict[int, int]:
    return _grouped_count(_scoped(Case, user).filter(state__in=OPEN_STATES), f"{child_level}_id", ids)


def count_grids(user, child_level: str, ids: list[int]) -> dict[int, int]:
    """Active grids in each child that the viewer may see (a grid counts as one grid)."""
    if child_level == "grid":
        return dict.fromkeys(ids, 1)
    qs = Grid.objects.restrict(user, "view").filter(retired_on__isnull=True)
    return _grouped_count(qs, f"{child_level}_id", ids)


def patrolled_grid_days(user, child_level: str, ids: list[int], today: datetime.date) -> dict[int, int]:
    """Per child: the sum over its active grids of the days (of the 30 ending `today`) with a finished patrol."""
    start, end = local_day_bounds(today - datetime.timedelta(days=COVERAGE_DAYS - 1), today)
    lookup = f"{child_level}_id"
    # distinct (child, grid, local day) rows: a grid patrolled three times on a day counts once
    fields = [lookup, "day"] if child_level == "grid" else [lookup, "grid_id", "day"]
    rows = (
        _scoped(Patrol, user)
        .filter(**{f"{lookup}__in": ids}, status=PatrolStatus.DONE, started_at__gte=start, started_at__lt=end)
        .annotate(day=TruncDate("started_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .order_by()
        .values_list(*fields)
        .distinct()
    )
    days: dict[int, int] = {}
    for row in rows:
        days[row[0]] = days.get(row[0], 0) + 1
    return days


def coverage_percent(grid_days: int, grids: int) -> float | None:
    """Patrolled grid-days over possible grid-days, in % (one decimal); None without grids."""
    if grids == 0:
        return None
    return round(100 * grid_days / (COVERAGE_DAYS * grids), 1)


def child_figures(user, node, *, today: datetime.date) -> list[ChildFigures]:
    """Every figure of every visible child of `node` (a district, street or community).

    Queries: one for the children, one per measure (households, residents, open cases, grids
    unless the children are grids, patrolled days) — six at most, whatever the number of children.
    """
    child_level = MAP_CHILD[node.level]
    children = list(
        visible_children(user, node).values("id", "name", "code", "geometry", "area_km2"),
    )
    ids = [c["id"] for c in children]
    if not ids:
        return []
    households = count_households(user, child_level, ids)
    residents = count_residents(user, child_level, ids)
    open_cases = count_open_cases(user, child_level, ids)
    grids = count_grids(user, child_level, ids)
    grid_days = patrolled_grid_days(user, child_level, ids, today)
    result = []
    for c in children:
        pk = c["id"]
        n_grids = grids.get(pk, 0)
        n_households = households.get(pk, 0)
        result.append(
            ChildFigures(
                id=pk,
                name=c["name"],
                code=c["code"],
                level=child_level,
                geometry=c["geometry"],
                area_km2=c["area_km2"],
                grids=n_grids,
                households=n_households,
                residents=residents.get(pk, 0),
                open_cases=open_cases.get(pk, 0),
                patrol_coverage=coverage_percent(grid_days.get(pk, 0), n_grids),
                households_per_grid=round(n_households / n_grids, 1) if n_grids else None,
            )
        )
    return result


# -- the legend -------------------------------------------------------------------------------------


def quantile_breaks(values: list[float | None], classes: int = LEGEND_CLASSES) -> list[float]:
    """The inner class breaks of a quantile legend (classes − 1 values, ascending), None ignored.

    Linear interpolation between the sorted values ("inclusive" quantiles), rounded to 2
    decimals; one value gives that value repeated; no value gives [].
    """
    data = sorted(v for v in values if v is not None)
    if not data:
        return []
    if len(data) == 1:
        return [round(float(data[0]), 2)] * (classes - 1)
    return [round(q, 2) for q in statistics.quantiles(data, n=classes, method="inclusive")]


def class_of(value: float | None, breaks: list[float]) -> int | None:
    """0 … len(breaks): the number of breaks the value is above; None for no value."""
    if value is None or not breaks:
        return None
    return sum(1 for b in breaks if value > b)


# -- the viewer's nodes -------------------------------------------------------------------------------


def covers(user, node) -> bool:
    """Whether one of the viewer's territory.view assignments holds `node` (no query: assignments are cached)."""
    if user.is_superuser:
        return True
    nodes = user.scope_nodes(TERRITORY_VIEW)
    chain = {"district": node.pk if node.level == "district" else node.district_id}
    if node.level in ("street", "community", "grid"):
        chain["street"] = node.pk if node.level == "street" else node.street_id
    if node.level in ("community", "grid"):
        chain["community"] = node.pk if node.level == "community" else node.community_id
    if node.level == "grid":
        chain["grid"] = node.pk
    return any(pk in nodes.get(level, ()) for level, pk in chain.items())


def may_map(user, node) -> bool:
    """The viewer may open the map of `node`: it is in their territory, or (for a grid worker
    whose territory is a grid) it is the community of one of their grids."""
    if covers(user, node):
        return True
    if node.level == "community":
        return visible_children(user, node).exists()
    return False


def map_node(user, level: str, pk: int):
    """The node of `level` and `pk` if the viewer may map it, else None (the caller answers 404)."""
    model = MAP_MODELS.get(level)
    if model is None or level not in MAP_CHILD:
        return None
    related = {"street": ["district"], "community": ["street__district", "district"]}.get(level, [])
    node = model.objects.select_related(*related).filter(pk=pk).first()
    if node is None or not may_map(user, node):
        return None
    return node


def top_node(user):
    """Where the map opens: the viewer's highest node (a grid worker's: the community of their grid)."""
    if user.is_superuser:
        return District.objects.order_by("code").first()
    nodes = user.scope_nodes(TERRITORY_VIEW)
    for level in ("district", "street", "community"):
        ids = nodes.get(level)
        if ids:
            return MAP_MODELS[level].objects.filter(pk__in=ids).order_by("code").first()
    grid_ids = nodes.get("grid")
    if grid_ids:
        grid = Grid.objects.filter(pk__in=grid_ids, retired_on__isnull=True).select_related("community")
        first = grid.order_by("code").first()
        return first.community if first else None
    return None


def crumbs(user, node) -> list[dict[str, Any]]:
    """The node's ancestors from the top, each with whether the viewer may map it."""
    from gongzhi.territory.models import ancestors

    return [{"level": a.level, "id": a.pk, "name": a.name, "link": covers(user, a)} for a in ancestors(node)]
