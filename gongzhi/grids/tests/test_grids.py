"""Grid standard check, staffing, division proposals and applying them (with the database)."""

from __future__ import annotations

import datetime
import json

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.choices import Role
from gongzhi.cases.models import CaseEvent
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.tree import user_with
from gongzhi.demo.plan import rect_geojson, to_lonlat
from gongzhi.grids import services
from gongzhi.grids.choices import MemberKind, ProposalStatus
from gongzhi.grids.models import DivisionProposal, GridMember, GridStandard
from gongzhi.grids.standard import Failure, check_grids, summarise
from gongzhi.population.models import Household, Resident
from gongzhi.territory import services as territory
from gongzhi.territory.models import Building, Community, Compound, Grid

TODAY = datetime.date(2026, 12, 1)


# --- the standard check ------------------------------------------------------------------------


def test_a_grid_is_checked_for_area_households_and_staff(tree):
    # given: test grid a is 2 km × 2 km (about 3.86 km²) with one household and no staff
    grid = tree.a.grid

    [check] = check_grids(Grid.objects.filter(pk=grid.pk), TODAY)

    assert check.households == 1
    assert set(check.failures) == {Failure.AREA, Failure.FULL_TIME, Failure.PART_TIME}
    assert "超过 0.5 平方公里" in check.failures[Failure.AREA]
    assert check.failures[Failure.FULL_TIME] == "专职网格员 0 人，应有 1 人"


def test_staffing_meets_the_standard_with_one_party_full_time_and_two_part_time(tree):
    grid = tree.a.grid
    ten_days_ago = TODAY - datetime.timedelta(days=10)
    yesterday = TODAY - datetime.timedelta(days=1)
    services.add_member(
        grid, actor=None, kind=MemberKind.FULL_TIME, name="王芳", started_on=ten_days_ago, is_party_member=False
    )
    services.add_member(grid, actor=None, kind=MemberKind.BUILDING_HEAD, name="李强", started_on=ten_days_ago)

    [check] = check_grids(Grid.objects.filter(pk=grid.pk), yesterday)
    assert Failure.FULL_TIME not in check.failures
    assert check.failures[Failure.PARTY] == "专职网格员不是党员"
    assert check.failures[Failure.PART_TIME] == "兼职网格员 1 人，应有 2 人"

    # 王芳 leaves (yesterday was her last day); 陈刚, a party member, and a volunteer start today
    services.end_member(GridMember.objects.get(name="王芳"), actor=None, ended_on=yesterday)
    services.add_member(grid, actor=None, kind=MemberKind.VOLUNTEER, name="赵敏", started_on=TODAY)
    services.add_member(
        grid, actor=None, kind=MemberKind.FULL_TIME, name="陈刚", started_on=TODAY, is_party_member=True
    )

    [check] = check_grids(Grid.objects.filter(pk=grid.pk), TODAY)
    assert (check.full_time, check.full_time_party, check.part_time) == (1, 1, 2)
    assert set(check.failures) == {Failure.AREA}
    # yesterday: 王芳 was still on duty, 陈刚 and 赵敏 not yet
    [earlier] = check_grids(Grid.objects.filter(pk=grid.pk), yesterday)
    assert (earlier.full_time, earlier.full_time_party, earlier.part_time) == (1, 0, 1)
    # a person cannot leave twice
    with pytest.raises(ValidationError):
        services.end_member(GridMember.objects.get(name="王芳"), actor=None, ended_on=TODAY)


def test_the_district_standard_changes_the_check(tree):
    grid = tree.a.grid
    services.set_standard(tree.district, actor=None, max_area_km2=5.0, part_time_workers=0)

    [check] = check_grids(Grid.objects.filter(pk=grid.pk), TODAY)

    assert set(check.failures) == {Failure.FULL_TIME}
    assert GridStandard.objects.get(district=tree.district).max_area_km2 == 5.0
    assert ObjectChange.objects.filter(object_repr__contains="5.0 km²").exists()


def test_bad_standard_and_member_input_is_refused(tree):
    with pytest.raises(ValidationError):
        services.set_standard(tree.district, actor=None, max_households=0)
    with pytest.raises(ValidationError):
        services.set_standard(tree.district, actor=None, colour="red")
    with pytest.raises(ValidationError):
        services.add_member(tree.a.grid, actor=None, kind="boss", name="某某", started_on=TODAY)
    with pytest.raises(ValidationError):
        services.add_member(tree.a.grid, actor=None, kind=MemberKind.VOLUNTEER, name=" ", started_on=TODAY)
    with pytest.raises(ValidationError):
        services.add_member(
            tree.a.grid, actor=None, kind=MemberKind.VOLUNTEER, name="张三", started_on=TODAY, phone="12345"
        )
    member = services.add_member(tree.a.grid, actor=None, kind=MemberKind.VOLUNTEER, name="张三", started_on=TODAY)
    with pytest.raises(ValidationError):
        services.end_member(member, actor=None, ended_on=TODAY - datetime.timedelta(days=1))
    assert GridMember.objects.count() == 1
    assert GridStandard.objects.count() == 0


