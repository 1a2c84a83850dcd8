"""Today's figures, the map classes, the charts and the feed on the hand-made street of conftest.py,
with exact values; and every figure's drill-down lists exactly the cases it counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.command import figures

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def ids(centre, *keys):
    return sorted(centre.cases[k].pk for k in keys)


def test_summary_of_the_street_counts_exactly(street):
    # given the street of conftest.py, when its dispatcher asks at NOW
    with CaptureQueriesContext(connection) as queries:
        data = figures.summary(street.dispatcher, street.tree.a.street, now=NOW)
    f = data["figures"]
    # then
    assert len(queries) == 4
    assert data["day"] == "2026-12-01"
    assert data["node"] == {
        "level": "street",
        "id": street.tree.a.street.pk,
        "name": "测试1街道",
        "code": "330199001000",
    }
    assert f["intake"]["value"] == 5  # c1–c5
    assert (f["dispatched_1h"]["value"], f["dispatched_1h"]["base"]) == (1, 3)  # c1 of c1, c2, c3
    assert f["dispatched_1h"]["rate"] == 0.3333
    assert f["overdue"]["value"] == 2  # c3 (dispatch), c10 (accept)
    assert (f["unrated"]["value"], f["unrated"]["awaiting"], f["unrated"]["closed"]) == (2, 1, 1)  # c7; c8
    assert f["open"]["value"] == 9
    assert f["whistles"]["value"] == 1  # c12
    a = street.tree.a.street.pk
    assert f["intake"]["url"] == f"/cases/?tab=all&street={a}&since=2026-12-01&until=2026-12-01"
    assert f["dispatched_1h"]["url"].endswith("&dispatched_within=1h")
    assert f["dispatched_1h"]["base_url"].endswith("&dispatched_within=judged")
    assert f["overdue"]["url"] == f"/cases/?tab=all&street={a}&sla=overdue"
    assert f["unrated"]["url"] == f"/cases/?tab=all&street={a}&unrated_since=2026-12-01"
    assert f["whistles"]["url"] == f"/cases/?tab=all&street={a}&whistle=open"


def test_summary_of_the_district_adds_the_other_street(street):
    data = figures.summary(street.district_admin, street.tree.district, now=NOW)
    f = data["figures"]
    assert (f["intake"]["value"], f["open"]["value"], f["overdue"]["value"]) == (6, 10, 2)
    # cb (09:50) still has its hour: not judged yet
    assert (f["dispatched_1h"]["value"], f["dispatched_1h"]["base"]) == (1, 3)
    assert f["intake"]["url"].startswith(f"/cases/?tab=all&district={street.tree.district.pk}&")


def test_the_hour_is_judged_when_it_ends(street):
    # at 10:30 c4 (09:30) has had its hour without a dispatch: it counts against the rate
    later = figures.summary(street.dispatcher, street.tree.a.street, now=at(12, 1, 10, 31))
    assert (later["figures"]["dispatched_1h"]["value"], later["figures"]["dispatched_1h"]["base"]) == (1, 4)
    # and the next day, today starts again from nothing
    tomorrow = figures.summary(street.dispatcher, street.tree.a.street, now=at(12, 2, 0, 5))
    assert tomorrow["figures"]["intake"]["value"] == 0
    assert tomorrow["figures"]["dispatched_1h"]["rate"] is None
    assert tomorrow["figures"]["unrated"]["closed"] == 0


def test_map_classes_points_and_community_counts(street):
    with CaptureQueriesContext(connection) as queries:
        data = figures.map_data(street.dispatcher, street.tree.a.street, now=NOW)
    assert len(queries) == 2  # the open cases, the communities
    legend = {row["key"]: row["count"] for row in data["legend"]}
    assert legend == {"whistle": 1, "overdue": 2, "escalated": 1, "due_soon": 3, "stopped": 1, "on_time": 1}
    assert (data["total"], data["located"], data["shown"], data["truncated"]) == (9, 9, 9, False)
    by_case = {f["properties"]["id"]: f["properties"]["sla"] for f in data["features"]}
    c = street.cases
    assert by_case == {
        c["c12"].pk: "whistle",
        c["c3"].pk: "overdue",
        c["c10"].pk: "overdue",
        c["c11"].pk: "escalated",
        c["c1"].pk: "due_soon",
        c["c2"].pk: "due_soon",
        c["c4"].pk: "due_soon",
        c["c7"].pk: "stopped",
        c["c6"].pk: "on_time",
    }
    # most urgent first
    assert [f["properties"]["sla"] for f in data["features"]][:3] == ["whistle", "overdue", "overdue"]
    first = data["features"][0]
    assert first["geometry"]["coordinates"] == [round(c["c12"].lon, 6), round(c["c12"].lat, 6)]  # 0.1 m
    assert first["properties"] == {
        "id": c["c12"].pk, "number": c["c12"].number, "category": "urban_order", "state": "planned", "sla": "whistle",
    }  # fmt: skip
    assert first["properties"]["number"] == c["c12"].number
    assert data["communities"] == [
        {
            "id": street.tree.a.community.pk,
            "name": "测试1社区",
            "lon": street.tree.a.community.centroid_lon,
            "lat": street.tree.a.community.centroid_lat,
            "total": 9,
            "counts": legend,
            "url": f"/cases/?tab=all&street={street.tree.a.street.pk}&community={street.tree.a.community.pk}&open=true",
        }
    ]
    assert "outlines" not in data


def test_map_is_capped_most_urgent_first_and_updates_single_cases(street):
    capped = figures.map_data(street.dispatcher, street.tree.a.street, now=NOW, limit=2)
    assert [f["properties"]["sla"] for f in capped["features"]] == ["whistle", "overdue"]
    assert (capped["shown"], capped["truncated"], capped["total"]) == (2, True, 9)
    c = street.cases
    update = figures.map_data(street.dispatcher, street.tree.a.street, now=NOW, case_ids=[c["c1"].pk, c["c9"].pk])
    assert [f["properties"]["id"] for f in update["features"]] == [c["c1"].pk]
    assert update["removed"] == [c["c9"].pk]  # closed: no longer on the map
    assert (update["legend"], update["communities"], update["total"]) == (
        capped["legend"], capped["communities"], 9,
    )  # fmt: skip
    outsider = figures.map_data(street.dispatcher, street.tree.a.street, now=NOW, case_ids=[c["cb"].pk])
    assert outsider["features"] == [] and outsider["removed"] == [c["cb"].pk]


def test_map_outlines_of_a_street_and_a_district(street):
    data = figures.map_data(street.dispatcher, street.tree.a.street, now=NOW, outlines=True)
    assert [(f["properties"]["level"], f["properties"]["name"]) for f in data["outlines"]["features"]] == [
        ("street", "测试1街道"),
        ("community", "测试1社区"),
    ]
    district = figures.map_data(street.district_admin, street.tree.district, now=NOW, outlines=True)
    assert [f["properties"]["level"] for f in district["outlines"]["features"]] == [
        "district", "street", "street", "community", "community",
    ]  # fmt: skip


def test_charts_by_day_category_community_and_channel(street):
    with CaptureQueriesContext(connection) as queries:
        data = figures.charts(street.dispatcher, street.tree.a.street, now=NOW, days=30)
    assert len(queries) == 4
    assert (data["since"], data["until"], len(data["by_day"])) == ("2026-11-02", "2026-12-01", 30)
    days = {row["day"]: (row["intake"], row["closed"]) for row in data["by_day"] if row["intake"] or row["closed"]}
    assert days == {"2026-11-20": (1, 0), "2026-11-24": (3, 0), "2026-11-30": (3, 0), "2026-12-01": (5, 2)}
    assert [(r["key"], r["intake"], r["closed"]) for r in data["by_category"]] == [
        ("facility", 8, 2),  # c1, c4, c6–c11
        ("dispute", 1, 0),  # ties in the order of the categories
        ("sanitation", 1, 0),
        ("urban_order", 1, 0),
        ("other", 1, 0),
    ]
    assert [(r["key"], r["intake"]) for r in data["by_channel"]] == [("grid_app", 11), ("hotline", 1)]
    assert [(r["label"], r["intake"], r["closed"]) for r in data["by_child"]] == [("测试1社区", 12, 2)]
    assert data["by_category"][0]["label"] == "设施损坏"
    a = street.tree.a.street.pk
    assert data["by_category"][0]["url"] == (
        f"/cases/?tab=all&street={a}&since=2026-11-02&until=2026-12-01&category=facility"
    )
    # a shorter window leaves the older days out
    week = figures.charts(street.dispatcher, street.tree.a.street, now=NOW, days=7)
    assert sum(r["intake"] for r in week["by_day"]) == 8


def test_feed_newest_first_within_24_hours_and_after_an_entry(street):
    with CaptureQueriesContext(connection) as queries:
        items = figures.feed(street.dispatcher, street.tree.a.street, now=NOW)
    assert len(queries) == 1
    c = street.cases
    assert [(i["type"], i["case"]) for i in items] == [
        ("case.escalate", c["c11"].pk),  # 12-01 09:30 (same time: the later entry first)
        ("case.reported", c["c4"].pk),  # 09:30
        ("case.dispatch", c["c2"].pk),  # 09:30
        ("case.whistle", c["c12"].pk),  # 09:00
        ("case.reported", c["c3"].pk),  # 08:30
        ("case.dispatch", c["c1"].pk),  # 08:30
        ("case.reported", c["c5"].pk),  # 08:10
        ("case.reported", c["c2"].pk),  # 08:00
        ("case.reported", c["c1"].pk),  # 08:00
        ("case.dispatch", c["c6"].pk),  # 00:10
        ("case.reported", c["c6"].pk),  # 11-30 23:30
        ("case.dispatch", c["c11"].pk),  # 14:10
        ("case.reported", c["c11"].pk),  # 14:00
        ("case.dispatch", c["c12"].pk),  # 10:10
        ("case.reported", c["c12"].pk),  # 10:00, exactly 24 hours before NOW
    ]
    whistle = next(i for i in items if i["type"] == "case.whistle")
    assert whistle["label"] == "吹哨"
    assert whistle["text"] == "需要综合执法，召集测试1街道综合执法中队报到"
    assert whistle["number"] == c["c12"].number and whistle["url"] == f"/cases/{c['c12'].pk}/"
    dispatch = next(i for i in items if i["type"] == "case.dispatch" and i["case"] == c["c1"].pk)
    assert dispatch["text"] == "设施损坏，派遣至测试物业有限公司"
    escalate = next(i for i in items if i["type"] == "case.escalate")
    assert escalate["text"].startswith("设施损坏，上报至")
    assert all(datetime.datetime.fromisoformat(i["time"]) >= NOW - datetime.timedelta(hours=24) for i in items)
    # after an entry: those newer by time (then id), whatever their ids
    assert figures.feed(street.dispatcher, street.tree.a.street, now=NOW, after=items[0]["id"]) == []
    newer = figures.feed(street.dispatcher, street.tree.a.street, now=NOW, after=whistle["id"])
    assert [(i["type"], i["case"]) for i in newer] == [(i["type"], i["case"]) for i in items[:3]]
    assert whistle["id"] > max(i["id"] for i in newer)  # the whistle was written last, at an earlier time
    # the other street's feed has only its own case
    other = figures.feed(street.outsider, street.tree.b.street, now=NOW)
    assert [(i["type"], i["case"]) for i in other] == [("case.reported", c["cb"].pk)]


FIGURE_URLS = [
    ("intake", "url", "value"),
    ("dispatched_1h", "url", "value"),
    ("dispatched_1h", "base_url", "base"),
    ("overdue", "url", "value"),
    ("unrated", "url", "value"),
    ("unrated", "awaiting_url", "awaiting"),
    ("unrated", "closed_url", "closed"),
    ("open", "url", "value"),
    ("whistles", "url", "value"),
]


def listed(client, url) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.context["page"]
    return sorted(case.pk for case in page.paginator.object_list)


@pytest.mark.parametrize("who", ["dispatcher", "district_admin"])
def test_every_figure_drills_down_to_exactly_its_cases(street, monkeypatch, who):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    user = getattr(street, who)
    node = street.tree.a.street if who == "dispatcher" else street.tree.district
    client = Client()
    client.force_login(user)
    data = figures.summary(user, node, now=NOW)
    for key, url_key, value_key in FIGURE_URLS:
        figure = data["figures"][key]
        assert len(listed(client, figure[url_key])) == figure[value_key], (key, url_key)
    maps = figures.map_data(user, node, now=NOW)
    for row in maps["legend"]:
        assert len(listed(client, row["url"])) == row["count"], row["key"]
    charts = figures.charts(user, node, now=NOW, days=30)
    for series in ("by_category", "by_channel", "by_child"):
        for row in charts[series]:
            assert len(listed(client, row["url"])) == row["intake"], (series, row["key"])
            assert len(listed(client, row["closed_url"])) == row["closed"], (series, row["key"])
    for row in charts["by_day"]:
        if row["intake"] or row["closed"]:
            assert len(listed(client, row["intake_url"])) == row["intake"], row["day"]
            assert len(listed(client, row["closed_url"])) == row["closed"], row["day"]


def test_drill_downs_name_the_cases(street, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = Client()
    client.force_login(street.dispatcher)
    f = figures.summary(street.dispatcher, street.tree.a.street, now=NOW)["figures"]
    assert listed(client, f["dispatched_1h"]["url"]) == ids(street, "c1")
    assert listed(client, f["dispatched_1h"]["base_url"]) == ids(street, "c1", "c2", "c3")
    assert listed(client, f["overdue"]["url"]) == ids(street, "c3", "c10")
    assert listed(client, f["unrated"]["url"]) == ids(street, "c7", "c8")
    assert listed(client, f["whistles"]["url"]) == ids(street, "c12")
    a = street.tree.a.street.pk
    assert listed(client, f"/cases/?tab=all&street={a}&dispatched_within=late") == ids(street, "c2", "c3")
    assert listed(client, f"/cases/?tab=all&street={a}&escalated=1") == ids(street, "c11")
    assert listed(client, f"/cases/?tab=all&street={a}&sla_class=due_soon") == ids(street, "c1", "c2", "c4")
    assert listed(client, f"/cases/?tab=all&street={a}&whistle=any") == ids(street, "c12")
    # a drill-down is scoped to the viewer: street b's cases never show to street a's dispatcher
    b = street.tree.b.street.pk
    assert listed(client, f"/cases/?tab=all&street={b}&since=2026-12-01&until=2026-12-01") == []


def test_outlines_with_many_vertices_are_simplified():
    import math

    circle = [
        [120.2 + 0.01 * math.cos(i * math.pi / 100), 30.2 + 0.01 * math.sin(i * math.pi / 100)] for i in range(200)
    ]
    surveyed = {"type": "Polygon", "coordinates": [[*circle, circle[0]]]}
    light = figures._light(surveyed)
    assert light["type"] == "Polygon"
    assert 8 < len(light["coordinates"][0]) < 100  # about 20 m off at most, far fewer vertices
    square = {"type": "Polygon", "coordinates": [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]]}
    assert figures._light(square) is square
    assert figures._light({"type": "Nonsense"}) == {"type": "Nonsense"}
