"""Every territory page and API endpoint runs the permission matrix."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with

pytestmark = pytest.mark.django_db

LEVELS = ["street", "community", "grid", "compound", "building"]
PLURAL = {
    "street": "streets",
    "community": "communities",
    "grid": "grids",
    "compound": "compounds",
    "building": "buildings",
}


@pytest.fixture
def people(tree):
    return {
        "in_scope": user_with(Role.COMMUNITY_WORKER, tree.a.community, "cw-a"),
        "out_of_scope": user_with(Role.COMMUNITY_WORKER, tree.b.community, "cw-b"),
        "no_role": user_with(None, None, "nobody"),
    }


@pytest.mark.parametrize("level", ["community", "grid", "compound", "building"])
def test_node_page_matrix(tree, people, level):
    node = getattr(tree.a, level)
    check_matrix(reverse("territory:node", args=[level, node.pk]), **people)


@pytest.mark.parametrize("level", ["community", "grid", "compound", "building"])
def test_map_page_matrix(tree, people, level):
    node = getattr(tree.a, level)
    check_matrix(reverse("territory:map") + f"?level={level}&id={node.pk}", **people)


@pytest.mark.parametrize("level", ["community", "grid", "compound", "building"])
def test_api_detail_matrix(tree, people, level):
    node = getattr(tree.a, level)
    check_matrix(reverse(f"territory-{level}-detail", args=[node.pk]), api=True, **people)


def test_api_resolve_matrix(tree, people):
    lon, lat = tree.a.building.lon, tree.a.building.lat
    check_matrix(reverse("territory-resolve") + f"?lon={lon}&lat={lat}", api=True, **people)


@pytest.mark.parametrize("url_name", ["territory:root", "territory:search", "territory:map", "audit:list"])
def test_pages_without_object(tree, people, url_name, client):
    url = reverse(url_name)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(people["no_role"])
    assert client.get(url).status_code == 403
    client.force_login(people["in_scope"])
    assert client.get(url, follow=True).status_code == 200


@pytest.mark.parametrize("level", LEVELS)
def test_api_lists_only_scope(tree, people, level):
    api = APIClient()
    url = reverse(f"territory-{level}-list")
    assert api.get(url).status_code == 401
    api.force_login(people["no_role"])
    assert api.get(url).status_code == 403
    api.force_login(people["in_scope"])
    response = api.get(url)
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    if level == "street":
        assert ids == []  # a community worker does not see the street above them
    else:
        assert ids == [getattr(tree.a, level).pk]


@pytest.mark.parametrize("level", ["community", "grid", "compound", "building"])
def test_geojson_only_scope(tree, people, level):
    api = APIClient()
    api.force_login(people["out_of_scope"])
    response = api.get(reverse(f"territory-{level}-geojson"))
    assert response.status_code == 200
    assert [f["properties"]["id"] for f in response.json()["features"]] == [getattr(tree.b, level).pk]


def test_street_admin_sees_own_street_not_other(tree):
    admin = user_with(Role.STREET_ADMIN, tree.a.street, "sa-a")
    check_matrix(
        reverse("territory:node", args=["street", tree.a.street.pk]),
        in_scope=admin,
        out_of_scope=user_with(Role.STREET_ADMIN, tree.b.street, "sa-b"),
        no_role=user_with(None, None, "nobody2"),
    )


def test_resident_role_has_no_territory_pages(tree, client):
    resident = user_with(Role.RESIDENT, tree.a.building, "res-a")
    client.force_login(resident)
    assert client.get(reverse("territory:node", args=["building", tree.a.building.pk])).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_unknown_level_is_404(tree, people, client):
    client.force_login(people["in_scope"])
    assert client.get("/territory/planet/1/").status_code == 404
    assert client.get(reverse("territory:map") + "?level=planet&id=1").status_code == 404
    assert client.get(reverse("territory:map") + "?level=grid&id=abc").status_code == 404
