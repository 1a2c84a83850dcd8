"""Automatic division of a community into grids that meet the standard (网格划分).

Pure: plain data in, plain data out; no database. The method:

1. **Land to sites.** Project the community boundary and its building points to an equal-area
   plane (metres). Every building is a site; so is every point of a lattice (``lattice_m``
   apart) that lies inside the community, outside every compound and away from buildings, so
   that empty land (parks, water, roads) is shared out in small pieces instead of falling to the
   nearest building. The Voronoi diagram of the sites, clipped to the boundary, tiles the
   community: every site owns one cell, cells never overlap, and together they leave no gap.
2. **Sites to units.** A compound is one unit (all its buildings stay together) unless it alone
   exceeds a limit (more households than a grid may hold, or more land than a grid may cover);
   then each of its buildings is a unit. A lattice site is a unit of land with no households.
3. **Recursive bisection.** A region that needs ``k`` grids (the lower bound
   ``max(⌈households / H⌉, ⌈area / A⌉)``) is cut across its longer side into two groups of units
   sorted along that side, needing ``⌊k/2⌋`` and ``⌈k/2⌉`` grids; the cut is the one that
   minimises the larger load (households / capacity, area / capacity) of the two sides, so the
   slack is spread evenly and both sides stay feasible. When no cut fits, the other axis is
   tried; when neither does, the whole division is retried with one grid more.
4. **Grids.** A grid's polygon is the union of its units' cells; cells of one grid that touch
   nothing else of it are moved to a neighbouring grid with room (contiguity repair). Shared
   edges are simplified together (coverage simplification), so neighbours still tile.
5. **Search.** Region growing from many directions is tried too; the best divisions are
   polished by ejection chains (``_Search``), and one still above the bound is squeezed
   (``_Squeeze``): a light grid is dissolved into its neighbours, which may overflow, and
   simulated annealing moves and swaps units between touching grids until every grid fits.

Limits are met by construction (every leaf of the bisection has load ≤ 1); a building that
alone holds more households than the limit is the only exception and is reported.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint

from gongzhi.territory.geometry import area_km2

# Small margins so that figures computed again after rounding the output (7 decimal degrees) never
# exceed the limits by a rounding error.
AREA_MARGIN = 0.999
# How far (metres) the cells reach past the boundary before the output is clipped to it.
OUTER_MARGIN_M = 50.0
# Directions of the cuts tried (degrees); the division with the fewest grids wins.
# When the best division found still needs more than this many times the lower bound, up to
# EXTRA_ATTEMPTS more are made from random directions with jittered centroids (seeded: the
# same community always gets the same proposal).
TRY_HARDER_ABOVE = 1.15
EXTRA_ATTEMPTS = 24
# How many of the best constructions get the (slower) ejection-chain search.
POLISHED = 12
# How many units on a grid's edge an ejection chain considers passing on, per step.
MAX_EJECT_CANDIDATES = 6
# A division still above the bound then gets one grid fewer, again and again: one of its
# SQUEEZE_VICTIMS lightest grids is dissolved into its neighbours, which may overflow, and
# simulated annealing (SQUEEZE_STEPS proposed moves, seeded) moves and swaps units between
# touching grids until every grid fits again.
SQUEEZE_VICTIMS = 2
SQUEEZE_STEPS = 20000
ANGLES = tuple(float(a) for a in range(0, 360, 15))


@dataclass(frozen=True)
class Limits:
    max_area_km2: float = 0.5
    max_households: int = 300


@dataclass(frozen=True)
class BuildingIn:
    id: int
    lon: float
    lat: float
    households: int
    compound_id: int | None = None


@dataclass(frozen=True)
class CompoundIn:
    id: int
    polygon: shapely.Geometry | None = None  # lon/lat


@dataclass
class Part:
    """One proposed grid."""

    building_ids: list[int]
    households: int
    area_km2: float
    polygon: shapely.Geometry  # lon/lat
    compound_ids: list[int] = field(default_factory=list)
    contiguous: bool = True


@dataclass
class Division:
    parts: list[Part]
    lower_bound: int
    attempts: int
    oversized_buildings: list[int]  # buildings that alone exceed the household limit

    @property
    def count(self) -> int:
        return len(self.parts)


def lower_bound(households: int, area_km2: float, limits: Limits) -> int:
    """The fewest grids any division can have: ⌈households / H⌉ and ⌈area / A⌉."""
    by_households = math.ceil(households / limits.max_households) if households else 0
    by_area = math.ceil(round(area_km2 / limits.max_area_km2, 9))
    return max(1, by_households, by_area)


# --- projection ---------------------------------------------------------------------------------


class _Plane:
    """An equal-area plane (metres) centred on the community, and back."""

    def __init__(self, boundary: shapely.Geometry):
        from gongzhi.territory.geometry import _equal_area

        c = boundary.centroid
        forward = _equal_area(round(c.x, 1), round(c.y, 1))
        self._fwd = forward
        self._inv = Transformer.from_crs(forward.target_crs, forward.source_crs, always_xy=True)

    def to_m(self, geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geom, lambda xy: np.column_stack(self._fwd.transform(xy[:, 0], xy[:, 1])))

    def points_to_m(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._fwd.transform(lon, lat)
        return np.asarray(x), np.asarray(y)

    def to_lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geom, lambda xy: np.column_stack(self._inv.transform(xy[:, 0], xy[:, 1])))


# --- units --------------------------------------------------------------------------------------


@dataclass
class _Units:
    households: np.ndarray  # per unit
    area: np.ndarray  # m² per unit
    cx: np.ndarray  # area-weighted centroid
    cy: np.ndarray
    minx: np.ndarray
    miny: np.ndarray
    maxx: np.ndarray
    maxy: np.ndarray
    sites: list[list[int]]  # site indices per unit
    u: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the centroid in a rotated frame
    v: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def rotate(self, degrees: float, jitter: float = 0.0, rng: random.Random | None = None) -> None:
        t = math.radians(degrees)
        self.u = self.cx * math.cos(t) + self.cy * math.sin(t)
        self.v = -self.cx * math.sin(t) + self.cy * math.cos(t)
        if jitter and rng is not None:
            noise = np.random.default_rng(rng.randrange(2**32))
            self.u = self.u + noise.uniform(-jitter, jitter, len(self.u))
            self.v = self.v + noise.uniform(-jitter, jitter, len(self.v))


def _lattice(boundary_m, compounds_m, bx, by, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = boundary_m.bounds
    xs = np.arange(minx + spacing / 2, maxx, spacing)
    ys = np.arange(miny + spacing / 2, maxy, spacing)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    keep = shapely.contains_xy(boundary_m, gx, gy)
    for poly in compounds_m:
        keep &= ~shapely.contains_xy(poly, gx, gy)
    gx, gy = gx[keep], gy[keep]
    if len(bx) and len(gx):
        tree = shapely.STRtree(shapely.points(bx, by))
        _, dist = tree.query_nearest(shapely.points(gx, gy), return_distance=True, all_matches=False)
        # query_nearest returns pairs only for inputs with a nearest geometry: all of them here
        far = dist > spacing / 2
        gx, gy = gx[far], gy[far]
    return gx, gy


def _cells(boundary_m, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """The Voronoi cell of each site, in site order, reaching beyond the boundary."""
    if len(sx) == 1:
        return np.array([boundary_m.envelope.buffer(1000)])
    points = MultiPoint(np.column_stack([sx, sy]))
    envelope = boundary_m.envelope.buffer(1000)
    return shapely.get_parts(shapely.voronoi_polygons(points, extend_to=envelope, ordered=True))


# --- bisection ----------------------------------------------------------------------------------


def _loads(h1, a1, h_total, a_total, k1, k2, limits: Limits, area_cap: float):
    hh_cap = limits.max_households
    return np.maximum.reduce(
        [h1 / (k1 * hh_cap), (h_total - h1) / (k2 * hh_cap), a1 / (k1 * area_cap), (a_total - a1) / (k2 * area_cap)]
    )


def _need(h: float, a: float, limits: Limits, area_cap: float) -> int:
    return max(1, math.ceil(round(h / limits.max_households, 9)), math.ceil(round(a / area_cap, 9)))


def _bisect(
    units: _Units, idx: np.ndarray, limits: Limits, area_cap: float, out: list[np.ndarray], extra: int = 0
) -> None:
    """Split `idx` into groups within the limits; a side that cannot be split into what it needs gets one more."""
    h = units.households[idx]
    a = units.area[idx]
    h_total, a_total = float(h.sum()), float(a.sum())
    if len(idx) == 1 or (h_total <= limits.max_households and a_total <= area_cap):
        out.append(idx)
        return
    k = _need(h_total, a_total, limits, area_cap) + extra
    k = max(k, 2)
    width = units.maxx[idx].max() - units.minx[idx].min()
    height = units.maxy[idx].max() - units.miny[idx].min()
    axes = [units.u, units.v] if width >= height else [units.v, units.u]
    k_options = sorted({k // 2, k - k // 2})
    for coord in axes:
        order = idx[np.argsort(coord[idx], kind="stable")]
        hp = np.cumsum(units.households[order])[:-1].astype(float)
        ap = np.cumsum(units.area[order])[:-1]
        best = None
        for k1 in k_options:
            loads = _loads(hp, ap, h_total, a_total, k1, k - k1, limits, area_cap)
            i = int(np.argmin(loads))
            if loads[i] <= 1.0 and (best is None or loads[i] < best[0]):
                best = (float(loads[i]), i)
        if best is None:
            continue
        i = best[1]
        _bisect(units, order[: i + 1], limits, area_cap, out)
        _bisect(units, order[i + 1 :], limits, area_cap, out)
        return
    _bisect(units, idx, limits, area_cap, out, extra + 1)


# --- the whole division ---------------------------------------------------------------------------


def divide(
    boundary: shapely.Geometry,
    buildings: list[BuildingIn],
    compounds: list[CompoundIn] | None = None,
    limits: Limits | None = None,
    *,
    lattice_m: float = 150.0,
    simplify_m: float = 5.0,
) -> Division:
    """Divide `boundary` (lon/lat polygon) holding `buildings` into grids within `limits`."""
    limits = limits or Limits()
    compounds = compounds or []
    plane = _Plane(boundary)
    boundary_m = shapely.make_valid(plane.to_m(boundary))
    area_cap = limits.max_area_km2 * 1_000_000 * AREA_MARGIN

    # sites: buildings (one site per distinct point) then lattice points
    lon = np.array([b.lon for b in buildings], dtype=float)
    lat = np.array([b.lat for b in buildings], dtype=float)
    bx, by = plane.points_to_m(lon, lat) if buildings else (np.zeros(0), np.zeros(0))
    site_of: dict[tuple[float, float], int] = {}
    building_site = np.zeros(len(buildings), dtype=int)
    sx: list[float] = []
    sy: list[float] = []
    for i, (x, y) in enumerate(zip(bx, by, strict=True)):
        key = (round(float(x), 2), round(float(y), 2))
        if key not in site_of:
            site_of[key] = len(sx)
            sx.append(float(x))
            sy.append(float(y))
        building_site[i] = site_of[key]
    n_building_sites = len(sx)
    compounds_m = [plane.to_m(c.polygon) for c in compounds if c.polygon is not None]
    gx, gy = _lattice(boundary_m, compounds_m, np.array(sx), np.array(sy), lattice_m)
    all_x = np.concatenate([np.array(sx), gx])
    all_y = np.concatenate([np.array(sy), gy])
    if len(all_x) == 0:  # an empty community: its centre is the one site
        c = boundary_m.representative_point()
        all_x, all_y = np.array([c.x]), np.array([c.y])
    open_cells = _cells(boundary_m, all_x, all_y)
    cells = shapely.intersection(open_cells, boundary_m)
    # the output is cut from cells clipped a little outside the boundary, then clipped to the
    # boundary itself in longitude/latitude, so that the grids follow it exactly
    outer_cells = shapely.intersection(open_cells, boundary_m.buffer(OUTER_MARGIN_M))
    cell_area = shapely.area(cells)
    cell_centroids = shapely.centroid(cells)
    ccx, ccy = shapely.get_x(cell_centroids), shapely.get_y(cell_centroids)
    bounds = shapely.bounds(cells)

    site_households = np.zeros(len(all_x))
    site_buildings: dict[int, list[int]] = defaultdict(list)
    for b, site in zip(buildings, building_site, strict=True):
        site_households[site] += b.households
        site_buildings[int(site)].append(b.id)

    # units: whole compounds unless a compound alone exceeds a limit
    by_compound: dict[int | None, set[int]] = defaultdict(set)
    for b, site in zip(buildings, building_site, strict=True):
        by_compound[b.compound_id].add(int(site))
    unit_sites: list[list[int]] = []
    claimed: set[int] = set()
    for compound_id, sites in sorted(by_compound.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        sites_list = sorted(sites - claimed)
        claimed.update(sites_list)
        if not sites_list:
            continue
        hh = site_households[sites_list].sum()
        area = cell_area[sites_list].sum()
        if compound_id is not None and hh <= limits.max_households and area <= area_cap:
            unit_sites.append(sites_list)
        else:
            unit_sites.extend([s] for s in sites_list)
    unit_sites.extend([s] for s in range(n_building_sites, len(all_x)))
    if not unit_sites:
        unit_sites = [[0]]

    def agg(values: np.ndarray, how) -> np.ndarray:
        return np.array([how(values[s]) for s in unit_sites])

    area_u = agg(cell_area, np.sum)
    weights = [cell_area[s] for s in unit_sites]
    units = _Units(
        households=agg(site_households, np.sum),
        area=area_u,
        cx=np.array(
            [
                np.average(ccx[s], weights=w) if w.sum() else ccx[s].mean()
                for s, w in zip(unit_sites, weights, strict=True)
            ]
        ),
        cy=np.array(
            [
                np.average(ccy[s], weights=w) if w.sum() else ccy[s].mean()
                for s, w in zip(unit_sites, weights, strict=True)
            ]
        ),
        minx=agg(bounds[:, 0], np.min),
        miny=agg(bounds[:, 1], np.min),
        maxx=agg(bounds[:, 2], np.max),
        maxy=agg(bounds[:, 3], np.max),
        sites=unit_sites,
    )
    oversized = [b.id for b in buildings if b.households > limits.max_households]
    total_hh = int(units.households.sum())
    total_area_km2 = float(units.area.sum()) / 1_000_000
    lb = lower_bound(total_hh, total_area_km2 / AREA_MARGIN, limits)
    lb = max(lb, len({tuple(u) for u in unit_sites if site_households[u].sum() > limits.max_households}))

    graph = _unit_graph(cells, unit_sites)
    attempts = 0
    plan = [(a, m, 0.0) for a in ANGLES for m in ("bisect", "grow", "grow-wide")]
    rng = random.Random(len(unit_sites) * 7919 + total_hh)
    extra = [
        (rng.uniform(0, 360), rng.choice(("bisect", "grow", "grow-wide")), rng.uniform(5.0, 60.0))
        for _ in range(EXTRA_ATTEMPTS)
    ]

    def construct(angle: float, method: str, jitter: float) -> list[list[int]]:
        units.rotate(angle, jitter, rng)
        groups: list = []
        if method == "bisect":
            _bisect(units, np.arange(len(unit_sites)), limits, area_cap, groups)
        else:
            groups = _grow(units, graph, limits, area_cap, patience=24 if method == "grow" else 200)
        search = _Search(groups, units, graph, limits, area_cap)
        search.repair()
        search.merge_pairs()
        return search.groups()

    def polish(groups: list[list[int]]) -> list[list[int]]:
        search = _Search(groups, units, graph, limits, area_cap)
        search.improve(lb)
        return search.groups()

    def squeeze(groups: list[list[int]]) -> list[list[int]] | None:
        """One grid fewer, or None: the lightest grids dissolved in turn, the rest annealed."""

        def load(g: list[int]) -> float:
            return float(units.households[g].sum()) / limits.max_households + float(units.area[g].sum()) / area_cap

        lightest = sorted(range(len(groups)), key=lambda i: (load(groups[i]), i))
        for victim in lightest[:SQUEEZE_VICTIMS]:
            search = _Squeeze(groups, units, graph, limits, area_cap, random.Random(victim * 31 + len(groups)))
            if search.dissolve(victim) and search.anneal(SQUEEZE_STEPS):
                return search.groups()
        return None

    # cheap constructions from every direction; the few best are then polished (ejection chains)
    found = []
    for angle, method, jitter in plan:
        attempts += 1
        found.append(construct(angle, method, jitter))
        if len(found[-1]) <= lb:
            break
    found.sort(key=len)
    best = found[0]
    for groups in found[:POLISHED]:
        if len(best) <= lb:
            break
        polished = polish(groups)
        if len(polished) < len(best):
            best = polished
    # still well above the bound: more attempts from random directions, each polished
    for angle, method, jitter in extra:
        if len(best) <= TRY_HARDER_ABOVE * lb:
            break
        attempts += 1
        polished = polish(construct(angle, method, jitter))
        if len(polished) < len(best):
            best = polished
    # one grid fewer while the bound allows: dissolve a light grid, then anneal its neighbours
    # (not with a building over the limit: its grid overflows whatever the search does)
    while len(best) > lb and not oversized:
        fewer = squeeze(best)
        if fewer is None:
            break
        best = fewer
    unit_of_group = best
    raw = [shapely.union_all(outer_cells[[s for u in g for s in units.sites[u]]]) for g in unit_of_group]
    points_of = [
        np.column_stack([bx, by])[np.isin(building_site, [s for u in g for s in units.sites[u]])] for g in unit_of_group
    ]
    compound_of = {b.id: b.compound_id for b in buildings}

    def parts_from(polygons) -> list[Part]:
        parts = []
        for g, poly_m in zip(unit_of_group, polygons, strict=True):
            sites = [s for u in g for s in units.sites[u]]
            ids = sorted(b for s in sites for b in site_buildings.get(s, []))
            poly = _largest_or_whole(
                shapely.set_precision(shapely.intersection(plane.to_lonlat(poly_m), boundary), 1e-7)
            )
            parts.append(
                Part(
                    building_ids=ids,
                    households=int(site_households[sites].sum()),
                    area_km2=round(area_km2(poly), 6),
                    polygon=poly,
                    compound_ids=sorted({c for b in ids if (c := compound_of[b]) is not None}),
                    contiguous=poly.geom_type == "Polygon",
                )
            )
        return parts

    parts = parts_from(_simplify(raw, simplify_m, points_of))
    if any(p.area_km2 > limits.max_area_km2 or not p.contiguous for p in parts):
        parts = parts_from(raw)  # simplification must never push a grid over the limit or apart
    parts.sort(key=lambda p: (-round(p.polygon.centroid.y, 3), p.polygon.centroid.x))  # north→south, west→east
    return Division(parts=parts, lower_bound=lb, attempts=attempts, oversized_buildings=oversized)


def _grow(units: _Units, graph: list[set[int]], limits: Limits, area_cap: float, patience: int = 24) -> list[list[int]]:
    """Region growing: from the first unit left along the sweep, take the nearest touching units that fit."""
    import heapq

    left = set(range(len(units.households)))
    order = sorted(left, key=lambda x: (units.u[x], units.v[x]))
    groups: list[list[int]] = []
    pos = 0
    while left:
        while order[pos] not in left:
            pos += 1
        seed = order[pos]
        left.discard(seed)
        group, hh, area = [seed], float(units.households[seed]), float(units.area[seed])
        sx, sy = units.cx[seed], units.cy[seed]
        heap = [(math.hypot(units.cx[w] - sx, units.cy[w] - sy), w) for w in graph[seed] if w in left]
        heapq.heapify(heap)
        seen = {seed}
        misses = 0
        while heap and misses < patience:
            _, w = heapq.heappop(heap)
            if w in seen or w not in left:
                continue
            seen.add(w)
            if hh + units.households[w] <= limits.max_households and area + units.area[w] <= area_cap:
                left.discard(w)
                group.append(w)
                hh += units.households[w]
                area += units.area[w]
                misses = 0
                for x in graph[w]:
                    if x in left and x not in seen:
                        heapq.heappush(heap, (math.hypot(units.cx[x] - sx, units.cy[x] - sy), x))
            else:
                misses += 1
        groups.append(group)
    return groups


# --- local search on the unit graph -------------------------------------------------------------


def _unit_graph(cells, unit_sites: list[list[int]]) -> list[set[int]]:
    """Units whose cells share an edge (more than a metre of it): a grid of them is contiguous."""
    site_unit = np.empty(len(cells), dtype=int)
    for u, sites in enumerate(unit_sites):
        site_unit[sites] = u
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[left]), shapely.boundary(cells[right])))
    neighbours: list[set[int]] = [set() for _ in unit_sites]
    for i, j, length in zip(left, right, shared, strict=True):
        ui, uj = site_unit[i], site_unit[j]
        if length > 1.0 and ui != uj:
            neighbours[ui].add(int(uj))
            neighbours[uj].add(int(ui))
    return neighbours


class _Search:
    """Groups of units with their loads; moves that keep every group connected and within limits."""

    def __init__(self, groups, units: _Units, graph: list[set[int]], limits: Limits, area_cap: float):
        self.units, self.graph, self.limits, self.area_cap = units, graph, limits, area_cap
        self.owner: dict[int, int] = {}
        self.members: dict[int, set[int]] = {}
        for gi, g in enumerate(groups):
            self.members[gi] = {int(u) for u in g}
            for u in g:
                self.owner[int(u)] = gi
        self.hh = {g: float(units.households[list(m)].sum()) for g, m in self.members.items()}
        self.area = {g: float(units.area[list(m)].sum()) for g, m in self.members.items()}
        self.next_id = len(groups)
        self.log: list[tuple[int, int]] = []

    def fits(self, g: int, u: int) -> bool:
        return (
            self.hh[g] + self.units.households[u] <= self.limits.max_households
            and self.area[g] + self.units.area[u] <= self.area_cap
        )

    def move(self, u: int, g: int) -> None:
        old = self.owner[u]
        self.members[old].discard(u)
        self.hh[old] -= self.units.households[u]
        self.area[old] -= self.units.area[u]
        if not self.members[old]:
            del self.members[old], self.hh[old], self.area[old]
        self.members[g].add(u)
        self.hh[g] += self.units.households[u]
        self.area[g] += self.units.area[u]
        self.owner[u] = g

    def components(self, units: set[int]) -> list[set[int]]:
        left, parts = set(units), []
        while left:
            start = left.pop()
            part, stack = {start}, [start]
            while stack:
                for w in self.graph[stack.pop()]:
                    if w in left:
                        left.discard(w)
                        part.add(w)
                        stack.append(w)
            parts.append(part)
        return parts

    def connected_without(self, g: int, u: int) -> bool:
        rest = self.members[g] - {u}
        return len(rest) == 0 or len(self.components(rest)) == 1

    def neighbour_groups(self, u: int) -> set[int]:
        return {self.owner[w] for w in self.graph[u]} - {self.owner[u]}

    def repair(self) -> None:
        """Every group connected: a stray piece joins a touching group with room, or becomes its own."""
        for g in list(self.members):
            if g not in self.members:
                continue
            parts = self.components(self.members[g])
            if len(parts) <= 1:
                continue
            parts.sort(key=lambda p: (self.units.households[list(p)].sum(), self.units.area[list(p)].sum()))
            for piece in parts[:-1]:
                hh = self.units.households[list(piece)].sum()
                area = self.units.area[list(piece)].sum()
                targets = {self.owner[w] for u in piece for w in self.graph[u]} - {g}
                fitting = [
                    t
                    for t in targets
                    if self.hh[t] + hh <= self.limits.max_households and self.area[t] + area <= self.area_cap
                ]
                if fitting:
                    target = max(fitting, key=lambda t: self.hh[t])
                else:
                    target = self.next_id
                    self.next_id += 1
                    self.members[target], self.hh[target], self.area[target] = set(), 0.0, 0.0
                for u in piece:
                    self.move(u, target)

    def _do(self, u: int, target: int) -> None:
        self.log.append((u, self.owner[u]))
        self.move(u, target)

    def _rollback(self, mark: int) -> None:
        while len(self.log) > mark:
            u, old = self.log.pop()
            if old not in self.members:
                self.members[old], self.hh[old], self.area[old] = set(), 0.0, 0.0
            self.move(u, old)

    def _room(self, t: int, need_hh: float, need_area: float) -> bool:
        return t in self.members and (
            self.hh[t] + need_hh <= self.limits.max_households and self.area[t] + need_area <= self.area_cap
        )

    def make_room(self, t: int, need_hh: float, need_area: float, depth: int, banned: frozenset[int]) -> bool:
        """Ejection chain: pass units on the edge of `t` to neighbours (making room there in turn)."""
        if self._room(t, need_hh, need_area):
            return True
        if depth == 0:
            return False
        over_hh = self.hh[t] + need_hh - self.limits.max_households
        # the units whose departure helps most first: enough households (or land) in one go, the smallest such
        edge = [w for w in self.members[t] if self.neighbour_groups(w) - banned - {t}]
        edge.sort(key=lambda w: (self.units.households[w] < over_hh, self.units.households[w], -self.units.area[w]))
        for w in edge[:MAX_EJECT_CANDIDATES]:
            if len(self.members[t]) <= 1 or (over_hh > 0 and self.units.households[w] == 0):
                continue
            if not self.connected_without(t, w):
                continue
            for x in sorted(self.neighbour_groups(w) - banned - {t}):
                mark = len(self.log)
                if self.make_room(x, self.units.households[w], self.units.area[w], depth - 1, banned | {t}) and any(
                    self.owner[y] == x for y in self.graph[w]
                ):
                    self._do(w, x)
                    if self._room(t, need_hh, need_area):
                        return True
                    if self.make_room(t, need_hh, need_area, depth - 1, banned):
                        return True
                    self._rollback(mark)
                    return False
                self._rollback(mark)
        return False

    def eliminate(self, g: int, depth: int = 2) -> bool:
        """Hand every unit of `g` to touching groups, making room by ejection chains; undo on failure."""
        self.log = []
        pending = set(self.members[g])
        while pending:
            progress = False
            # units on the edge of what is left first, so the rest stays reachable
            for u in sorted(pending, key=lambda x: (-len(self.neighbour_groups(x)), x)):
                if u not in pending:
                    continue
                targets = sorted(
                    (t for t in self.neighbour_groups(u) if t != g),
                    key=lambda t: -(self.hh[t] / self.limits.max_households + self.area[t] / self.area_cap),
                )
                for t in targets:
                    if t not in self.members or not any(self.owner[x] == t for x in self.graph[u]):
                        continue
                    mark = len(self.log)
                    need = (self.units.households[u], self.units.area[u])
                    if self.make_room(t, *need, depth, frozenset({g})) and any(
                        self.owner[x] == t for x in self.graph[u]
                    ):
                        self._do(u, t)
                        pending.discard(u)
                        progress = True
                        break
                    self._rollback(mark)
            if not progress:
                self._rollback(0)
                return False
        self.log = []
        return True

    def merge_pairs(self) -> None:
        while True:
            best = None
            for g, members in self.members.items():
                for t in {self.owner[w] for u in members for w in self.graph[u]} - {g}:
                    if t <= g:
                        continue
                    if (
                        self.hh[g] + self.hh[t] <= self.limits.max_households
                        and self.area[g] + self.area[t] <= self.area_cap
                    ):
                        score = self.hh[g] + self.hh[t]
                        if best is None or score < best[0]:
                            best = (score, g, t)
            if best is None:
                return
            _, g, t = best
            for u in list(self.members[t]):
                self.move(u, g)

    def improve(self, lower: int, rounds: int = 3) -> None:
        self.repair()
        self.merge_pairs()
        for _ in range(rounds):
            if len(self.members) <= lower:
                return
            changed = False
            for g in sorted(
                self.members, key=lambda x: self.hh[x] / self.limits.max_households + self.area[x] / self.area_cap
            ):
                if g in self.members and len(self.members) > lower and self.eliminate(g):
                    changed = True
            if not changed:
                return

    def groups(self) -> list[list[int]]:
        return [sorted(m) for m in self.members.values() if m]


class _Squeeze(_Search):
    """One grid fewer: dissolve a grid into its neighbours, letting them overflow, then anneal
    (move units between touching grids, or swap two touching units) until every grid fits again.
    """

    OVERFLOW_WEIGHT = 100.0

    def __init__(self, groups, units, graph, limits, area_cap, rng: random.Random):
        super().__init__(groups, units, graph, limits, area_cap)
        self.rng = rng
        # units over half a limit: no two of them can ever share a grid
        self.big = (units.households > limits.max_households / 2) | (units.area > area_cap / 2)

    def cost(self, hh: float, area: float) -> float:
        lh, la = hh / self.limits.max_households, area / self.area_cap
        over = max(0.0, lh - 1.0) + max(0.0, la - 1.0)
        return self.OVERFLOW_WEIGHT * over + lh * lh + la * la

    def over(self, hh: float, area: float) -> float:
        """How far a grid with these totals is over its limits (0 when it fits)."""
        return max(0.0, hh / self.limits.max_households - 1.0) + max(0.0, area / self.area_cap - 1.0)

    def overflow(self) -> float:
        return sum(self.over(self.hh[g], self.area[g]) for g in self.members)

    def dissolve(self, victim: int) -> bool:
        """Hand every unit of `victim` to a touching grid (the cheapest), from its edge inwards;
        False when some cannot reach another grid (an island)."""
        pending = set(self.members[victim])
        while pending:
            before = len(pending)
            for u in sorted(pending):
                targets = self.neighbour_groups(u) - {victim}
                if not targets:
                    continue
                h, a = self.units.households[u], self.units.area[u]
                t = min(
                    sorted(targets),
                    key=lambda t: (
                        bool(self.big[u]) and any(self.big[x] for x in self.members[t]),
                        self.cost(self.hh[t] + h, self.area[t] + a) - self.cost(self.hh[t], self.area[t]),
                    ),
                )
                self.move(u, t)
                pending.discard(u)
            if len(pending) == before:
                return False
        return True

    def anneal(self, steps: int, t_start: float = 0.05, t_end: float = 0.002) -> bool:
        """Simulated annealing on the overflow: a unit on an edge goes to a touching grid, or two
        touching units of different grids change places."""
        units, rng, owner, members, over = self.units, self.rng, self.owner, self.members, self.over
        hh_u, area_u = units.households, units.area
        n = len(hh_u)

        def connected(g: int, without: int, plus: int) -> bool:
            rest = (members[g] - {without}) | {plus}
            return len(self.components(rest)) == 1

        # no move puts two big units together
        big = self.big
        bigs: dict[int, int] = defaultdict(int)
        for x in np.flatnonzero(big):
            bigs[owner[int(x)]] += 1

        total = self.overflow()
        ratio = (t_end / t_start) ** (1.0 / max(1, steps))
        temp = t_start
        for _ in range(steps):
            if total <= 1e-12:
                return True
            temp *= ratio
            u = rng.randrange(n)
            g = owner[u]
            others = [w for w in self.graph[u] if owner[w] != g]
            if not others:
                continue
            w = others[rng.randrange(len(others))]
            t = owner[w]
            swap = rng.random() < 0.5
            gain = int(big[u]) - (int(big[w]) if swap else 0)
            if (gain > 0 and bigs[t] + gain > 1) or (gain < 0 and bigs[g] - gain > 1):
                continue
            dh, da = hh_u[u] - (hh_u[w] if swap else 0.0), area_u[u] - (area_u[w] if swap else 0.0)
            delta = (
                over(self.hh[g] - dh, self.area[g] - da)
                + over(self.hh[t] + dh, self.area[t] + da)
                - over(self.hh[g], self.area[g])
                - over(self.hh[t], self.area[t])
            )
            if delta > 0 and rng.random() >= math.exp(-delta / temp):
                continue
            if swap:
                if not (connected(g, u, w) and connected(t, w, u)):
                    continue
                members[g].add(w)  # first, so that neither grid is ever empty
                members[t].add(u)
                self.move(u, t)
                self.move(w, g)
            else:
                if len(members[g]) == 1 or not self.connected_without(g, u):
                    continue
                self.move(u, t)
            bigs[g] -= gain
            bigs[t] += gain
            total += delta
        return self.overflow() <= 1e-12


def _largest_or_whole(poly: shapely.Geometry) -> shapely.Geometry:
    """Drop slivers (under a square metre) that clipping can leave beside a polygon."""
    if poly.geom_type == "Polygon":
        return poly
    pieces = [p for p in shapely.get_parts(poly) if p.geom_type == "Polygon"]
    big = [p for p in pieces if area_km2(p) * 1_000_000 >= 1.0]
    if len(big) == 1:
        return big[0]
    return shapely.union_all(big or pieces)


def _simplify(polygons_m: list, tolerance: float, building_points: list[np.ndarray]) -> list:
    """Simplify the grids' shared edges together; keep the originals if a building would change side."""
    if tolerance <= 0 or len(polygons_m) == 0:
        return polygons_m
    try:
        simplified = list(shapely.coverage_simplify(np.array(polygons_m, dtype=object), tolerance))
    except shapely.errors.GEOSException:
        return polygons_m
    for poly, pts in zip(simplified, building_points, strict=True):
        if not poly.is_valid or (len(pts) and not shapely.contains_xy(poly, pts[:, 0], pts[:, 1]).all()):
            return polygons_m
    return simplified
