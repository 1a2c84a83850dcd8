"""The grid standard check (S2 四): area, households and staffing of every grid.

Reads only; the figures come from grouped counts (one query per figure, not per grid).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from gongzhi.population.models import Household
from gongzhi.territory.models import Community, Grid

from .choices import PART_TIME_KINDS, MemberKind
from .models import GridMember, GridStandard


def standard_for(district_id: int | None) -> GridStandard:
    """The district's standard, or the seed's defaults (unsaved) when it has none."""
    found = GridStandard.objects.filter(district_id=district_id).first() if district_id else None
    if found is not None:
        return found
    default = GridStandard()
    if district_id:
        default.district_id = district_id
    return default


class Failure:
    """Why a grid fails the standard (the codes are stable; the texts are for people)."""

    AREA = "area"
    HOUSEHOLDS = "households"
    FULL_TIME = "full_time"
    PARTY = "party"
    PART_TIME = "part_time"
    BOUNDARY = "boundary"


@dataclass
class GridCheck:
    grid: Grid
    households: int
    area_km2: float | None
    full_time: int
    full_time_party: int
    part_time: int
    liaison: int
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def staffing_counts(grid_ids: list[int], today: datetime.date) -> dict[int, dict[str, int]]:
    """{grid id: {"full_time", "full_time_party", "part_time", "liaison"}} of the members on duty today."""
    active = Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    rows = (
        GridMember.objects.filter(active, grid_id__in=grid_ids, started_on__lte=today)
        .order_by()
        .values("grid_id")
        .annotate(
            full_time=Count("pk", filter=Q(kind=MemberKind.FULL_TIME)),
            full_time_party=Count("pk", filter=Q(kind=MemberKind.FULL_TIME, is_party_member=True)),
            part_time=Count("pk", filter=Q(kind__in=PART_TIME_KINDS)),
            liaison=Count("pk", filter=Q(kind=MemberKind.LIAISON)),
        )
    )
    result = {pk: {"full_time": 0, "full_time_party": 0, "part_time": 0, "liaison": 0} for pk in grid_ids}
    for row in rows:
        result[row.pop("grid_id")] = row
    return result


def household_counts(grid_ids: list[int]) -> dict[int, int]:
    rows = Household.objects.filter(grid_id__in=grid_ids).order_by().values_list("grid_id").annotate(n=Count("*"))
    counts = dict.fromkeys(grid_ids, 0)
    counts.update(dict(rows))
    return counts


def check_grids(grids, today: datetime.date) -> list[GridCheck]:
    """Check every active grid of `grids` (a queryset, already scoped) against its district's standard."""
    grids = list(grids.filter(retired_on__isnull=True).order_by("code"))
    ids = [g.pk for g in grids]
    households = household_counts(ids)
    staff = staffing_counts(ids, today)
    standards: dict[int, GridStandard] = {}
    checks = []
    for grid in grids:
        std = standards.setdefault(grid.district_id, standard_for(grid.district_id))
        s = staff[grid.pk]
        check = GridCheck(
            grid,
            households[grid.pk],
            grid.area_km2,
            full_time=s["full_time"],
            full_time_party=s["full_time_party"],
            part_time=s["part_time"],
            liaison=s["liaison"],
        )
        if grid.area_km2 is None:
            check.failures[Failure.BOUNDARY] = _("未绘制边界，无法核对面积")
        elif grid.area_km2 > std.max_area_km2:
            check.failures[Failure.AREA] = _("面积 %(area).2f 平方公里，超过 %(limit)s 平方公里") % {
                "area": grid.area_km2,
                "limit": std.max_area_km2,
            }
        if check.households > std.max_households:
            check.failures[Failure.HOUSEHOLDS] = _("%(n)s 户，超过 %(limit)s 户") % {
                "n": check.households,
                "limit": std.max_households,
            }
        if s["full_time"] < std.full_time_workers:
            check.failures[Failure.FULL_TIME] = _("专职网格员 %(n)s 人，应有 %(need)s 人") % {
                "n": s["full_time"],
                "need": std.full_time_workers,
            }
        elif s["full_time_party"] < std.full_time_workers:
            check.failures[Failure.PARTY] = _("专职网格员不是党员")
        if s["part_time"] < std.part_time_workers:
            check.failures[Failure.PART_TIME] = _("兼职网格员 %(n)s 人，应有 %(need)s 人") % {
                "n": s["part_time"],
                "need": std.part_time_workers,
            }
        checks.append(check)
    return checks


@dataclass
class CommunitySummary:
    community: Community
    grids: int
    failing: int
    households: int
    area_km2: float | None
    lower_bound: int
    by_households: int
    by_area: int
    failures: dict[str, int]

    @property
    def gap(self) -> int:
        """How many more grids the community needs at least."""
        return max(0, self.lower_bound - self.grids)


def lower_bound(households: int, area_km2: float | None, std: GridStandard) -> tuple[int, int, int]:
    """(bound, by households, by area): ⌈households / H⌉ and ⌈area / A⌉, the fewest grids possible."""
    by_households = math.ceil(households / std.max_households) if households else 0
    by_area = math.ceil(round((area_km2 or 0) / std.max_area_km2, 9))
    return max(1, by_households, by_area), by_households, by_area


def summarise(checks: list[GridCheck], communities) -> list[CommunitySummary]:
    """One line per community: its grids, how many fail (by reason), and the lower bound of grids it needs."""
    communities = list(communities.order_by("code"))
    ids = [c.pk for c in communities]
    households = dict(
        Household.objects.filter(community_id__in=ids).order_by().values_list("community_id").annotate(n=Count("*"))
    )
    per: dict[int, list[GridCheck]] = {c.pk: [] for c in communities}
    for check in checks:
        if check.grid.community_id in per:
            per[check.grid.community_id].append(check)
    standards: dict[int, GridStandard] = {}
    rows = []
    for community in communities:
        std = standards.setdefault(community.district_id, standard_for(community.district_id))
        own = per[community.pk]
        failures: dict[str, int] = {}
        for check in own:
            for code in check.failures:
                failures[code] = failures.get(code, 0) + 1
        hh = households.get(community.pk, 0)
        bound, by_hh, by_area = lower_bound(hh, community.area_km2, std)
        rows.append(
            CommunitySummary(
                community=community,
                grids=len(own),
                failing=sum(1 for c in own if not c.ok),
                households=hh,
                area_km2=community.area_km2,
                lower_bound=bound,
                by_households=by_hh,
                by_area=by_area,
                failures=failures,
            )
        )
    return rows
