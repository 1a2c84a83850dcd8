"""The division's invariants on generated communities (pure: no database).

Given a community boundary with compounds and buildings, every proposal must: put every building
in exactly one grid; keep every grid within the limits; make every grid one piece; tile the
community (no overlap, no gap); keep a compound whole unless it alone exceeds a limit.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely

from gongzhi.demo.plan import rect_geojson, to_lonlat
from gongzhi.grids.division import BuildingIn, CompoundIn, Limits, _Squeeze, _Units, divide, lower_bound
from gongzhi.territory import geometry


def community(seed: int, width_km: float, height_km: float, n_compounds: int, max_hh: int):
    """A rectangle with compounds on a jittered lattice, each holding a few buildings."""
    rng = random.Random(seed)
    boundary = shapely.geometry.shape(rect_geojson((0, 0, width_km, height_km)))
    cols = max(1, round((n_compounds * width_km / height_km) ** 0.5))
    rows = -(-n_compounds // cols)
    cw, ch = width_km / cols, height_km / rows
    compounds, buildings, bid = [], [], 0
    for i in range(n_compounds):
        c, r = i % cols, i // cols
        x0, y0 = c * cw + cw * 0.1, r * ch + ch * 0.1
        x1, y1 = x0 + cw * rng.uniform(0.5, 0.8), y0 + ch * rng.uniform(0.5, 0.8)
        compounds.append(CompoundIn(i + 1, shapely.geometry.shape(rect_geojson((x0, y0, x1, y1)))))
        total = rng.randint(20, max_hh)
        count = rng.randint(1, 6)
        for k in range(count):
            bid += 1
            lon, lat = to_lonlat(rng.uniform(x0, x1), rng.uniform(y0, y1))
            buildings.append(BuildingIn(bid, lon, lat, total // count + (1 if k < total % count else 0), i + 1))
    return boundary, compounds, buildings


CASES = [
    # seed, width, height, compounds, max households per compound
    (1, 1.0, 0.8, 12, 260),
    (2, 2.0, 1.5, 20, 600),  # some compounds exceed 300 households: split by building
    (3, 3.0, 2.0, 10, 120),  # sparse: the area limit decides
    (4, 0.6, 0.6, 30, 200),  # dense: the household limit decides
    (5, 1.6, 0.5, 16, 400),
]


@pytest.mark.parametrize(("seed", "width", "height", "n", "max_hh"), CASES)
def test_division_invariants(seed, width, height, n, max_hh):
    boundary, compounds, buildings = community(seed, width, height, n, max_hh)
    limits = Limits(max_area_km2=0.5, max_households=300)

    result = divide(boundary, buildings, compounds, limits)

    # every building in exactly one grid
    placed = [b for part in result.parts for b in part.building_ids]
    assert sorted(placed) == sorted(b.id for b in buildings)
    # every grid within the limits (recomputed from the output, in the same equal-area projection)
    hh = {b.id: b.households for b in buildings}
    for part in result.parts:
        assert part.households == sum(hh[b] for b in part.building_ids) <= 300
        assert geometry.area_km2(part.polygon) <= 0.5
        # contiguous: one polygon
        assert part.polygon.geom_type == "Polygon", part.polygon.geom_type
        assert part.contiguous
        # the buildings lie in their grid
        for b in buildings:
            if b.id in part.building_ids:
                assert geometry.contains(part.polygon, shapely.Point(b.lon, b.lat))
    # the grids tile the community: no overlap, no gap
    polys = [p.polygon for p in result.parts]
    for i, a in enumerate(polys):
        for b in polys[i + 1 :]:
            assert a.intersection(b).area < 1e-9
    union = shapely.union_all(polys)
    assert boundary.symmetric_difference(union).area < 1e-8
    # a compound within the limits is never split
    part_of = {b: i for i, part in enumerate(result.parts) for b in part.building_ids}
    for compound in compounds:
        own = [b for b in buildings if b.compound_id == compound.id]
        if sum(b.households for b in own) <= 300:
            assert len({part_of[b.id] for b in own}) == 1, compound.id
    # never fewer than the lower bound, and not wastefully many
    assert result.count >= result.lower_bound
    assert result.count <= result.lower_bound * 1.5 + 1


def test_exact_count_on_an_easy_community():
    """Four compounds of 150 households in 0.4 km²: two grids of 300 households each, exactly."""
    boundary = shapely.geometry.shape(rect_geojson((0, 0, 0.8, 0.5)))
    compounds, buildings = [], []
    for i, (x, y) in enumerate([(0.2, 0.15), (0.2, 0.35), (0.6, 0.15), (0.6, 0.35)], start=1):
        compounds.append(CompoundIn(i, shapely.geometry.shape(rect_geojson((x - 0.08, y - 0.05, x + 0.08, y + 0.05)))))
        lon, lat = to_lonlat(x, y)
        buildings.append(BuildingIn(i, lon, lat, 150, i))

    result = divide(boundary, buildings, compounds, Limits(0.5, 300))

    assert result.lower_bound == 2
    assert result.count == 2
    assert sorted(p.households for p in result.parts) == [300, 300]
    # neighbours pair up (west with west, east with east): the compact split
    assert sorted(sorted(p.building_ids) for p in result.parts) == [[1, 2], [3, 4]]


def test_same_input_same_division():
    boundary, compounds, buildings = community(7, 1.2, 1.0, 14, 280)
    a = divide(boundary, buildings, compounds, Limits())
    b = divide(boundary, buildings, compounds, Limits())
    assert [p.building_ids for p in a.parts] == [p.building_ids for p in b.parts]
    assert [p.polygon.wkt for p in a.parts] == [p.polygon.wkt for p in b.parts]


def test_a_building_over_the_limit_is_reported_and_stands_alone():
    boundary = shapely.geometry.shape(rect_geojson((0, 0, 0.5, 0.5)))
    lon1, lat1 = to_lonlat(0.1, 0.1)
    lon2, lat2 = to_lonlat(0.4, 0.4)
    buildings = [BuildingIn(1, lon1, lat1, 420, 1), BuildingIn(2, lon2, lat2, 80, 2)]

    result = divide(boundary, buildings, [], Limits(0.5, 300))

    assert result.oversized_buildings == [1]
    tower = next(p for p in result.parts if 1 in p.building_ids)
    assert tower.building_ids == [1]
    assert tower.households == 420


def test_an_empty_community_is_one_grid_per_area_limit():
    boundary = shapely.geometry.shape(rect_geojson((0, 0, 1.2, 1.0)))  # 1.2 km²: at least 3 grids

    result = divide(boundary, [], [], Limits(0.5, 300))

    assert result.lower_bound == 3
    assert result.count == 3
    assert all(geometry.area_km2(p.polygon) <= 0.5 for p in result.parts)
    assert sum(p.area_km2 for p in result.parts) == pytest.approx(1.2, rel=1e-3)


def test_lower_bound():
    assert lower_bound(0, 0.2, Limits()) == 1
    assert lower_bound(301, 0.2, Limits()) == 2
    assert lower_bound(300, 1.0, Limits()) == 2
    assert lower_bound(9_200, 2.28, Limits()) == 31
    assert lower_bound(100, 1.01, Limits(0.5, 300)) == 3


def test_squeeze_takes_a_grid_away_by_moving_units_along():
    """Units 100-200-100-200 in a row, grouped [0] [1 2] [3]: no two neighbouring grids fit together,
    but dissolving [0] into [1 2] and passing 2 on to [3] leaves two full grids."""
    n = 4
    units = _Units(
        households=np.array([100.0, 200.0, 100.0, 200.0]),
        area=np.full(n, 1000.0),
        cx=np.arange(n, dtype=float),
        cy=np.zeros(n),
        minx=np.arange(n, dtype=float),
        miny=np.zeros(n),
        maxx=np.arange(n, dtype=float) + 1,
        maxy=np.ones(n),
        sites=[[i] for i in range(n)],
    )
    graph = [{1}, {0, 2}, {1, 3}, {2}]
    search = _Squeeze([[0], [1, 2], [3]], units, graph, Limits(0.5, 300), 0.5e6, random.Random(1))

    assert search.dissolve(0)
    assert search.anneal(2000)
    assert sorted(search.groups()) == [[0, 1], [2, 3]]
