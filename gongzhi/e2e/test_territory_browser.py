"""A community worker logs in, walks the territory browser down to a building and opens the map."""

import re

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_community_worker_walks_territory_and_map(live_server, browser, screenshot_dir):
    call_command("load_demo", scale=0.03)
    page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page.goto(f"{live_server.url}/territory/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "demo-community")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".alert-danger").inner_text().startswith("用户名或密码不正确")
    page.fill("#id_username", "demo-community")
    page.fill("#id_password", "Gongzhi@2026")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/territory/community/\d+/$"))
    page.screenshot(path=str(screenshot_dir / "territory-community.png"), full_page=True)
    title = page.locator(".page-title").inner_text()
    assert title.endswith("社区")
    households = int(page.locator("[data-count=households]").inner_text().replace(",", ""))
    assert households > 0
    # another community is nowhere on the page
    rows = page.locator("[data-testid=children] tbody tr")
    assert rows.count() >= 1
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/territory/grid/\d+/$"))
    assert "网格" in page.locator(".page-title").inner_text()
    page.locator("[data-testid=children] tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/territory/compound/\d+/$"))
    page.locator("[data-testid=children] tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/territory/building/\d+/$"))
    assert page.locator(".page-title").inner_text().endswith("幢")
    page.screenshot(path=str(screenshot_dir / "territory-building.png"), full_page=True)
    # filter children through htmx on the community page
    page.locator(".breadcrumb a").nth(1).click()
    page.wait_for_url(re.compile(r"/territory/community/\d+/$"))
    page.fill("input[name=q][hx-get]", "第1网格")
    page.wait_for_function("document.querySelectorAll('[data-testid=children] tbody tr').length === 1")
    # the map draws the community's grids from the GeoJSON API
    page.get_by_role("link", name="地图").last.click()
    page.wait_for_url(re.compile(r"/territory/map/\?level=community&id=\d+"))
    page.wait_for_function("document.getElementById('gz-map-status').textContent.includes('点击区域进入下一级')")
    status = page.locator("#gz-map-status").inner_text()
    assert int(status.split(" ")[0]) >= 1
    assert page.locator(".leaflet-container canvas, .leaflet-overlay-pane path").count() >= 1
    page.screenshot(path=str(screenshot_dir / "territory-map.png"), full_page=True)
    page.close()
