"""Fixtures for the Open311 tests: the cases desk (territory, bodies, people), a partner's key,
a client that speaks Open311 and reads both formats, and the clock fixed at NOW."""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from gongzhi.cases import classifier
from gongzhi.cases.tests import conftest as cases_conftest
from gongzhi.demo.plan import to_lonlat
from gongzhi.open311 import services, views

BASE = "/open311/v2/"
NOW = cases_conftest.NOW
desk = cases_conftest.desk  # the cases fixtures: the test territory, its bodies and people
make_case = cases_conftest.make_case


@pytest.fixture(autouse=True)
def fixed_clock_and_classifier(monkeypatch):
    """The views read the clock through views._now; the classifier (another module's concern)
    answers nothing, so a case's category is the one the partner chose."""
    monkeypatch.setattr(views, "_now", lambda: NOW)
    monkeypatch.setattr(classifier, "suggest", lambda text, k=3: [], raising=False)


@dataclass
class Partner:
    key: object
    raw: str


@pytest.fixture
def partner(desk) -> Partner:
    key, raw = services.create_key(actor=None, name="测试居民App", now=NOW)
    return Partner(key, raw)


def point(x_km: float, y_km: float) -> dict[str, str]:
    """lat/long parameters of a point of the test plane (grid a: 0–2 km, grid b: 2–4 km)."""
    lon, lat = to_lonlat(x_km, y_km)
    return {"lat": str(lat), "long": str(lon)}


class Open311Client:
    def __init__(self) -> None:
        self.http = Client()

    def get(self, path: str, params: dict | None = None, **headers):
        return self.http.get(BASE + path, params or {}, **headers)

    def post(self, path: str, data: dict, query: str = ""):
        return self.http.post(BASE + path + (f"?{query}" if query else ""), data)

    @staticmethod
    def json(response):
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)

    @staticmethod
    def xml(response) -> ET.Element:
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
        return ET.fromstring(response.content)  # noqa: S314 - our own output

    def errors(self, response, fmt: str = "json") -> list[tuple[int, str]]:
        if fmt == "json":
            return [(e["code"], e["description"]) for e in self.json(response)]
        root = self.xml(response)
        assert root.tag == "errors"
        assert all([c.tag for c in e] == ["code", "description"] for e in root)
        return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]


@pytest.fixture
def api() -> Open311Client:
    return Open311Client()


def fields(element: ET.Element) -> dict[str, str]:
    """An XML element's children as {tag: text} (empty elements give "")."""
    return {child.tag: child.text or "" for child in element}
