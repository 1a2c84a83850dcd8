"""The grid map: measures on a small hand-made territory, the map API (scope, validation, legend),
the pages, and the boundary editor's API (which calls grids.services.redraw_grids).

The territory (kilometre plane of gongzhi.demo.plan, rectangles x0, y0, x1, y1):

    临江区 (0,0)-(6,4)
      东湖街道 (0,0)-(4,4)
        桂花社区 (0,0)-(2,4):  第1网格 (0,0)-(2,2)  第2网格 (0,2)-(2,4)
        荷塘社区 (2,0)-(4,4):  第1网格 (2,0)-(4,4)  第2网格 retired (no boundary; its rows are not counted)
      西湖街道 (4,0)-(6,4)
        梅园社区 (4,0)-(6,4):  第1网格 (4,0)-(6,4)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.cases import services as cases
from gongzhi.cases.choices import Category, Channel
from gongzhi.cases.models import Case
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with
from gongzhi.demo.plan import rect_geojson, to_lonlat
from gongzhi.grids import measures
from gongzhi.grids.choices import PatrolStatus
from gongzhi.grids.models import Patrol
from gongzhi.population import services as population
from gongzhi.population.models import Household
from gongzhi.territory import services as territory
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 12, 1)  # the 30 days of patrol coverage: 2026-11-02 … 2026-12-01
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SH)


@dataclass
class MapTerritory:
    district: District
    east: Street
    west: Street
    osmanthus: Community
    lotus: Community
    plum: Community
    g11: Grid
    g12: Grid
    g21: Grid
    g22: Grid  # retired
    g31: Grid
    buildings: dict[str, Building]
    admin: object  # district admin, reports the cases


def _node(model, parent, name, code, rect=None, **extra):
    geometry = rect_geojson(rect) if rect else None
    return territory.create_node(model, actor=None, parent=parent, name=name, code=code, geometry=geometry, **extra)


def _building(grid, code, points, *, compound_rect):
    compound = _node(
        Compound,
        grid,
        f"{grid.name}小区",
        code,
        compound_rect,
        property_management="company",
        property_company="测试物业有限公司",
    )
    result = []
    for i, (x, y) in enumerate(points, start=1):
        lon, lat = to_lonlat(x, y)
        result.append(
            territory.create_node(
                Building, actor=None, parent=compound, name=f"{i}幢", code=f"{code}-{i:03d}", lon=lon, lat=lat
            )
        )
    return result


def _households(building, residents_per_household):
    for i, n in enumerate(residents_per_household, start=1):
        household = population.create_household(actor=None, building=building, room=f"1单元{i:02d}室")
        for k in range(n):
            population.create_resident(
                actor=None, household=household, name=f"居民{building.pk}-{i}-{k}", gender="female"
            )


def _patrol(worker, grid, local: datetime.datetime, status=PatrolStatus.DONE):
    started = local.replace(tzinfo=SH)
    return Patrol.objects.create(
        worker=worker,
        grid=grid,
        community_id=grid.community_id,
        street_id=grid.street_id,
        district_id=grid.district_id,
        status=status,
        started_at=started,
        ended_at=started + datetime.timedelta(hours=2) if status == PatrolStatus.DONE else None,
    )


def _case(admin, building, *, open_=True):
    case = cases.report_case(
        actor=admin,
        channel=Channel.GRID_APP,
        description="楼道里堆放杂物，影响通行",
        now=NOW,
        building=building,
        category=Category.SANITATION,
    )
    if not open_:
        cases.reject_case(case, actor=admin, now=NOW, note="重复反映")
    return case


def build_map_territory(*, with_activity: bool = True) -> MapTerritory:
    """The territory above; with households, residents, cases and patrols unless told otherwise."""
    district = territory.create_node(
        District, actor=None, name="临江区", code="330199", geometry=rect_geojson((0, 0, 6, 4))
    )
    east = _node(Street, district, "东湖街道", "330199001000", (0, 0, 4, 4))
    west = _node(Street, district, "西湖街道", "330199002000", (4, 0, 6, 4))
    osmanthus = _node(Community, east, "桂花社区", "330199001001", (0, 0, 2, 4))
    lotus = _node(Community, east, "荷塘社区", "330199001002", (2, 0, 4, 4))
    plum = _node(Community, west, "梅园社区", "330199002001", (4, 0, 6, 4))
    g11 = _node(Grid, osmanthus, "桂花社区第1网格", "330199001001001", (0, 0, 2, 2))
    g12 = _node(Grid, osmanthus, "桂花社区第2网格", "330199001001002", (0, 2, 2, 4))
    g21 = _node(Grid, lotus, "荷塘社区第1网格", "330199001002001", (2, 0, 4, 4))
    g22 = _node(Grid, lotus, "荷塘社区第2网格", "330199001002002")
    g31 = _node(Grid, plum, "梅园社区第1网格", "330199002001001", (4, 0, 6, 4))
    b = {}
    b["111"], b["112"] = _building(g11, "G11", [(0.5, 1), (1.5, 1)], compound_rect=(0.2, 0.2, 1.8, 1.8))
    (b["121"],) = _building(g12, "G12", [(1, 3)], compound_rect=(0.2, 2.2, 1.8, 3.8))
    (b["211"],) = _building(g21, "G21", [(3, 2)], compound_rect=(2.2, 0.2, 3.8, 3.8))
    (b["221"],) = _building(g22, "G22", [(3, 3.5)], compound_rect=None)
    (b["311"],) = _building(g31, "G31", [(5, 2)], compound_rect=(4.2, 0.2, 5.8, 3.8))
    admin = user_with(Role.DISTRICT_ADMIN, district, "qu-admin")
    if with_activity:
        _households(b["111"], [2, 2, 1])  # 桂花 1: 4 households, 6 residents
        _households(b["112"], [1])
        _households(b["121"], [1, 1])  # 桂花 2: 2 households, 2 residents
        _households(b["211"], [1, 1, 1])  # 荷塘 1: 3 households, 3 residents
        _households(b["221"], [4])  # retired grid: not counted
        _households(b["311"], [2, 1, 1, 1, 1])  # 梅园 1: 5 households, 6 residents
        _case(admin, b["111"])
        _case(admin, b["112"])
        _case(admin, b["111"], open_=False)  # rejected: not open
        _case(admin, b["211"])
        _case(admin, b["221"])  # in the grid that is retired below: not counted
        for _ in range(3):
            _case(admin, b["311"])
        worker = user_with(Role.GRID_WORKER, g11, "xunchayuan")
        # 桂花 1: 3 patrolled days in the window (two patrols on 11-10 count once)
        _patrol(worker, g11, datetime.datetime(2026, 11, 2, 0, 5))  # the first day of the window
        _patrol(worker, g11, datetime.datetime(2026, 11, 10, 9, 0))
        _patrol(worker, g11, datetime.datetime(2026, 11, 10, 15, 0))
        _patrol(worker, g11, datetime.datetime(2026, 12, 1, 23, 30))  # today, late: 15:30 UTC
        _patrol(worker, g11, datetime.datetime(2026, 11, 1, 23, 59))  # the day before the window
        _patrol(worker, g11, datetime.datetime(2026, 12, 2, 0, 10))  # after today
        _patrol(worker, g11, datetime.datetime(2026, 11, 20, 9, 0), status=PatrolStatus.OPEN)  # not finished
        for day in range(6):  # 桂花 2: 6 days
            _patrol(worker, g12, datetime.datetime(2026, 11, 3 + day, 8, 0))
        for day in range(10):  # retired grid: not counted
            _patrol(worker, g22, datetime.datetime(2026, 11, 3 + day, 8, 0))
        for day in range(15):  # 梅园 1: 15 days
            _patrol(worker, g31, datetime.datetime(2026, 11, 10 + day, 8, 0))
    # 荷塘 2 was merged away by a new division (the lead's apply service sets this; no service here)
    Grid.objects.filter(pk=g22.pk).update(retired_on=datetime.date(2026, 11, 1))
    return MapTerritory(district, east, west, osmanthus, lotus, plum, g11, g12, g21, g22, g31, b, admin)


@pytest.fixture
def t(db):
    cases.clear_caches()
    return build_map_territory()


@pytest.fixture
def people(t):
    return {
        "district_admin": t.admin,
        "east_admin": user_with(Role.STREET_ADMIN, t.east, "east-admin"),
        "west_admin": user_with(Role.STREET_ADMIN, t.west, "west-admin"),
        "osmanthus_worker": user_with(Role.COMMUNITY_WORKER, t.osmanthus, "guihua"),
        "lotus_worker": user_with(Role.COMMUNITY_WORKER, t.lotus, "hetang"),
        "grid_worker": user_with(Role.GRID_WORKER, t.g11, "g11-worker"),
        "no_role": user_with(None, None, "nobody"),
    }


def figures(user, node):
    return {
        c.name: (c.households, c.residents, c.open_cases, c.patrol_coverage, c.grids, c.households_per_grid)
        for c in measures.child_figures(user, node, today=TODAY)
    }


# -- measures ----------------------------------------------------------------------------------------


def test_measures_of_a_district_street_and_community(t, people):
    admin = people["district_admin"]
    # (households, residents, open cases, patrol coverage %, active grids, households per grid)
    assert figures(admin, t.district) == {
        "东湖街道": (9, 11, 3, 10.0, 3, 3.0),  # (3 + 6 + 0) patrolled grid-days / (30 days × 3 grids)
        "西湖街道": (5, 6, 3, 50.0, 1, 5.0),
    }
    assert figures(admin, t.east) == {
        "桂花社区": (6, 8, 2, 15.0, 2, 3.0),
        "荷塘社区": (3, 3, 1, 0.0, 1, 3.0),  # the retired grid, its household, case and patrols left out
    }
    assert figures(admin, t.osmanthus) == {
        "桂花社区第1网格": (4, 6, 2, 10.0, 1, 4.0),
        "桂花社区第2网格": (2, 2, 0, 20.0, 1, 2.0),
    }
    assert figures(admin, t.lotus) == {"荷塘社区第1网格": (3, 3, 1, 0.0, 1, 3.0)}


def test_patrol_coverage_window_ends_at_today(t, people):
    admin = people["district_admin"]
    coverage = {c.name: c.patrol_coverage for c in measures.child_figures(admin, t.osmanthus, today=TODAY)}
    assert coverage == {"桂花社区第1网格": 10.0, "桂花社区第2网格": 20.0}
    # a day later 11-02 leaves the window and 12-02 00:10 enters it: still 3 days for 第1网格
    later = measures.child_figures(admin, t.osmanthus, today=TODAY + datetime.timedelta(days=1))
    assert {c.name: c.patrol_coverage for c in later} == {"桂花社区第1网格": 10.0, "桂花社区第2网格": 20.0}
    # two months on, nothing is left in the window
    gone = measures.child_figures(admin, t.osmanthus, today=datetime.date(2027, 2, 1))
    assert {c.name: c.patrol_coverage for c in gone} == {"桂花社区第1网格": 0.0, "桂花社区第2网格": 0.0}


def test_measures_are_scoped_to_the_viewer(t, people):
    # a grid worker of 桂花 1 sees their community with their grid only
    assert figures(people["grid_worker"], t.osmanthus) == {"桂花社区第1网格": (4, 6, 2, 10.0, 1, 4.0)}
    # a community worker sees nothing of the other community
    assert figures(people["osmanthus_worker"], t.lotus) == {}
    assert figures(people["no_role"], t.east) == {}


def test_a_street_without_grids_has_no_coverage(t, people):
    street = _node(Street, t.district, "新区街道", "330199003000")
    _node(Community, street, "新建社区", "330199003001")
    assert figures(people["district_admin"], street) == {"新建社区": (0, 0, 0, None, 0, None)}


def test_one_query_per_measure(t, people, django_assert_num_queries):
    admin = people["east_admin"]
    admin.scope_nodes("territory.view")  # the assignments, read once per request
    # children, households, residents, open cases, grids, patrolled days
    with django_assert_num_queries(6):
        measures.child_figures(admin, t.east, today=TODAY)
    # the children of a community are grids: no grid count
    with django_assert_num_queries(5):
        measures.child_figures(admin, t.osmanthus, today=TODAY)


def test_quantile_breaks_and_classes():
    assert measures.quantile_breaks([0, 10, 20, 30, 40]) == [8.0, 16.0, 24.0, 32.0]
    assert [measures.class_of(v, [8.0, 16.0, 24.0, 32.0]) for v in (0, 8, 10, 20, 30, 40)] == [0, 0, 1, 2, 3, 4]
    assert measures.quantile_breaks([9, 5, None]) == [5.8, 6.6, 7.4, 8.2]
    assert measures.quantile_breaks([7]) == [7.0, 7.0, 7.0, 7.0]
    assert measures.class_of(7, [7.0, 7.0, 7.0, 7.0]) == 0
    assert measures.quantile_breaks([None]) == []
    assert measures.class_of(None, [1.0, 2.0, 3.0, 4.0]) is None


def test_top_node_and_who_may_map_what(t, people):
    assert measures.top_node(people["district_admin"]) == t.district
    assert measures.top_node(people["east_admin"]) == t.east
    assert measures.top_node(people["grid_worker"]) == t.osmanthus
    assert measures.top_node(people["no_role"]) is None
    assert measures.map_node(people["grid_worker"], "community", t.osmanthus.pk) == t.osmanthus
    assert measures.map_node(people["grid_worker"], "community", t.lotus.pk) is None
    assert measures.map_node(people["grid_worker"], "street", t.east.pk) is None
    assert measures.map_node(people["osmanthus_worker"], "street", t.east.pk) is None
    assert measures.map_node(people["east_admin"], "district", t.district.pk) is None
    assert measures.map_node(people["east_admin"], "grid", t.g11.pk) is None  # grids have nothing below on the map


# -- the map API -------------------------------------------------------------------------------------


def api_for(user):
    api = APIClient()
    api.force_login(user)
    return api


def map_url(**params):
    from urllib.parse import urlencode

    return reverse("grids-map") + ("?" + urlencode(params) if params else "")


def test_api_feature_collection_of_a_district(t, people):
    response = api_for(people["district_admin"]).get(map_url(level="district", id=t.district.pk, measure="households"))
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["node"] == {"id": t.district.pk, "name": "临江区", "code": "330199", "level": "district"}
    assert (data["child_level"], data["drill_down"], data["measure"], data["label"], data["unit"]) == (
        "street",
        True,
        "households",
        "户数",
        "户",
    )
    assert data["legend"] == {"classes": 5, "breaks": [5.8, 6.6, 7.4, 8.2], "min": 5, "max": 9}
    east, west = data["features"]
    assert east["geometry"]["type"] == "Polygon"
    assert east["properties"] == {
        "id": t.east.pk,
        "name": "东湖街道",
        "code": "330199001000",
        "level": "street",
        "value": 9,
        "class": 4,
        "households": 9,
        "residents": 11,
        "open_cases": 3,
        "patrol_coverage": 10.0,
        "households_per_grid": 3.0,
        "grids": 3,
        "area_km2": t.east.area_km2,
    }
    assert (west["properties"]["value"], west["properties"]["class"]) == (5, 0)
    assert data["crumbs"] == []
    assert data["edit_url"] is None
    assert data["list_url"] == reverse("territory:node", args=["district", t.district.pk])


def test_api_colours_a_street_by_patrol_coverage(t, people):
    response = api_for(people["east_admin"]).get(map_url(level="street", id=t.east.pk, measure="patrol_coverage"))
    assert response.status_code == 200
    data = response.json()
    values = {f["properties"]["name"]: (f["properties"]["value"], f["properties"]["class"]) for f in data["features"]}
    assert values == {"桂花社区": (15.0, 4), "荷塘社区": (0.0, 0)}
    assert (data["label"], data["unit"]) == ("巡查覆盖率", "%")
    assert data["legend"]["breaks"] == [3.0, 6.0, 9.0, 12.0]
    # the street admin may not open the district: its crumb is not a link
    assert data["crumbs"] == [{"level": "district", "id": t.district.pk, "name": "临江区", "link": False}]


def test_api_community_lists_active_grids_and_offers_editing_to_who_may_divide(t, people):
    data = api_for(people["east_admin"]).get(map_url(level="community", id=t.lotus.pk, measure="open_cases")).json()
    assert [f["properties"]["name"] for f in data["features"]] == ["荷塘社区第1网格"]  # not the retired one
    assert (data["child_level"], data["drill_down"]) == ("grid", False)
    assert data["edit_url"] == reverse("grids:map-edit", args=[t.lotus.pk])
    assert data["crumbs"] == [
        {"level": "district", "id": t.district.pk, "name": "临江区", "link": False},
        {"level": "street", "id": t.east.pk, "name": "东湖街道", "link": True},
    ]
    worker = api_for(people["lotus_worker"]).get(map_url(level="community", id=t.lotus.pk)).json()
    assert worker["edit_url"] is None  # community workers do not redraw grids


def test_api_defaults_to_the_viewers_top_node(t, people):
    data = api_for(people["grid_worker"]).get(map_url()).json()
    assert data["node"]["name"] == "桂花社区"
    assert [(f["properties"]["name"], f["properties"]["value"]) for f in data["features"]] == [("桂花社区第1网格", 4)]
    assert data["list_url"] is None  # the community page itself is outside a grid worker's territory


@pytest.mark.parametrize(
    ("user", "level", "node"),
    [
        ("osmanthus_worker", "community", "lotus"),
        ("osmanthus_worker", "street", "east"),
        ("grid_worker", "street", "east"),
        ("grid_worker", "community", "lotus"),
        ("east_admin", "district", "district"),
        ("east_admin", "street", "west"),
    ],
)
def test_api_out_of_scope_is_404(t, people, user, level, node):
    response = api_for(people[user]).get(map_url(level=level, id=getattr(t, node).pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "不存在或不在您的管辖范围内。"}


def test_api_permission_matrix(t, people):
    url = map_url(level="community", id=t.osmanthus.pk)
    check_matrix(
        url,
        api=True,
        in_scope=people["osmanthus_worker"],
        out_of_scope=people["lotus_worker"],
        no_role=people["no_role"],
    )
    assert api_for(people["district_admin"]).get(map_url(level="street", id=999_999)).status_code == 404


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"level": "street", "id": "1", "measure": "tax"},
            {
                "measure": [
                    "未知的指标“tax”：可选 households（户数）、residents（人口）、"
                    "open_cases（在办事项）、patrol_coverage（巡查覆盖率）。"
                ]
            },
        ),
        (
            {"level": "province", "id": "1"},
            {"level": ["未知的层级“province”：可选 district（区）、street（街道）、community（社区）。"]},
        ),
        ({"level": "grid", "id": "1"}, {"level": ["网格是地图的最底层，没有可着色的下级：请选择区、街道或社区。"]}),
        ({"level": "street", "id": "abc"}, {"id": ["id 应为正整数。"]}),
        ({"level": "street", "id": "-3"}, {"id": ["id 应为正整数。"]}),
        ({"level": "street", "id": "99999999999999999999"}, {"id": ["id 应为正整数。"]}),
        ({"level": "street"}, {"level": ["level 和 id 须同时给出（或都不给，打开您的辖区）。"]}),
    ],
)
def test_api_bad_input_is_400_in_chinese(t, people, params, errors):
    response = api_for(people["district_admin"]).get(map_url(**params))
    assert response.status_code == 400
    assert response.json() == errors


# -- the pages ---------------------------------------------------------------------------------------


def test_map_page_matrix(t, people, client):
    url = reverse("grids:map") + f"?level=community&id={t.osmanthus.pk}"
    check_matrix(
        url, in_scope=people["osmanthus_worker"], out_of_scope=people["lotus_worker"], no_role=people["no_role"]
    )
    client.force_login(people["osmanthus_worker"])
    for bad in ("?level=grid&id=1", "?level=street&id=x", "?level=district&id=", "?id=5"):
        assert client.get(reverse("grids:map") + bad).status_code == 404, bad


def test_map_page_opens_at_the_viewers_top_node(t, people, client):
    client.force_login(people["east_admin"])
    response = client.get(reverse("grids:map") + "?measure=nonsense")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-level="street"' in html and f'data-id="{t.east.pk}"' in html
    assert '<option value="households" selected>户数</option>' in html  # an unknown measure falls back
    assert "东湖街道 · 网格地图" in html
    assert 'href="/grids/map/?level=district' not in html  # the district is not theirs: plain text


def test_edit_page_matrix(t, people, client):
    url = reverse("grids:map-edit", args=[t.osmanthus.pk])
    check_matrix(url, in_scope=people["east_admin"], out_of_scope=people["west_admin"], no_role=people["no_role"])
    client.force_login(people["osmanthus_worker"])  # may view, may not divide
    assert client.get(url).status_code == 403
    client.force_login(people["east_admin"])
    html = client.get(url).content.decode()
    assert reverse("grids-map-boundaries", args=[t.osmanthus.pk]) in html


# -- the boundary editor's API -----------------------------------------------------------------------


def boundaries_url(community):
    return reverse("grids-map-boundaries", args=[community.pk])


def test_boundaries_get(t, people):
    url = boundaries_url(t.osmanthus)
    check_matrix(
        url, api=True, in_scope=people["east_admin"], out_of_scope=people["west_admin"], no_role=people["no_role"]
    )
    assert api_for(people["osmanthus_worker"]).get(url).status_code == 403
    data = api_for(people["east_admin"]).get(url).json()
    assert data["community"]["name"] == "桂花社区"
    assert [f["properties"] for f in data["grids"]["features"]] == [
        {"id": t.g11.pk, "name": "桂花社区第1网格", "code": "330199001001001"},
        {"id": t.g12.pk, "name": "桂花社区第2网格", "code": "330199001001002"},
    ]
    assert [(b["name"], b["grid"]) for b in data["buildings"]] == [
        ("1幢", t.g11.pk),
        ("2幢", t.g11.pk),
        ("1幢", t.g12.pk),
    ]
    lotus = api_for(people["east_admin"]).get(boundaries_url(t.lotus)).json()
    assert [f["properties"]["id"] for f in lotus["grids"]["features"]] == [t.g21.pk]  # not the retired grid


def _state(t):
    return (
        {g.pk: g.geometry for g in Grid.objects.filter(community=t.osmanthus)},
        dict(Building.objects.filter(community=t.osmanthus).values_list("pk", "grid_id")),
        dict(Household.objects.filter(community=t.osmanthus).values_list("pk", "grid_id")),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, {"grids": ['请提交 {"grids": {网格编号: GeoJSON 多边形}}。']}),
        ({"grids": []}, {"grids": ['请提交 {"grids": {网格编号: GeoJSON 多边形}}。']}),
        ({"grids": {}}, {"grids": ["没有要保存的边界修改。"]}),
        ({"grids": {"abc": rect_geojson((0, 0, 2, 2))}}, {"grids": ["网格“abc”不是本社区的网格。"]}),
        ({"grids": {"g21": rect_geojson((0, 0, 2, 2))}}, None),  # another community's grid
        ({"grids": {"g22": rect_geojson((0, 0, 2, 2))}}, None),  # retired
        ({"grids": {"g11": {"type": "Point", "coordinates": [120, 30]}}}, {"grids": None}),
        ({"grids": {"g11": "POLYGON((0 0, 1 1))"}}, {"grids": None}),
    ],
)
def test_boundaries_post_refuses_bad_input(t, people, body, message):
    grids = body.get("grids")
    if isinstance(grids, dict):
        body = {"grids": {str(getattr(t, k).pk) if k.startswith("g") else k: v for k, v in grids.items()}}
    before = _state(t)
    response = api_for(people["east_admin"]).post(boundaries_url(t.osmanthus), body, format="json")
    assert response.status_code == 400
    if message is None:
        key = next(iter(body["grids"]))
        message = {"grids": [f"网格“{key}”不是本社区的网格。"]}
    if message == {"grids": None}:
        message = {"grids": ["网格“桂花社区第1网格”的边界必须是 GeoJSON Polygon。"]}
    assert response.json() == message
    assert _state(t) == before


def test_boundaries_post_scope_and_permission(t, people):
    body = {"grids": {str(t.g11.pk): rect_geojson((0, 0, 2, 2))}}
    api = APIClient()
    assert api.post(boundaries_url(t.osmanthus), body, format="json").status_code == 401
    assert api_for(people["osmanthus_worker"]).post(boundaries_url(t.osmanthus), body, format="json").status_code == 403
    assert api_for(people["west_admin"]).post(boundaries_url(t.osmanthus), body, format="json").status_code == 404
    assert (
        api_for(people["east_admin"])
        .post(reverse("grids-map-boundaries", args=[999_999]), body, format="json")
        .status_code
        == 404
    )


def test_boundaries_post_moves_a_shared_edge_and_the_building_across_it(t, people):
    # the edge between 第1网格 and 第2网格 moves north from y = 2 km to y = 3.2 km: building 1幢 of
    # 第2网格 (at y = 3 km) now lies in 第1网格, with its households and its open case
    moved = t.buildings["121"]
    case = _case(t.admin, moved)
    body = {
        "grids": {
            str(t.g11.pk): rect_geojson((0, 0, 2, 3.2)),
            str(t.g12.pk): rect_geojson((0, 3.2, 2, 4)),
        }
    }
    response = api_for(people["east_admin"]).post(boundaries_url(t.osmanthus), body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["saved"] == sorted([t.g11.pk, t.g12.pk])
    assert data["result"] == {
        "grids_kept": 2,
        "grids_created": 0,
        "grids_retired": 0,
        "buildings_moved": 1,
        "cases_moved": 1,
    }
    assert [(b["id"], b["grid"]) for b in data["buildings"] if b["id"] == moved.pk] == [(moved.pk, t.g11.pk)]
    assert Building.objects.get(pk=moved.pk).grid_id == t.g11.pk
    assert set(Household.objects.filter(building=moved).values_list("grid_id", flat=True)) == {t.g11.pk}
    assert Case.objects.get(pk=case.pk).grid_id == t.g11.pk
    g11, g12 = Grid.objects.get(pk=t.g11.pk), Grid.objects.get(pk=t.g12.pk)
    assert (round(g11.area_km2, 1), round(g12.area_km2, 1)) == (6.4, 1.6)
    # the map now counts the building's households in 第1网格
    assert figures(people["east_admin"], t.osmanthus) == {
        "桂花社区第1网格": (6, 8, 3, 10.0, 1, 6.0),
        "桂花社区第2网格": (0, 0, 0, 20.0, 1, 0.0),
    }


def test_boundaries_post_refuses_an_overlap_and_a_gap(t, people):
    api = api_for(people["east_admin"])
    before = _state(t)
    overlap = {"grids": {str(t.g11.pk): rect_geojson((0, 0, 2, 3))}}  # 第2网格 still starts at y = 2
    response = api.post(boundaries_url(t.osmanthus), overlap, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["网格“桂花社区第1网格”与“桂花社区第2网格”的边界重叠。"]}
    gap = {"grids": {str(t.g11.pk): rect_geojson((0, 0, 2, 1.5))}}  # nothing covers y = 1.5 … 2 km (about 1 km²)
    response = api.post(boundaries_url(t.osmanthus), gap, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["网格之间留有空隙（约 1000340 平方米），社区内每一处都应属于一个网格。"]
    }
    assert _state(t) == before
