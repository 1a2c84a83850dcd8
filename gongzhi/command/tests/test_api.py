"""The command centre's API: the permission matrix, the node's scope, bad parameters (400 in
Chinese), and answers that are the figures of gongzhi.command.figures at the server's time."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gongzhi.core.testing.matrix import check_matrix

from .conftest import NOW

pytestmark = pytest.mark.django_db

ENDPOINTS = ["command-summary", "command-map", "command-charts", "command-feed"]


def api(user):
    client = APIClient()
    client.force_login(user)
    return client


def url(name, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse(name) + (f"?{query}" if query else "")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_permission_matrix_and_scope(street, name):
    a = street.tree.a.street.pk
    check_matrix(
        url(name, level="street", id=a),
        api=True,
        in_scope=street.dispatcher,
        out_of_scope=street.outsider,
        no_role=street.nobody,
    )
    # the district's admin opens any street of the district; a street's dispatcher not the district
    assert api(street.district_admin).get(url(name, level="street", id=a)).status_code == 200
    assert api(street.dispatcher).get(url(name, level="district", id=street.tree.district.pk)).status_code == 404
    assert api(street.dispatcher).get(url(name, level="street", id=999_999)).status_code == 404
    # a community worker opens their community, not their street
    assert (
        api(street.community_worker).get(url(name, level="community", id=street.tree.a.community.pk)).status_code == 200
    )
    assert api(street.community_worker).get(url(name, level="street", id=a)).status_code == 404
    # a grid worker (cases.view over a grid) has no node of their own here
    assert api(street.grid_worker).get(url(name)).status_code == 404


@pytest.mark.parametrize(
    ("name", "params", "errors"),
    [
        (
            "command-summary",
            {"level": "province", "id": "1"},
            {"level": ["未知的层级“province”：可选 district（区）、street（街道）、community（社区）。"]},
        ),
        ("command-summary", {"level": "street", "id": "x"}, {"id": ["id 应为正整数。"]}),
        ("command-summary", {"level": "street", "id": "0"}, {"id": ["id 应为正整数。"]}),
        ("command-summary", {"id": "5"}, {"level": ["level 和 id 须同时给出（或都不给，打开您的辖区）。"]}),
        ("command-charts", {"days": "0"}, {"days": ["days 应为 1–366 的整数。"]}),
        ("command-charts", {"days": "367"}, {"days": ["days 应为 1–366 的整数。"]}),
        ("command-charts", {"days": "abc"}, {"days": ["days 应为 1–366 的整数。"]}),
        ("command-map", {"limit": "5001"}, {"limit": ["limit 应为 1–5000 的整数。"]}),
        ("command-map", {"cases": "1,x"}, {"cases": ["cases 应为逗号分隔的事项编号（最多 200 个）。"]}),
        (
            "command-map",
            {"cases": ",".join(str(i) for i in range(1, 202))},
            {"cases": ["cases 应为逗号分隔的事项编号（最多 200 个）。"]},
        ),
        ("command-feed", {"after": "-1"}, {"after": ["after 应为非负整数。"]}),
        ("command-feed", {"limit": "101"}, {"limit": ["limit 应为 1–100 的整数。"]}),
    ],
)
def test_bad_parameters_are_400_in_chinese(street, name, params, errors):
    response = api(street.dispatcher).get(url(name, **params))
    assert response.status_code == 400
    assert response.json() == errors


def test_summary_answers_the_figures_at_the_server_time(street, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    # no level and id: the viewer's own street
    body = api(street.dispatcher).get(url("command-summary")).json()
    assert body["node"]["id"] == street.tree.a.street.pk
    figures = {key: value["value"] for key, value in body["figures"].items()}
    assert figures == {"intake": 5, "dispatched_1h": 1, "overdue": 2, "unrated": 2, "open": 9, "whistles": 1}
    district = api(street.district_admin).get(url("command-summary")).json()
    assert district["node"] == {"level": "district", "id": street.tree.district.pk, "name": "临江区", "code": "330199"}


def test_map_charts_and_feed_answers(street, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = api(street.dispatcher)
    a = street.tree.a.street.pk
    data = client.get(url("command-map", level="street", id=a, outlines="true")).json()
    assert data["type"] == "FeatureCollection" and data["total"] == 9 and len(data["features"]) == 9
    assert [f["properties"]["level"] for f in data["outlines"]["features"]] == ["street", "community"]
    c1, c9 = street.cases["c1"].pk, street.cases["c9"].pk
    update = client.get(url("command-map", level="street", id=a, cases=f"{c9},{c1}")).json()
    assert [f["properties"]["id"] for f in update["features"]] == [c1] and update["removed"] == [c9]
    charts = client.get(url("command-charts", level="street", id=a, days=7)).json()
    assert (charts["days"], charts["since"], len(charts["by_day"])) == (7, "2026-11-25", 7)
    feed = client.get(url("command-feed", level="street", id=a, limit=2)).json()
    assert [item["type"] for item in feed["items"]] == ["case.escalate", "case.reported"]
    full = client.get(url("command-feed", level="street", id=a)).json()["items"]
    after = client.get(url("command-feed", level="street", id=a, after=full[1]["id"])).json()
    assert [item["id"] for item in after["items"]] == [full[0]["id"]]


def test_endpoints_use_a_fixed_number_of_queries(street, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = api(street.district_admin)
    d = street.tree.district.pk
    # session + user + assignments, then the figures' own queries
    for name, params, most in [
        ("command-summary", {}, 3 + 1 + 4),
        ("command-map", {"outlines": "1"}, 3 + 1 + 2 + 3),
        ("command-charts", {}, 3 + 1 + 4),
        ("command-feed", {}, 3 + 1 + 1),
        ("command-feed", {"after": "1"}, 3 + 1 + 2),
    ]:
        with django_assert_max_num_queries(most):
            assert client.get(url(name, level="district", id=d, **params)).status_code == 200
