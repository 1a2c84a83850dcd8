"""The command centre page: who may open which node, where it opens, the node switch and the nav link."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.core.testing.matrix import check_matrix

pytestmark = pytest.mark.django_db


def page(user, query=""):
    client = Client()
    client.force_login(user)
    return client.get(reverse("command:centre") + query)


def test_permission_matrix(centre):
    a = centre.tree.a.street.pk
    check_matrix(
        reverse("command:centre") + f"?level=street&id={a}",
        in_scope=centre.dispatcher,
        out_of_scope=centre.outsider,
        no_role=centre.nobody,
    )


def test_opens_on_the_viewers_node(centre):
    tree = centre.tree
    response = page(centre.dispatcher)
    assert response.status_code == 200 and response.context["node"] == tree.a.street
    assert "测试1街道指挥中心" in response.content.decode()
    assert page(centre.district_admin).context["node"] == tree.district
    assert page(centre.community_worker).context["node"] == tree.a.community
    assert page(centre.grid_worker).status_code == 404  # no district, street or community of their own


def test_bad_or_foreign_nodes_are_404(centre):
    tree = centre.tree
    for query in ("?level=grid&id=1", "?level=street&id=x", "?level=street", f"?id={tree.a.street.pk}",
                  "?level=street&id=1234567890", f"?level=district&id={tree.district.pk}",
                  f"?level=street&id={tree.b.street.pk}", f"?level=community&id={tree.b.community.pk}"):  # fmt: skip
        assert page(centre.dispatcher, query).status_code == 404, query


def test_district_admin_switches_to_a_street(centre):
    tree = centre.tree
    response = page(centre.district_admin)
    options = [(o["level"], o["name"], o["current"]) for o in response.context["options"]]
    assert options == [
        ("district", "临江区", True),
        ("street", "测试1街道", False),
        ("street", "测试2街道", False),
    ]
    street = page(centre.district_admin, f"?level=street&id={tree.b.street.pk}")
    assert street.status_code == 200 and street.context["node"] == tree.b.street
    assert [(o["name"], o["current"]) for o in street.context["options"]] == [
        ("临江区", False), ("测试1街道", False), ("测试2街道", True), ("测试2社区", False),
    ]  # fmt: skip
    body = street.content.decode()
    assert f'data-socket="/ws/cases/live/?level=street&amp;id={tree.b.street.pk}"' in body
    assert f'data-summary="/api/command/summary/?level=street&amp;id={tree.b.street.pk}"' in body
    # a street's dispatcher has nothing to switch to but their street's communities
    own = page(centre.dispatcher)
    assert [(o["level"], o["name"]) for o in own.context["options"]] == [
        ("street", "测试1街道"),
        ("community", "测试1社区"),
    ]


def test_nav_link_for_dispatchers_and_admins_only(centre):
    link = 'data-testid="nav-command"'
    assert link in page(centre.dispatcher).content.decode()
    assert link in page(centre.district_admin).content.decode()
    client = Client()
    client.force_login(centre.grid_worker)
    assert link not in client.get(reverse("cases:list")).content.decode()
