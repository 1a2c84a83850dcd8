"""Creating and changing territory through the API: services, scope, clear Chinese errors."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.tree import user_with
from gongzhi.demo.plan import rect_geojson
from gongzhi.territory import services
from gongzhi.territory.models import Grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(tree):
    client = APIClient()
    client.force_login(user_with(Role.STREET_ADMIN, tree.a.street, "sa-a"))
    return client


def test_create_grid_in_scope(tree, api):
    services.update_node(tree.a.grid, actor=None, geometry=None)  # leave room: siblings may not overlap
    payload = {
        "name": "测试1社区第2网格",
        "code": "330199001001002",
        "community": tree.a.community.pk,
        "geometry": rect_geojson((0, 0, 1, 1)),
    }
    response = api.post(reverse("territory-grid-list"), payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["street"], body["district"]) == (tree.a.street.pk, tree.district.pk)
    assert body["area_km2"] == pytest.approx(1.0, rel=2e-3)
    grid = Grid.objects.get(code="330199001001002")
    assert ObjectChange.objects.filter(action="create", object_id=str(grid.pk), user__username="sa-a").count() == 1


def test_create_under_out_of_scope_parent_is_refused(tree, api):
    payload = {"name": "越权网格", "code": "330199002001002", "community": tree.b.community.pk}
    response = api.post(reverse("territory-grid-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"community": [f"上级 {tree.b.community.pk} 不存在或不在您的管辖范围内。"]}
    assert not Grid.objects.filter(code="330199002001002").exists()


def test_validation_errors_come_back_by_field_in_chinese(tree, api):
    payload = {"name": "坏网格", "code": "330199001002003", "community": tree.a.community.pk}
    response = api.post(reverse("territory-grid-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": ["网格编码前 12 位应为所属社区代码 330199001001。"]}


def test_bad_geometry_is_a_400(tree, api):
    payload = {
        "name": "坏边界",
        "code": "330199001001004",
        "community": tree.a.community.pk,
        "geometry": {"type": "Polygon", "coordinates": [[1]]},
    }
    response = api.post(reverse("territory-grid-list"), payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["geometry"]


def test_parent_cannot_move(tree, api):
    response = api.patch(
        reverse("territory-grid-detail", args=[tree.a.grid.pk]), {"community": tree.a.community.pk}, format="json"
    )
    assert response.status_code == 200
    other = user_with(Role.DISTRICT_ADMIN, tree.district, "da")
    api.force_login(other)
    response = api.patch(
        reverse("territory-grid-detail", args=[tree.a.grid.pk]), {"community": tree.b.community.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"community": ["上级创建后不可修改。"]}


def test_read_only_roles_cannot_write(tree):
    client = APIClient()
    client.force_login(user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw"))
    response = client.patch(reverse("territory-grid-detail", args=[tree.a.grid.pk]), {"name": "x"}, format="json")
    assert response.status_code == 403
    tree.a.grid.refresh_from_db()
    assert tree.a.grid.name == "测试1社区第1网格"


def test_change_out_of_scope_object_is_404(tree, api):
    response = api.patch(reverse("territory-grid-detail", args=[tree.b.grid.pk]), {"name": "x"}, format="json")
    assert response.status_code == 404
    tree.b.grid.refresh_from_db()
    assert tree.b.grid.name == "测试2社区第1网格"


def test_delete_with_children_is_a_400(tree, api):
    response = api.delete(reverse("territory-grid-detail", args=[tree.a.grid.pk]))
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["“测试1社区第1网格”下还有下级、住户或任职人员，不能删除。"]}
    assert Grid.objects.filter(pk=tree.a.grid.pk).exists()


def test_resolve_point_to_grid(tree, api):
    b = tree.a.building
    response = api.get(reverse("territory-resolve"), {"lon": b.lon, "lat": b.lat})
    assert response.status_code == 200
    assert response.json()["code"] == tree.a.grid.code
    # a point in street 2 is outside this admin's scope: 404, not the other grid
    other = tree.b.building
    assert api.get(reverse("territory-resolve"), {"lon": other.lon, "lat": other.lat}).status_code == 404
    bad = api.get(reverse("territory-resolve"), {"lon": "东经", "lat": 30})
    assert bad.status_code == 400 and "lon" in bad.json()


def test_list_filters_and_pagination(tree, api):
    response = api.get(reverse("territory-building-list"), {"q": "1幢"})
    assert [r["code"] for r in response.json()["results"]] == [tree.a.building.code]
    assert response.json()["count"] == 1
    assert api.get(reverse("territory-building-list"), {"grid": "abc"}).status_code == 400


def test_openapi_schema_is_served(tree, api):
    response = api.get(reverse("schema"))
    assert response.status_code == 200
    assert b"/api/territory/grids/" in response.content


def test_street_admin_cannot_create_a_district(tree, api):
    from gongzhi.territory.models import District

    response = api.post(reverse("territory-district-list"), {"name": "新区", "code": "330198"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "只能在您管辖的范围内新建。"}
    assert not District.objects.filter(code="330198").exists()
