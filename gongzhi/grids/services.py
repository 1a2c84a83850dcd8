"""Writes of grid management: the standard, staffing, division proposals and redrawn boundaries.

Every function is atomic and audited. Applying a division or a redrawn boundary moves
buildings, households, residents, party members and open cases to their new grids in one
transaction; a grid that no longer holds anything is retired, never deleted, so that closed
cases and old patrols keep the grid they happened in.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.territory import geometry
from gongzhi.territory.models import Building, Community, Compound, Grid

from . import division
from .choices import MemberKind, ProposalStatus
from .models import DivisionProposal, GridMember, GridStandard
from .standard import standard_for

# Tolerances (square degrees; about 1 m² at these latitudes) for overlaps and gaps of a tiling.
TILING_TOLERANCE = 2e-9


# --- the standard ------------------------------------------------------------------------------


@transaction.atomic
def set_standard(district, *, actor, **values: Any) -> GridStandard:
    """Change a district's grid standard (area, households, staffing, patrol minutes)."""
    allowed = {"max_area_km2", "max_households", "full_time_workers", "part_time_workers", "patrol_minutes"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    std, created = GridStandard.objects.select_for_update().get_or_create(district=district)
    before = None if created else serialize_object(std)
    for key, value in values.items():
        setattr(std, key, value)
    std.full_clean()
    std.save()
    log_change(actor=actor, obj=std, action=ChangeAction.CREATE if created else ChangeAction.UPDATE, before=before)
    return std


# --- staffing ----------------------------------------------------------------------------------


@transaction.atomic
def add_member(grid: Grid, *, actor, kind: str, name: str, started_on: datetime.date, **data: Any) -> GridMember:
    """Put a person on a grid's staff (专职、兼职网格员、联络干部)."""
    allowed = {"user", "phone", "is_party_member", "organisation"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if grid.retired_on:
        raise ValidationError(_("网格“%(grid)s”已撤销，不能配备人员。") % {"grid": grid.name})
    if kind not in MemberKind.values:
        raise ValidationError({"kind": _("请选择人员类别。")})
    member = GridMember(
        grid=grid,
        community_id=grid.community_id,
        street_id=grid.street_id,
        district_id=grid.district_id,
        kind=kind,
        name=(name or "").strip(),
        started_on=started_on,
        **data,
    )
    if member.phone:
        from gongzhi.population.identity import parse_phone

        try:
            member.phone = parse_phone(member.phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    member.full_clean()
    if kind == MemberKind.FULL_TIME and member.user_id:
        clash = GridMember.objects.filter(user_id=member.user_id, kind=MemberKind.FULL_TIME, ended_on__isnull=True)
        if clash.exists():
            raise ValidationError(_("%(name)s 已是其他网格的专职网格员。") % {"name": member.name})
    member.save()
    log_change(actor=actor, obj=member, action=ChangeAction.CREATE)
    return member


@transaction.atomic
def end_member(member: GridMember, *, actor, ended_on: datetime.date) -> GridMember:
    member = GridMember.objects.select_for_update().get(pk=member.pk)
    if member.ended_on is not None:
        raise ValidationError(_("%(name)s 已于 %(date)s 离岗。") % {"name": member.name, "date": member.ended_on})
    if ended_on < member.started_on:
        raise ValidationError({"ended_on": _("离岗日期不能早于到岗日期。")})
    before = serialize_object(member)
    member.ended_on = ended_on
    member.save(update_fields=["ended_on", "updated"])
    log_change(actor=actor, obj=member, action=ChangeAction.UPDATE, before=before)
    return member


# --- division proposals ------------------------------------------------------------------------


def _community_inputs(community: Community):
    """The buildings (with household counts), compounds and active grids of a community."""
    from gongzhi.population.models import Household

    if not community.geometry:
        raise ValidationError(_("社区“%(name)s”没有边界，无法划分网格。") % {"name": community.name})
    households = dict(
        Household.objects.filter(community=community).order_by().values_list("building_id").annotate(n=Count("*"))
    )
    rows = list(
        Building.objects.filter(community=community)
        .order_by("pk")
        .values_list("pk", "lon", "lat", "compound_id", "grid_id")
    )
    buildings = [
        division.BuildingIn(pk, lon, lat, households.get(pk, 0), compound) for pk, lon, lat, compound, _ in rows
    ]
    current_grid = {pk: grid for pk, _, _, _, grid in rows}
    compounds = [
        division.CompoundIn(pk, geometry.parse_polygon(geom))
        for pk, geom in Compound.objects.filter(community=community).values_list("pk", "geometry")
        if geom
    ]
    return buildings, compounds, current_grid


def fingerprint(buildings: list[division.BuildingIn]) -> str:
    digest = hashlib.sha256()
    for b in sorted(buildings, key=lambda x: x.id):
        digest.update(f"{b.id}:{b.lon:.7f}:{b.lat:.7f}:{b.households}:{b.compound_id};".encode())
    return digest.hexdigest()


def _next_codes(community: Community, count: int) -> list[str]:
    used = {int(code[12:]) for code in Grid.objects.filter(community=community).values_list("code", flat=True)}
    codes: list[str] = []
    seq = 0
    while len(codes) < count:
        seq += 1
        if seq > 999:
            raise ValidationError(_("社区“%(name)s”的网格顺序码已用尽（001–999）。") % {"name": community.name})
        if seq not in used:
            codes.append(f"{community.code}{seq:03d}")
    return codes


def _match_old_grids(parts, buildings, current_grid: dict[int, int], old_grids: dict[int, Grid]) -> list[int | None]:
    """For each new grid, the old grid it mostly is (at least half its households, or land), or None."""
    hh = {b.id: b.households for b in buildings}
    old_polys = {pk: geometry.parse_polygon(g.geometry) for pk, g in old_grids.items() if g.geometry}
    candidates: list[tuple[float, int, int]] = []
    for i, part in enumerate(parts):
        if part.households:
            by_grid: Counter[int] = Counter()
            for b in part.building_ids:
                by_grid[current_grid[b]] += hh[b]
            for pk, n in by_grid.items():
                candidates.append((n / part.households, i, pk))
        else:
            area = part.polygon.area or 1.0
            for pk, poly in old_polys.items():
                if poly.intersects(part.polygon):
                    candidates.append((poly.intersection(part.polygon).area / area, i, pk))
    result: list[int | None] = [None] * len(parts)
    taken: set[int] = set()
    # the largest shares first; between equal shares the older code (the smaller) is kept
    for share, i, pk in sorted(candidates, key=lambda c: (-c[0], old_grids[c[2]].code if c[2] in old_grids else "")):
        if share >= 0.5 and result[i] is None and pk not in taken and pk in old_grids:
            result[i] = pk
            taken.add(pk)
    return result


def compute_division(
    community: Community,
) -> tuple[division.Division, list[division.BuildingIn], dict, division.Limits]:
    std = standard_for(community.district_id)
    limits = division.Limits(max_area_km2=std.max_area_km2, max_households=std.max_households)
    buildings, compounds, current_grid = _community_inputs(community)
    result = division.divide(geometry.parse_polygon(community.geometry), buildings, compounds, limits)
    return result, buildings, current_grid, limits


def proposal_geojson(community: Community, result: division.Division, buildings, current_grid) -> dict:
    """The FeatureCollection of a division: one feature per grid, with its code kept or new."""
    old_grids = {g.pk: g for g in Grid.objects.filter(community=community, retired_on__isnull=True)}
    replaces = _match_old_grids(result.parts, buildings, current_grid, old_grids)
    fresh = iter(_next_codes(community, sum(1 for r in replaces if r is None)))
    features = []
    for seq, (part, old) in enumerate(zip(result.parts, replaces, strict=True), start=1):
        features.append(
            {
                "type": "Feature",
                "geometry": geometry.to_geojson(part.polygon),
                "properties": {
                    "seq": seq,
                    "code": old_grids[old].code if old else next(fresh),
                    "replaces": old,
                    "replaces_name": old_grids[old].name if old else None,
                    "building_ids": part.building_ids,
                    "compound_ids": part.compound_ids,
                    "households": part.households,
                    "area_km2": part.area_km2,
                    "contiguous": part.contiguous,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@transaction.atomic
def propose_division(community: Community, *, actor) -> DivisionProposal:
    """Compute a division of `community` into grids that meet its district's standard and keep it."""
    result, buildings, current_grid, limits = compute_division(community)
    collection = proposal_geojson(community, result, buildings, current_grid)
    DivisionProposal.objects.filter(community=community, status=ProposalStatus.PROPOSED).update(
        status=ProposalStatus.SUPERSEDED
    )
    proposal = DivisionProposal.objects.create(
        community=community,
        street_id=community.street_id,
        district_id=community.district_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        max_area_km2=limits.max_area_km2,
        max_households=limits.max_households,
        lower_bound=result.lower_bound,
        grid_count=result.count,
        current_count=Grid.objects.filter(community=community, retired_on__isnull=True).count(),
        result=collection,
        fingerprint=fingerprint(buildings),
    )
    log_change(actor=actor, obj=proposal, action=ChangeAction.CREATE)
    return proposal


@transaction.atomic
def apply_division(proposal: DivisionProposal, *, actor) -> dict[str, int]:
    """Make a proposal the community's grids: everything moves in one audited transaction."""
    community = Community.objects.select_for_update().get(pk=proposal.community_id)
    proposal = DivisionProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError(_("该方案状态为“%(status)s”，不能应用。") % {"status": proposal.get_status_display()})
    buildings, _compounds, _current = _community_inputs(community)
    if fingerprint(buildings) != proposal.fingerprint:
        raise ValidationError(_("方案生成后社区的楼栋或住户已变化，请重新生成方案。"))
    old_grids = {g.pk: g for g in Grid.objects.select_for_update().filter(community=community, retired_on__isnull=True)}
    layout: list[tuple[Grid, Any, list[int]]] = []
    for feature in proposal.result["features"]:
        props = feature["properties"]
        old = props.get("replaces")
        if old is not None and old not in old_grids:
            raise ValidationError(_("方案引用的网格已不存在，请重新生成方案。"))
        grid = (
            old_grids[old]
            if old is not None
            else Grid(
                community=community,
                street_id=community.street_id,
                district_id=community.district_id,
                code=props["code"],
                # a grid's name is data, in Chinese whatever the language of the person applying
                name=f"{community.name}第{int(props['code'][12:])}网格",
            )
        )
        layout.append((grid, geometry.parse_polygon(feature["geometry"]), props["building_ids"]))
    moved = _apply_layout(community, layout, old_grids, actor=actor, reason="按网格划分方案调整")
    proposal.status = ProposalStatus.APPLIED
    proposal.applied_at = timezone.now()
    proposal.applied_by = actor if getattr(actor, "is_authenticated", False) else None
    before = serialize_object(proposal)
    proposal.save(update_fields=["status", "applied_at", "applied_by"])
    log_change(actor=actor, obj=proposal, action=ChangeAction.UPDATE, before=before)
    return moved


@transaction.atomic
def redraw_grids(community: Community, geometries: dict[int, dict], *, actor) -> dict[str, int]:
    """Change the boundaries of some grids of a community at once (the map editor's save).

    The grids must still tile the community: no overlap, no gap. Buildings go to the grid that
    now contains them, and take their households, residents and open cases along.
    """
    community = Community.objects.select_for_update().get(pk=community.pk)
    old_grids = {g.pk: g for g in Grid.objects.select_for_update().filter(community=community, retired_on__isnull=True)}
    if not geometries:
        raise ValidationError(_("没有要保存的边界。"))
    polygons = {}
    for key, value in geometries.items():
        try:
            pk = int(key)
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("网格编号无效：%(key)s") % {"key": key}) from exc
        if pk not in old_grids:
            raise ValidationError(
                _("网格 %(key)s 不属于社区“%(community)s”。") % {"key": key, "community": community.name}
            )
        try:
            polygons[pk] = geometry.parse_polygon(value)
        except ValidationError as exc:
            raise ValidationError(
                _("网格“%(grid)s”：%(error)s") % {"grid": old_grids[pk].name, "error": " ".join(exc.messages)}
            ) from exc
    layout_polys = {
        pk: polygons.get(pk) or (geometry.parse_polygon(g.geometry) if g.geometry else None)
        for pk, g in old_grids.items()
    }
    missing = [old_grids[pk].name for pk, poly in layout_polys.items() if poly is None]
    if missing:
        raise ValidationError(_("这些网格没有边界：%(names)s") % {"names": "、".join(missing[:5])})
    points = list(Building.objects.filter(community=community).values_list("pk", "lon", "lat"))
    tree_order = list(layout_polys)
    tree = shapely.STRtree([layout_polys[pk] for pk in tree_order])
    owner: dict[int, list[int]] = defaultdict(list)
    outside = []
    for pk, lon, lat in points:
        point = shapely.Point(lon, lat)
        hits = [tree_order[i] for i in tree.query(point, predicate="intersects")]
        if not hits:
            hits = [tree_order[i] for i in tree.query(point.buffer(geometry.CONTAIN_TOLERANCE), predicate="intersects")]
        if not hits:
            outside.append(pk)
            continue
        owner[min(hits)].append(pk)
    if outside:
        raise ValidationError(_("有 %(n)s 栋楼不在任何网格内，请检查边界是否留有空隙。") % {"n": len(outside)})
    layout = [(old_grids[pk], layout_polys[pk], owner.get(pk, [])) for pk in tree_order]
    return _apply_layout(community, layout, old_grids, actor=actor, reason="网格边界调整")


def _check_tiling(community: Community, layout) -> None:
    """Each polygon inside the community, no two overlapping, together covering it."""
    boundary = geometry.parse_polygon(community.geometry)
    polys = [poly for _, poly, _ in layout]
    names = [grid.name for grid, _, _ in layout]
    for name, poly in zip(names, polys, strict=True):
        if not geometry.contains(boundary, poly):
            raise ValidationError(_("网格“%(grid)s”的边界超出了社区范围。") % {"grid": name})
    tree = shapely.STRtree(polys)
    left, right = tree.query(polys, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j and polys[i].intersection(polys[j]).area > TILING_TOLERANCE:
            raise ValidationError(_("网格“%(a)s”与“%(b)s”的边界重叠。") % {"a": names[i], "b": names[j]})
    gap = boundary.difference(shapely.union_all(polys))
    if gap.area > TILING_TOLERANCE * max(1, len(polys)):
        raise ValidationError(
            _("网格之间留有空隙（约 %(m2).0f 平方米），社区内每一处都应属于一个网格。")
            % {"m2": geometry.area_km2(gap) * 1_000_000}
        )


def _apply_layout(community: Community, layout, old_grids: dict[int, Grid], *, actor, reason: str) -> dict[str, int]:
    """Write a tiling: grids (kept, new, retired), then everything that hangs on a grid."""
    from gongzhi.cases.models import OPEN_STATES, Case, CaseEvent
    from gongzhi.party.models import PartyMember, PartyOrganisation
    from gongzhi.population.models import Household, Resident

    _check_tiling(community, layout)
    seen_buildings: set[int] = set()
    for _grid, _poly, ids in layout:
        dup = seen_buildings.intersection(ids)
        if dup:
            raise ValidationError(_("同一栋楼被划入了两个网格。"))
        seen_buildings.update(ids)
    all_buildings = set(Building.objects.filter(community=community).values_list("pk", flat=True))
    if seen_buildings != all_buildings:
        raise ValidationError(_("方案没有包含社区的全部楼栋，请重新生成方案。"))

    today = timezone.localdate()
    counts = {"grids_kept": 0, "grids_created": 0, "grids_retired": 0, "buildings_moved": 0, "cases_moved": 0}
    building_grid: dict[int, Grid] = {}
    kept_ids = set()
    for grid, poly, ids in layout:
        before = serialize_object(grid) if grid.pk else None
        grid.geometry = geometry.to_geojson(poly)
        grid.area_km2 = round(geometry.area_km2(poly), 6)
        grid.centroid_lon, grid.centroid_lat = geometry.centroid(poly)
        grid.full_clean(exclude=["geometry"])
        grid.save()
        if before is None:
            counts["grids_created"] += 1
            log_change(actor=actor, obj=grid, action=ChangeAction.CREATE)
        else:
            kept_ids.add(grid.pk)
            counts["grids_kept"] += 1
            log_change(actor=actor, obj=grid, action=ChangeAction.UPDATE, before=before)
        for b in ids:
            building_grid[b] = grid

    # buildings, their households and residents
    old_of = dict(Building.objects.filter(pk__in=building_grid).values_list("pk", "grid_id"))
    by_target: dict[int, list[int]] = defaultdict(list)
    for b, grid in building_grid.items():
        if old_of[b] != grid.pk:
            by_target[grid.pk].append(b)
    for grid_pk, ids in by_target.items():
        for b in Building.objects.filter(pk__in=ids):
            before = serialize_object(b)
            b.grid_id = grid_pk
            log_change(actor=actor, obj=b, action=ChangeAction.UPDATE, before=before)
        Building.objects.filter(pk__in=ids).update(grid_id=grid_pk)
        Household.objects.filter(building_id__in=ids).update(grid_id=grid_pk)
        Resident.objects.filter(building_id__in=ids).update(grid_id=grid_pk)
        PartyMember.objects.filter(building_id__in=ids).update(grid_id=grid_pk)
        counts["buildings_moved"] += len(ids)

    # where each old grid's households went: its successor, for what has no building of its own
    hh_by_building = dict(
        Household.objects.filter(community=community).order_by().values_list("building_id").annotate(n=Count("*"))
    )
    flow: dict[int, Counter[int]] = defaultdict(Counter)
    for b, old in old_of.items():
        flow[old][building_grid[b].pk] += hh_by_building.get(b, 0) + 1
    nearest: int = layout[0][0].pk
    successor: dict[int, int] = {}
    for old in old_grids:
        if flow[old]:
            successor[old] = flow[old].most_common(1)[0][0]
            continue
        poly = geometry.parse_polygon(old_grids[old].geometry) if old_grids[old].geometry else None
        hits = [g.pk for g, p, _ in layout if poly is not None and p.intersects(poly)]
        successor[old] = hits[0] if hits else nearest

    # compounds: the grid holding most of their households (their centre when they have none)
    buildings_of: dict[int, list[int]] = defaultdict(list)
    for b, compound_id in Building.objects.filter(community=community).values_list("pk", "compound_id"):
        buildings_of[compound_id].append(b)
    for compound in Compound.objects.filter(community=community):
        shares: Counter[int] = Counter()
        for b in buildings_of[compound.pk]:
            shares[building_grid[b].pk] += hh_by_building.get(b, 0) + 1
        target = shares.most_common(1)[0][0] if shares else successor.get(compound.grid_id, nearest)
        if target != compound.grid_id:
            before = serialize_object(compound)
            Compound.objects.filter(pk=compound.pk).update(grid_id=target)
            compound.grid_id = target
            log_change(actor=actor, obj=compound, action=ChangeAction.UPDATE, before=before)
            PartyOrganisation.objects.filter(compound=compound).update(grid_id=target)

    # open cases follow their building, their point, or their grid's successor; the timeline keeps the old grid
    grids_by_pk = {g.pk: g for g, _, _ in layout}
    polys = [(g.pk, p) for g, p, _ in layout]
    now = timezone.now()
    for case in Case.objects.select_for_update().filter(grid_id__in=list(old_grids), state__in=OPEN_STATES):
        if case.building_id and case.building_id in building_grid:
            target = building_grid[case.building_id].pk
        elif case.lon is not None and case.lat is not None:
            point = shapely.Point(case.lon, case.lat)
            target = next(
                (pk for pk, p in polys if p.buffer(geometry.CONTAIN_TOLERANCE).contains(point)), successor[case.grid_id]
            )
        else:
            target = successor[case.grid_id]
        if target == case.grid_id:
            continue
        old_grid = old_grids[case.grid_id]
        before = serialize_object(case)
        Case.objects.filter(pk=case.pk).update(grid_id=target)
        case.grid_id = target
        CaseEvent.objects.create(
            case=case,
            time=now,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_name=(actor.get_full_name() or actor.get_username())
            if getattr(actor, "is_authenticated", False)
            else "system",
            action="regrid",
            from_state=case.state,
            to_state=case.state,
            note=_("%(reason)s：%(old)s → %(new)s")
            % {"reason": reason, "old": old_grid.name, "new": grids_by_pk[target].name},
            data={
                "from_grid": old_grid.pk,
                "from_code": old_grid.code,
                "to_grid": target,
                "to_code": grids_by_pk[target].code,
            },
            public=False,
        )
        log_change(actor=actor, obj=case, action=ChangeAction.UPDATE, before=before)
        counts["cases_moved"] += 1

    # retire the old grids that are no longer used; their people and bodies go to the successor
    from gongzhi.accounts.models import Assignment
    from gongzhi.cases.models import HandlingBody

    for old, grid in old_grids.items():
        if old in kept_ids:
            continue
        target = successor[old]
        GridMember.objects.filter(grid_id=old, ended_on__isnull=True).update(grid_id=target)
        Assignment.objects.filter(grid_id=old).update(grid_id=target)
        PartyOrganisation.objects.filter(grid_id=old, compound__isnull=True).update(grid_id=target)
        PartyMember.objects.filter(grid_id=old).update(grid_id=target)
        if not HandlingBody.objects.filter(grid_id=target).exists():
            HandlingBody.objects.filter(grid_id=old).update(grid_id=target)
        before = serialize_object(grid)
        grid.retired_on = today
        grid.geometry = None
        grid.area_km2 = grid.centroid_lon = grid.centroid_lat = None
        grid.save(update_fields=["retired_on", "geometry", "area_km2", "centroid_lon", "centroid_lat", "updated"])
        log_change(actor=actor, obj=grid, action=ChangeAction.UPDATE, before=before)
        counts["grids_retired"] += 1
    _clear_caches()
    return counts


def _clear_caches() -> None:
    """Drop the intake's configuration caches (grids, compounds, buildings) now and again after
    commit, so that a request of another thread cannot cache the rows as they were before it."""
    try:
        from gongzhi.cases import cache
    except ImportError:
        return
    cache.clear()
    transaction.on_commit(cache.clear)
