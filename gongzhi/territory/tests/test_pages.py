"""The territory browser as a user sees it: counts, children, search, pagination, map, and
no 500 for anything a user can type."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import user_with
from gongzhi.territory import services
from gongzhi.territory.models import Grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(tree, client):
    client.force_login(user_with(Role.STREET_ADMIN, tree.a.street, "sa-a"))
    return client


def test_root_redirects_to_single_scope(tree, worker):
    response = worker.get(reverse("territory:root"))
    assert response.status_code == 302
    assert response["Location"] == reverse("territory:node", args=["street", tree.a.street.pk])


def test_root_lists_several_scopes(tree, client):
    client.force_login(user_with(Role.DISTRICT_ADMIN, tree.district, "da"))
    from gongzhi.accounts.models import User
    from gongzhi.accounts.services import assign_role

    user = User.objects.get(username="da")
    assign_role(actor=None, user=user, role=Role.GRID_WORKER, node=tree.b.grid)
    client.force_login(user)
    page = client.get(reverse("territory:root")).content.decode()
    assert "临江区" in page and "测试2社区第1网格" in page


def test_street_page_shows_counts_and_children(tree, worker):
    response = worker.get(reverse("territory:node", args=["street", tree.a.street.pk]))
    html = response.content.decode()
    assert response.context["node_counts"] == {"grids": 1, "compounds": 1, "households": 1, "residents": 1}
    assert [row["node"].name for row in response.context["children"]] == ["测试1社区"]
    assert response.context["children"][0]["counts"] == {"grids": 1, "compounds": 1, "households": 1, "residents": 1}
    assert "测试2社区" not in html
    # breadcrumb: the district is above this user's scope, shown without a link
    assert response.context["crumbs"] == [{"node": tree.district, "level": "district", "visible": False}]


def test_children_filter_and_htmx_partial(tree, worker):
    for i in range(2, 5):
        services.create_node(Grid, actor=None, parent=tree.a.community, name=f"东片{i}", code=f"330199001001{i:03d}")
    url = reverse("territory:node", args=["community", tree.a.community.pk])
    response = worker.get(url, {"q": "东片"}, HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "territory/_children.html"
    assert [row["node"].name for row in response.context["children"]] == ["东片2", "东片3", "东片4"]
    response = worker.get(url, {"q": "330199001001003"})
    assert [row["node"].name for row in response.context["children"]] == ["东片3"]


def test_children_are_paginated_with_constant_queries(tree, worker):
    for i in range(2, 62):
        services.create_node(
            Grid, actor=None, parent=tree.a.community, name=f"网格{i:02d}", code=f"330199001001{i:03d}"
        )
    url = reverse("territory:node", args=["community", tree.a.community.pk])
    with CaptureQueriesContext(connection) as first:
        response = worker.get(url)
    assert len(response.context["children"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    with CaptureQueriesContext(connection) as second:
        response = worker.get(url, {"page": 2})
    assert len(response.context["children"]) == 11
    assert len(first.captured_queries) == len(second.captured_queries) <= 16


@pytest.mark.parametrize(
    "params",
    [{"page": "abc"}, {"page": "-1"}, {"page": "99999"}, {"q": "'; DROP TABLE x; --"}, {"q": "%_%"}, {"q": "😀" * 200}],
)
def test_no_500_for_typed_input(tree, worker, params):
    url = reverse("territory:node", args=["community", tree.a.community.pk])
    assert worker.get(url, params).status_code == 200
    assert worker.get(reverse("territory:search"), params).status_code == 200
    assert worker.get(reverse("audit:list"), {**params, "since": "not-a-date"}).status_code == 200


def test_search_finds_within_scope_only(tree, worker):
    response = worker.get(reverse("territory:search"), {"q": "测试"})
    found = {(g["level"], row.name) for g in response.context["groups"] for row in g["rows"]}
    assert ("community", "测试1社区") in found
    assert ("community", "测试2社区") not in found
    empty = worker.get(reverse("territory:search"), {"q": "不存在的名字"})
    assert "没有找到与“不存在的名字”相关的区域" in empty.content.decode()


def test_map_page_points_to_geojson(tree, worker):
    response = worker.get(reverse("territory:map"), {"level": "community", "id": tree.a.community.pk})
    html = response.content.decode()
    assert 'data-child-level="grid"' in html and 'data-level="community"' in html
    assert "vendor/leaflet/leaflet.js" in html


def test_home_shows_roles_and_territory(tree, worker):
    html = worker.get(reverse("home")).content.decode()
    assert "街道管理员" in html and "测试1街道" in html


def test_english_interface(tree, worker):
    worker.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = worker.get(reverse("territory:node", args=["street", tree.a.street.pk])).content.decode()
    assert "Communities" in html or "Community" in html
    assert "下级" not in html


def test_chinese_by_default_whatever_the_browser_says(tree, worker):
    html = worker.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "我的角色与辖区" in html
    worker.cookies["django_language"] = "xx"
    assert "我的角色与辖区" in worker.get(reverse("home")).content.decode()


def test_children_pagination_keeps_the_filter(tree, worker):
    for i in range(2, 60):
        services.create_node(
            Grid, actor=None, parent=tree.a.community, name=f"东片{i:02d}", code=f"330199001001{i:03d}"
        )
    url = reverse("territory:node", args=["community", tree.a.community.pk])
    html = worker.get(url, {"q": "东片"}).content.decode()
    assert "?q=%E4%B8%9C%E7%89%87&amp;page=2" in html


def test_menu_follows_permissions(tree, client):
    client.force_login(user_with(Role.RESIDENT, tree.a.building, "res"))
    html = client.get(reverse("home")).content.decode()
    assert reverse("territory:root") not in html and reverse("audit:list") not in html
    client.force_login(user_with(Role.GRID_WORKER, tree.a.grid, "gw"))
    html = client.get(reverse("home")).content.decode()
    assert reverse("territory:root") in html and reverse("audit:list") not in html
