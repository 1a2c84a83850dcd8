"""Hierarchy validation: codes, parents, geometry, compound attributes; derived fields; audit."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.core.models import ObjectChange
from gongzhi.demo.plan import rect_geojson, to_lonlat
from gongzhi.territory import services
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError) -> dict:
    return exc.message_dict


def test_ancestors_area_and_centroid_are_derived(tree):
    grid = tree.a.grid
    assert (grid.community_id, grid.street_id, grid.district_id) == (
        tree.a.community.pk,
        tree.a.street.pk,
        tree.district.pk,
    )
    building = tree.b.building
    assert (building.grid_id, building.community_id, building.street_id) == (
        tree.b.grid.pk,
        tree.b.community.pk,
        tree.b.street.pk,
    )
    # a 2 km × 2 km square in the local plane is 4 km² to within projection error
    assert grid.area_km2 == pytest.approx(4.0, rel=2e-3)
    assert tree.district.area_km2 == pytest.approx(8.0, rel=2e-3)
    lon, lat = to_lonlat(1, 1)
    assert (grid.centroid_lon, grid.centroid_lat) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))


@pytest.mark.parametrize(
    ("code", "field_message"),
    [
        ("33019900100", "统计用区划代码应为 12 位数字。"),
        ("330188001000", "街道代码的前 6 位应为所属区的代码 330199。"),
        ("330199001001", "街道代码的第 7–9 位为街道顺序码（不能为 000），末 3 位为 000。"),
        ("330199000000", "街道代码的第 7–9 位为街道顺序码（不能为 000），末 3 位为 000。"),
    ],
)
def test_street_code_rules(tree, code, field_message):
    with pytest.raises(ValidationError) as exc:
        services.create_node(Street, actor=None, parent=tree.district, name="新街道", code=code)
    assert field_message in messages(exc.value)["code"]
    assert not Street.objects.filter(name="新街道").exists()


@pytest.mark.parametrize(
    ("code", "field_message"),
    [
        ("330199002001", "社区代码的前 9 位应与所属街道一致（330199001）。"),
        ("330199001000", "社区代码末 3 位应在 001–199（居委会）或 200–399（村委会）之间。"),
        ("330199001400", "社区代码末 3 位应在 001–199（居委会）或 200–399（村委会）之间。"),
    ],
)
def test_community_code_rules(tree, code, field_message):
    with pytest.raises(ValidationError) as exc:
        services.create_node(Community, actor=None, parent=tree.a.street, name="新社区", code=code)
    assert field_message in messages(exc.value)["code"]


def test_village_community_kind(tree):
    village = services.create_node(Community, actor=None, parent=tree.a.street, name="新村", code="330199001201")
    assert village.kind == "village"
    assert tree.a.community.kind == "urban"


@pytest.mark.parametrize(
    ("code", "field_message"),
    [
        ("33019900100100", "网格编码应为 15 位数字（社区代码 12 位 + 网格顺序码 3 位）。"),
        ("330199002001002", "网格编码前 12 位应为所属社区代码 330199001001。"),
        ("330199001001000", "网格顺序码不能为 000。"),
    ],
)
def test_grid_code_rules(tree, code, field_message):
    with pytest.raises(ValidationError) as exc:
        services.create_node(Grid, actor=None, parent=tree.a.community, name="新网格", code=code)
    assert field_message in messages(exc.value)["code"]


def test_duplicate_code_is_refused(tree):
    with pytest.raises(ValidationError) as exc:
        services.create_node(Grid, actor=None, parent=tree.a.community, name="重复", code=tree.a.grid.code)
    assert "code" in messages(exc.value)


def test_parent_is_required():
    with pytest.raises(ValidationError) as exc:
        services.create_node(Street, actor=None, parent=None, name="孤立街道", code="330199001000")
    assert messages(exc.value) == {"district": ["必须指定上级。"]}


def test_geometry_must_lie_inside_parent(tree):
    with pytest.raises(ValidationError) as exc:
        services.create_node(
            Grid,
            actor=None,
            parent=tree.a.community,
            name="越界网格",
            code="330199001001002",
            geometry=rect_geojson((1, 1, 3, 2)),  # crosses into street 2
        )
    assert messages(exc.value)["geometry"] == ["边界超出了上级“测试1社区”的范围。"]
    assert not Grid.objects.filter(code="330199001001002").exists()


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [120.2, 30.2]}, "边界必须是 GeoJSON 的 Polygon 或 MultiPolygon。"),
        ({"type": "Polygon", "coordinates": "abc"}, "边界坐标格式不正确"),
        (
            {"type": "Polygon", "coordinates": [[[30.2, 120.2], [30.3, 120.2], [30.3, 120.3], [30.2, 120.2]]]},
            "坐标超出中国范围（经度 73–136，纬度 3–54），请检查经纬度是否写反。",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[120.2, 30.2], [120.3, 30.3], [120.3, 30.2], [120.2, 30.3], [120.2, 30.2]]],
            },
            "边界图形无效",
        ),
    ],
)
def test_bad_geometry_gets_a_clear_message(geometry, expected):
    with pytest.raises(ValidationError) as exc:
        services.create_node(District, actor=None, name="错区", code="330198", geometry=geometry)
    assert any(m.startswith(expected) for m in messages(exc.value)["geometry"]), messages(exc.value)


def test_building_must_lie_in_its_grid(tree):
    lon, lat = to_lonlat(3, 1)  # inside street 2
    with pytest.raises(ValidationError) as exc:
        services.create_node(Building, actor=None, parent=tree.a.compound, name="2幢", code="X-2", lon=lon, lat=lat)
    assert messages(exc.value)["lon"] == ["楼栋位置不在所属网格 测试1社区第1网格 的范围内。"]


def test_building_grid_must_be_in_compound_community(tree):
    with pytest.raises(ValidationError) as exc:
        services.update_node(tree.a.building, actor=None, grid=tree.b.grid)
    assert messages(exc.value)["grid"] == ["楼栋所在网格必须属于小区所在社区。"]
    tree.a.building.refresh_from_db()
    assert tree.a.building.grid_id == tree.a.grid.pk


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        (
            {"property_management": "company", "property_company": ""},
            "property_company",
            "有物业的小区请填写物业服务企业名称。",
        ),
        (
            {"property_management": "none", "property_company": "某物业"},
            "property_company",
            "无物业的小区不应填写物业服务企业。",
        ),
        (
            {"property_management": "company", "property_company": "某物业", "is_three_no": True},
            "is_three_no",
            "三无小区不能有物业服务企业或业主组织。",
        ),
        (
            {"owners_organisation": "self_management", "is_three_no": True},
            "is_three_no",
            "三无小区不能有物业服务企业或业主组织。",
        ),
    ],
)
def test_compound_attribute_rules(tree, fields, field, expected):
    with pytest.raises(ValidationError) as exc:
        services.create_node(Compound, actor=None, parent=tree.a.grid, name="新小区", code="NEW-1", **fields)
    assert messages(exc.value)[field] == [expected]


def test_three_no_compound_is_accepted_when_consistent(tree):
    compound = services.create_node(
        Compound,
        actor=None,
        parent=tree.a.grid,
        name="老旧院落",
        code="NEW-2",
        is_three_no=True,
    )
    assert (compound.property_management, compound.owners_organisation, compound.is_three_no) == ("none", "none", True)
    assert compound.community_id == tree.a.community.pk


def test_unknown_fields_are_refused(tree):
    with pytest.raises(ValidationError):
        services.update_node(tree.a.grid, actor=None, community=tree.b.community)
    tree.a.grid.refresh_from_db()
    assert tree.a.grid.community_id == tree.a.community.pk


def test_changes_are_audited_with_before_and_after(tree, django_user_model):
    actor = django_user_model.objects.create(username="auditor", display_name="审计员")
    services.update_node(tree.a.grid, actor=actor, name="改名网格")
    change = ObjectChange.objects.filter(object_id=str(tree.a.grid.pk), action="update").get()
    assert change.user == actor and change.user_name == "审计员"
    assert change.diff == {"name": ("测试1社区第1网格", "改名网格")}
    assert (change.community_id, change.street_id, change.grid_id) == (
        tree.a.community.pk,
        tree.a.street.pk,
        tree.a.grid.pk,
    )


def test_delete_refused_while_children_exist(tree):
    with pytest.raises(ValidationError) as exc:
        services.delete_node(tree.a.grid, actor=None)
    assert exc.value.messages == ["“测试1社区第1网格”下还有下级、住户或任职人员，不能删除。"]
    assert Grid.objects.filter(pk=tree.a.grid.pk).exists()


def test_delete_leaf_is_audited(tree):
    grid = services.create_node(Grid, actor=None, parent=tree.a.community, name="空网格", code="330199001001009")
    services.delete_node(grid, actor=None)
    assert not Grid.objects.filter(code="330199001001009").exists()
    change = ObjectChange.objects.get(action="delete", object_id=str(grid.pk))
    assert change.prechange_data["code"] == "330199001001009"


def test_siblings_may_not_overlap(tree):
    with pytest.raises(ValidationError) as exc:
        services.create_node(
            Grid,
            actor=None,
            parent=tree.a.community,
            name="重叠",
            code="330199001001003",
            geometry=rect_geojson((0.5, 0.5, 1.5, 1.5)),
        )
    assert messages(exc.value)["geometry"] == ["边界与同级的“测试1社区第1网格”重叠。"]


def test_boundary_cannot_shrink_away_from_its_children(tree):
    with pytest.raises(ValidationError) as exc:
        services.update_node(tree.a.grid, actor=None, geometry=rect_geojson((0, 0, 0.5, 0.5)))
    assert messages(exc.value)["geometry"] == ["新边界没有包含下级：1幢、测试1花园。"]
    tree.a.grid.refresh_from_db()
    assert tree.a.grid.area_km2 == pytest.approx(4.0, rel=2e-3)


def test_moving_a_building_moves_its_people(tree):
    from gongzhi.population.models import Household, Resident

    east = services.create_node(Grid, actor=None, parent=tree.a.community, name="东片", code="330199001001005")
    services.update_node(tree.a.grid, actor=None, geometry=None)  # boundaries not yet drawn
    services.update_node(tree.a.building, actor=None, grid=east)
    assert set(Household.objects.filter(building=tree.a.building).values_list("grid_id", flat=True)) == {east.pk}
    assert set(Resident.objects.filter(building=tree.a.building).values_list("grid_id", flat=True)) == {east.pk}


def test_node_with_assignments_cannot_be_deleted(tree):
    from gongzhi.core.testing.tree import user_with

    grid = services.create_node(Grid, actor=None, parent=tree.a.community, name="空网格", code="330199001001008")
    user_with("grid_worker", grid, "gw-empty")
    with pytest.raises(ValidationError) as exc:
        services.delete_node(grid, actor=None)
    assert exc.value.messages == ["“空网格”下还有下级、住户或任职人员，不能删除。"]