def test_summary_gives_each_community_its_lower_bound(tree):
    checks = check_grids(Grid.objects.all(), TODAY)

    rows = summarise(checks, Community.objects.all())

    row = next(r for r in rows if r.community == tree.a.community)
    # 1 household, 2 × 2 km (4.0017 km² in the demo plane): the area decides, ⌈4.0017 / 0.5⌉ = 9
    assert tree.a.community.area_km2 == pytest.approx(4.0017, abs=0.0001)
    assert (row.grids, row.failing, row.households, row.by_households, row.by_area, row.lower_bound, row.gap) == (
        1,
        1,
        1,
        1,
        9,
        9,
        8,
    )


# --- division: a community of 1.0 × 0.6 km with 4 compounds and 480 households -----------------


@pytest.fixture
def dense(tree):
    """A district of its own: one street, one community of 1.0 × 0.6 km (0.60 km²) with one grid,
    four compounds of two buildings each, 60 households per building (480 in all)."""
    from gongzhi.territory.models import District, Street

    box = (10.0, 0.0, 11.0, 0.6)
    district = territory.create_node(District, actor=None, name="稠密区", code="330198", geometry=rect_geojson(box))
    street = territory.create_node(
        Street, actor=None, parent=district, name="稠密街道", code="330198001000", geometry=rect_geojson(box)
    )
    community = territory.create_node(
        Community, actor=None, parent=street, name="稠密社区", code="330198001001", geometry=rect_geojson(box)
    )
    old_grid = territory.create_node(
        Grid, actor=None, parent=community, name="稠密社区第1网格", code="330198001001001", geometry=rect_geojson(box)
    )
    buildings = []
    for i, (x, y) in enumerate([(10.2, 0.15), (10.2, 0.45), (10.8, 0.15), (10.8, 0.45)], start=1):
        compound = territory.create_node(
            Compound,
            actor=None,
            parent=old_grid,
            name=f"稠密{i}苑",
            code=f"DENSE-{i}",
            geometry=rect_geojson((x - 0.1, y - 0.08, x + 0.1, y + 0.08)),
        )
        for k in range(2):
            lon, lat = to_lonlat(x - 0.05 + 0.1 * k, y)
            building = territory.create_node(
                Building, actor=None, parent=compound, name=f"{k + 1}幢", code=f"DENSE-{i}-{k}", lon=lon, lat=lat
            )
            buildings.append(building)
            Household.objects.bulk_create([Household.in_building(building, room=f"{r + 1}室") for r in range(60)])
    return community, old_grid, buildings


def test_propose_keeps_the_old_code_and_meets_the_standard(tree, dense):
    community, _old_grid, buildings = dense

    proposal = services.propose_division(community, actor=None)

    # 480 households → at least ⌈480 / 300⌉ = 2 grids; the area (0.60 km²) also needs 2
    assert (proposal.lower_bound, proposal.grid_count, proposal.current_count) == (2, 2, 1)
    features = proposal.result["features"]
    assert sorted(f["properties"]["households"] for f in features) == [240, 240]
    assert all(f["properties"]["area_km2"] <= 0.5 for f in features)
    codes = sorted(f["properties"]["code"] for f in features)
    # one new grid is mostly the old one (half its households, the larger share goes first): it keeps the code
    assert codes == ["330198001001001", "330198001001002"]
    assert sorted(len(f["properties"]["building_ids"]) for f in features) == [4, 4]
    # compounds are never split: both buildings of a compound are in one grid
    for f in features:
        ids = set(f["properties"]["building_ids"])
        for b in buildings:
            if b.pk in ids:
                sibling = next(x for x in buildings if x.compound_id == b.compound_id and x.pk != b.pk)
                assert sibling.pk in ids


