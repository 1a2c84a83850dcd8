"""The demo district plan at full scale reproduces seed S0 exactly (no database needed)."""

import shapely
from shapely.geometry import shape

from gongzhi.demo.plan import make_plan, rect_geojson
from gongzhi.population.identity import id_checksum
from gongzhi.territory import geometry

PLAN = make_plan()


def all_compounds(plan):
    return [k for c in plan.communities for g in c.grids for k in g.compounds]


def test_counts_match_seed_s0():
    communities = PLAN.communities
    compounds = all_compounds(PLAN)
    assert len(communities) == 36
    assert sum(len(c.grids) for c in communities) == 179
    assert len(compounds) == 661
    assert sum(k.occupied for k in compounds) == 558
    assert sum(c.households for c in communities) == 120_100
    assert sum(k.households for k in compounds) == 120_100
    assert sum(b.households for k in compounds for b in k.buildings) == 120_100
    assert sum(c.residents for c in communities) == 304_500
    assert sum(c.social_workers for c in communities) == 336


def test_community_ranges_match_seed_s0():
    communities = PLAN.communities
    assert min(c.residents for c in communities) == 1_920
    assert max(c.residents for c in communities) == 23_540
    assert sorted(c.area_km2 for c in communities)[:3] == [0.7, 0.7, 0.7]
    assert max(c.area_km2 for c in communities) == 10.6
    assert round(sum(c.area_km2 for c in communities), 2) == 105.68
    assert sum(c.households > 3_000 for c in communities) == 21
    assert sum(c.households > 5_000 for c in communities) == 3
    assert all(2.0 <= c.residents / c.households <= 3.0 for c in communities)


def test_polygons_tile_the_district_and_areas_are_right():
    district = shape(rect_geojson(PLAN.rect))
    grids = [shape(rect_geojson(g.rect)) for c in PLAN.communities for g in c.grids]
    assert shapely.union_all(grids).symmetric_difference(district).area < 1e-12
    assert abs(sum(g.area for g in grids) - district.area) < 1e-12  # no overlaps
    assert geometry.area_km2(district) == __import__("pytest").approx(105.68, rel=2e-3)
    for community in PLAN.communities:
        measured = geometry.area_km2(shape(rect_geojson(community.rect)))
        assert abs(measured - community.area_km2) / community.area_km2 < 2e-3


def test_buildings_and_compounds_lie_inside_their_grid():
    for community in PLAN.communities:
        for grid in community.grids:
            cell = shape(rect_geojson(grid.rect))
            for compound in grid.compounds:
                assert cell.contains(shape(rect_geojson(compound.rect)))
                for b in compound.buildings:
                    assert shapely.Point(b.x, b.y).within(shapely.box(*compound.rect))
                    assert b.floors * b.units * 2 >= b.households


def test_plan_is_deterministic():
    again = make_plan()
    assert [c.households for c in again.communities] == [c.households for c in PLAN.communities]
    assert [k.name for k in all_compounds(again)] == [k.name for k in all_compounds(PLAN)]
    assert make_plan(seed=1).communities[0].households != PLAN.communities[0].households or (
        [k.name for k in all_compounds(make_plan(seed=1))] != [k.name for k in all_compounds(PLAN)]
    )


def test_grid_numbering_runs_west_east_north_south():
    for community in PLAN.communities:
        centres = [((g.rect[0] + g.rect[2]) / 2, (g.rect[1] + g.rect[3]) / 2) for g in community.grids]
        keys = [(-round(y, 1), x) for x, y in centres]
        assert keys == sorted(keys)


def test_gb11643_checksum():
    # published example from GB 11643-1999: 11010519491231002X
    assert id_checksum("11010519491231002") == "X"
    assert id_checksum("44052418800101001") == "4"