def test_apply_moves_everything_and_loses_nothing(tree, dense, settings):
    community, old_grid, buildings = dense
    admin = user_with(Role.STREET_ADMIN, community.street, username="street-a")
    from gongzhi.cases import services as cases

    moved_building = buildings[-1]
    case = cases.report_case(
        actor=admin,
        channel="hotline",
        description="楼道里堆满了杂物，消防通道被堵住了",
        now=timezone.now(),
        building=moved_building,
    )
    assert case.grid_id == old_grid.pk
    households_before = Household.objects.filter(community=community).count()
    proposal = services.propose_division(community, actor=admin)

    counts = services.apply_division(proposal, actor=admin)

    grids = list(Grid.objects.filter(community=community, retired_on__isnull=True))
    assert len(grids) == 2
    assert counts["grids_kept"] == 1 and counts["grids_created"] == 1 and counts["grids_retired"] == 0
    assert Household.objects.filter(community=community).count() == households_before == 480
    for building in Building.objects.filter(community=community):
        assert Household.objects.filter(building=building).exclude(grid_id=building.grid_id).count() == 0
        assert (
            shapely.geometry.shape(building.grid.geometry)
            .buffer(1e-7)
            .contains(shapely.Point(building.lon, building.lat))
        )
    assert sorted(
        Household.objects.filter(community=community).order_by().values_list("grid_id", flat=True).distinct()
    ) == sorted(g.pk for g in grids)
    case.refresh_from_db()
    moved_building.refresh_from_db()
    assert case.grid_id == moved_building.grid_id
    if case.grid_id != old_grid.pk:
        event = CaseEvent.objects.get(case=case, action="regrid")
        assert event.data["from_code"] == old_grid.code
        assert event.public is False
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPLIED and proposal.applied_by == admin
    # applying twice is refused
    with pytest.raises(ValidationError):
        services.apply_division(proposal, actor=admin)


def test_a_stale_proposal_is_refused_and_changes_nothing(tree, dense):
    community, old_grid, buildings = dense
    proposal = services.propose_division(community, actor=None)
    Household.objects.create(**{**_household_fields(buildings[0]), "room": "新增1室"})

    with pytest.raises(ValidationError, match="重新生成方案"):
        services.apply_division(proposal, actor=None)

    assert Grid.objects.filter(community=community).count() == 1
    assert set(Building.objects.filter(community=community).values_list("grid_id", flat=True)) == {old_grid.pk}


def _household_fields(building):
    return {
        "building": building,
        "grid_id": building.grid_id,
        "community_id": building.community_id,
        "street_id": building.street_id,
        "district_id": building.district_id,
    }


def test_fewer_grids_retire_the_rest_and_people_follow(tree, dense):
    community, _old_grid, _buildings = dense
    proposal = services.propose_division(community, actor=None)
    services.apply_division(proposal, actor=None)
    # the population shrinks: one household per compound is enough for one grid by households,
    # but the area (0.60 km²) still needs 2; raise the area limit so that one grid suffices
    Household.objects.filter(community=community).exclude(room="1室").delete()
    services.set_standard(community.district, actor=None, max_area_km2=1.0)
    retiring = Grid.objects.get(community=community, code="330198001001002")
    member = services.add_member(retiring, actor=None, kind=MemberKind.FULL_TIME, name="周敏", started_on=TODAY)

    proposal = services.propose_division(community, actor=None)
    assert proposal.grid_count == 1
    counts = services.apply_division(proposal, actor=None)

    assert counts["grids_retired"] == 1
    retiring.refresh_from_db()
    assert retiring.retired_on == timezone.localdate() and retiring.geometry is None
    member.refresh_from_db()
    assert member.grid.retired_on is None
    assert Building.objects.filter(grid=retiring).count() == 0
    # the retired grid is not checked any more
    assert [c.grid.code for c in check_grids(Grid.objects.filter(community=community), TODAY)] == ["330198001001001"]


def test_redraw_refuses_overlap_and_gap_then_moves_buildings(tree, dense):
    community, _old_grid, _buildings = dense
    services.apply_division(services.propose_division(community, actor=None), actor=None)
    west, east = sorted(Grid.objects.filter(community=community, retired_on__isnull=True), key=lambda g: g.centroid_lon)
    # a straight boundary at x = 10.5 km
    left, right = rect_geojson((10.0, 0.0, 10.5, 0.6)), rect_geojson((10.5, 0.0, 11.0, 0.6))
    services.redraw_grids(community, {west.pk: left, east.pk: right}, actor=None)

    with pytest.raises(ValidationError, match="重叠"):
        services.redraw_grids(community, {west.pk: rect_geojson((10.0, 0.0, 10.6, 0.6))}, actor=None)
    with pytest.raises(ValidationError, match="空隙"):
        services.redraw_grids(community, {west.pk: rect_geojson((10.0, 0.0, 10.4, 0.6))}, actor=None)
    with pytest.raises(ValidationError):
        services.redraw_grids(community, {west.pk: {"type": "Polygon", "coordinates": "x"}}, actor=None)
    with pytest.raises(ValidationError, match="不属于"):
        services.redraw_grids(community, {tree.b.grid.pk: left}, actor=None)

    # move the line east to x = 10.9 km: the compounds at x = 10.8 now lie in the west grid
    counts = services.redraw_grids(
        community,
        {west.pk: rect_geojson((10.0, 0.0, 10.9, 0.6)), east.pk: rect_geojson((10.9, 0.0, 11.0, 0.6))},
        actor=None,
    )
    assert counts["buildings_moved"] == 4
    assert set(Building.objects.filter(community=community).values_list("grid_id", flat=True)) == {west.pk}
    assert Household.objects.filter(community=community, grid=west).count() == 480
    assert Resident.objects.filter(building__community=community).exclude(grid=west).count() == 0


# --- pages and the command ---------------------------------------------------------------------


def test_pages_are_scoped_and_division_needs_the_permission(tree, dense):
    community, _old_grid, _buildings = dense
    street_admin = user_with(Role.STREET_ADMIN, community.street, username="sa")
    worker = user_with(Role.COMMUNITY_WORKER, community, username="cw")
    outsider = user_with(Role.STREET_ADMIN, tree.b.street, username="sb")
    c = Client()

    c.force_login(street_admin)
    for url in ["/grids/", "/grids/standard/", "/grids/staffing/", f"/grids/division/{community.pk}/"]:
        assert c.get(url).status_code == 200, url
    assert c.get(f"/grids/standard/?level=street&id={community.street_id}&all=1").status_code == 200
    assert c.get(f"/grids/standard/?level=street&id={tree.a.street.pk}").status_code == 404
    assert c.get("/grids/standard/?level=planet&id=1").status_code == 404
    export = c.get("/grids/standard/?export=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")
    assert c.get("/grids/staffing/?export=xlsx").status_code == 200
    geo = c.get(f"/grids/division/{community.pk}/current.geojson").json()
    assert [f["properties"]["code"] for f in geo["grids"]["features"]] == ["330198001001001"]
    assert len(geo["buildings"]["features"]) == 8

    assert c.post(f"/grids/division/{community.pk}/", {"action": "propose"}).status_code == 302
    proposal = DivisionProposal.objects.get(community=community)
    page = c.get(f"/grids/division/{community.pk}/").content.decode()
    assert "应用方案" in page and "330198001001002" in page
    assert c.post(f"/grids/division/{community.pk}/", {"action": "apply", "proposal": proposal.pk}).status_code == 302
    assert Grid.objects.filter(community=community, retired_on__isnull=True).count() == 2
    # applying again: a clear error, not a 500
    again = c.post(f"/grids/division/{community.pk}/", {"action": "apply", "proposal": proposal.pk})
    assert again.status_code == 400 and "不能应用" in again.content.decode()

    c.force_login(worker)  # sees the page, may staff grids, may not divide
    assert c.get(f"/grids/division/{community.pk}/").status_code == 200
    assert c.post(f"/grids/division/{community.pk}/", {"action": "propose"}).status_code == 404
    grid = Grid.objects.filter(community=community, retired_on__isnull=True).first()
    bad = c.post(f"/grids/staffing/{grid.pk}/", {"name": "", "kind": "full_time", "started_on": "2026-12-01"})
    assert bad.status_code == 400
    bad_date = c.post(f"/grids/staffing/{grid.pk}/", {"name": "吴昊", "kind": "volunteer", "started_on": "12/01"})
    assert bad_date.status_code == 400 and "日期格式" in bad_date.content.decode()
    ok = c.post(
        f"/grids/staffing/{grid.pk}/",
        {"name": "吴昊", "kind": "volunteer", "started_on": "2026-12-01", "phone": "13912345678"},
    )
    assert ok.status_code == 302
    member = GridMember.objects.get(name="吴昊")
    assert member.phone == "13912345678"
    assert "139****5678" in c.get(f"/grids/staffing/{grid.pk}/").content.decode()

    c.force_login(outsider)
    assert c.get(f"/grids/division/{community.pk}/").status_code == 404
    assert c.get(f"/grids/staffing/{grid.pk}/").status_code == 404
    assert c.get(f"/grids/standard/?level=community&id={community.pk}").status_code == 404


def test_propose_grids_command_writes_geojson(tree, dense, tmp_path, capsys):
    community, _old_grid, _buildings = dense
    out = tmp_path / "proposal.geojson"

    call_command("propose_grids", community.code, "--geojson", str(out))

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 2
    props = data["features"][0]["properties"]
    assert {"building_ids", "households", "area_km2"} <= set(props)
    assert sum(f["properties"]["households"] for f in data["features"]) == 480
    assert DivisionProposal.objects.count() == 0  # without --save nothing is stored
    printed = capsys.readouterr().out
    assert "稠密社区" in printed
