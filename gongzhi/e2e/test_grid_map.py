"""The grid map in a browser: a street administrator opens the map at their street, colours it by
patrol coverage, drills down to a community and sees its grids coloured, goes back up by the
breadcrumb, then redraws the boundary between two grids (a refused save keeps the edits; a good
one moves the building across the new edge). Screenshots: test-artifacts/grid-map-*.png."""

from __future__ import annotations

import re

import pytest

from gongzhi.accounts.choices import Role
from gongzhi.core.testing.tree import user_with
from gongzhi.demo.plan import to_lonlat
from gongzhi.grids.tests.test_map import build_map_territory
from gongzhi.territory.models import Building, Grid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# the fills of the 5 classes (static/js/grid-map.js)
COUNTS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
COVERAGE = ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"]
CONFIRM_ONE_BUILDING = "将保存 2 个网格的边界，1 栋楼将移到新的网格。确定保存吗？"


def login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "x-Passw0rd!")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def wait_ready(page, selector):
    page.wait_for_function(f"document.querySelector('{selector}').dataset.ready === '1'")


def fills(page) -> list[str]:
    return sorted(
        page.eval_on_selector_all(
            "#gz-grid-map .leaflet-overlay-pane path", "els => els.map(e => e.getAttribute('fill'))"
        )
    )


def centre(box):
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def vertex(page, x, y):
    lon, lat = to_lonlat(x, y)
    return page.locator(f'.gz-vertex[data-vertex="{lon:.7f},{lat:.7f}"]')


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def test_street_admin_colours_drills_down_and_redraws(live_server, browser, screenshot_dir):
    t = build_map_territory()
    user_with(Role.STREET_ADMIN, t.east, "east-admin")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    login(page, live_server.url, "east-admin")

    # the map opens at the admin's street, coloured by households
    page.goto(f"{live_server.url}/grids/map/")
    wait_ready(page, "#gz-grid-map")
    assert page.locator("#gz-grid-map-title").inner_text() == "东湖街道 · 网格地图"
    assert page.locator("[data-testid=map-status]").inner_text() == "2 个区域 · 社区 · 点击区域进入下一级"
    assert page.locator(".gz-legend-title").inner_text() == "户数（户）"
    assert fills(page) == sorted([COUNTS[4], COUNTS[0]])  # 桂花 6 households, 荷塘 3
    page.screenshot(path=str(screenshot_dir / "grid-map-1.png"), full_page=True)

    # switch the measure: patrol coverage (桂花 15 %, 荷塘 0 %)
    page.select_option("[data-testid=measure]", "patrol_coverage")
    page.wait_for_function(
        "(() => { const d = document.getElementById('gz-grid-map').dataset;"
        " return d.ready === '1' && d.measure === 'patrol_coverage'; })()"
    )
    assert re.search(r"measure=patrol_coverage", page.url)
    assert page.locator(".gz-legend-title").inner_text() == "巡查覆盖率（%）"
    assert page.locator(".gz-legend-row").all_inner_texts() == ["0 – 3 (1)", "12 – 15 (1)"]
    assert fills(page) == sorted([COVERAGE[4], COVERAGE[0]])
    label = page.locator(".gz-map-label span", has_text="桂花社区")
    page.mouse.move(*centre(label.bounding_box()))
    page.wait_for_selector(".leaflet-tooltip")
    assert page.locator(".leaflet-tooltip").inner_text() == "桂花社区\n巡查覆盖率：15%"
    page.screenshot(path=str(screenshot_dir / "grid-map-2.png"), full_page=True)

    # drill down to 桂花社区: its two grids, coloured by the same measure (10 % and 20 %)
    page.mouse.click(*centre(label.bounding_box()))
    page.wait_for_function(
        "(() => { const d = document.getElementById('gz-grid-map').dataset;"
        " return d.ready === '1' && d.level === 'community'; })()"
    )
    assert f"level=community&id={t.osmanthus.pk}&measure=patrol_coverage" in page.url
    assert page.locator("#gz-grid-map-title").inner_text() == "桂花社区 · 网格地图"
    assert page.locator("[data-testid=crumbs] li").all_inner_texts() == ["临江区", "东湖街道", "桂花社区"]
    assert page.locator("[data-testid=map-status]").inner_text() == "2 个区域 · 网格 · 点击网格查看详情"
    assert fills(page) == sorted([COVERAGE[0], COVERAGE[4]])
    assert page.locator(".gz-map-label span").all_inner_texts() == ["桂花社区第1网格", "桂花社区第2网格"]
    page.screenshot(path=str(screenshot_dir / "grid-map-3.png"), full_page=True)

    # open cases of the grids: 2 and 0
    page.select_option("[data-testid=measure]", "open_cases")
    page.wait_for_function("document.getElementById('gz-grid-map').dataset.measure === 'open_cases'")
    assert fills(page) == sorted([COUNTS[4], COUNTS[0]])
    grid_label = page.locator(".gz-map-label span", has_text="桂花社区第1网格")
    page.mouse.click(*centre(grid_label.bounding_box()))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "在办事项2" in popup.inner_text().replace(" ", "").replace("\t", "")
    page.screenshot(path=str(screenshot_dir / "grid-map-4.png"), full_page=True)

    # the breadcrumb goes back up to the street, keeping the measure
    page.locator("[data-testid=crumbs] a", has_text="东湖街道").click()
    page.wait_for_function(
        "(() => { const d = document.getElementById('gz-grid-map').dataset;"
        " return d.ready === '1' && d.level === 'street'; })()"
    )
    assert "measure=open_cases" in page.url
    assert page.locator("[data-testid=crumbs] li").all_inner_texts() == ["临江区", "东湖街道"]
    # and the browser's back button returns to the community
    page.go_back()
    page.wait_for_function("document.getElementById('gz-grid-map').dataset.level === 'community'")
    wait_ready(page, "#gz-grid-map")

    # boundary editing: the street admin may divide here
    saved_boundary = Grid.objects.get(pk=t.g11.pk).geometry
    page.locator("#gz-grid-map-edit").click()
    page.wait_for_url(re.compile(rf"/grids/map/community/{t.osmanthus.pk}/edit/$"))
    wait_ready(page, "#gz-grid-editor")
    assert page.locator("[data-testid=edit-status]").inner_text() == "尚未修改"
    # both ends of the shared edge are shared by the two grids and slide along the community boundary
    for end in (vertex(page, 0, 2), vertex(page, 2, 2)):
        assert {"gz-vertex", "gz-vertex-shared", "gz-vertex-rail"} <= set(end.get_attribute("class").split())
    north_west = vertex(page, 0, 4)  # a corner of the community: fixed
    assert {"gz-vertex", "gz-vertex-fixed"} <= set(north_west.get_attribute("class").split())
    west_end = vertex(page, 0, 2)
    page.screenshot(path=str(screenshot_dir / "grid-map-5.png"), full_page=True)

    # a spike out of the community through the middle of the shared edge is refused; the edits stay
    lon_a, lat_a = to_lonlat(0, 2)
    lon_b, lat_b = to_lonlat(2, 2)
    a, b = f"{lon_a:.7f},{lat_a:.7f}", f"{lon_b:.7f},{lat_b:.7f}"
    mid = page.locator(f'.gz-midpoint[data-edge="{a}|{b}"], .gz-midpoint[data-edge="{b}|{a}"]')
    wy, ny = centre(west_end.bounding_box())[1], centre(north_west.bounding_box())[1]
    mx, my = centre(mid.bounding_box())
    drag(page, (mx, my), (mx, ny - (wy - ny) * 0.25))  # to y = 4.5 km
    assert page.locator("[data-testid=edit-status]").inner_text() == "已修改 2 个网格"
    page.click("[data-testid=save]")
    # 1幢 of 第2网格 (at x = 1, y = 3 km) would now lie in the spike of 第1网格
    assert page.locator("#gz-edit-confirm-text").inner_text() == CONFIRM_ONE_BUILDING
    page.click("#gz-edit-confirm-yes")
    message = page.locator("[data-testid=edit-message]")
    message.filter(has_text="未保存").wait_for()
    assert message.inner_text().startswith("未保存：网格“桂花社区")
    assert page.locator("[data-testid=edit-status]").inner_text() == "已修改 2 个网格"
    page.screenshot(path=str(screenshot_dir / "grid-map-6.png"), full_page=True)
    assert Grid.objects.get(pk=t.g11.pk).geometry == saved_boundary

    # undo the spike, then slide both ends of the shared edge north to y = 3.2 km (they run along
    # the community boundary); 1幢 of 第2网格 (at y = 3 km) moves to 第1网格
    page.click("#gz-edit-undo")
    assert page.locator("[data-testid=edit-status]").inner_text() == "尚未修改"
    wx, wy = centre(vertex(page, 0, 2).bounding_box())
    ny = centre(vertex(page, 0, 4).bounding_box())[1]
    target_y = wy + (ny - wy) * 0.6
    drag(page, (wx, wy), (wx - 3, target_y))  # off the boundary a little: it slides back onto it
    ex, ey = centre(vertex(page, 2, 2).bounding_box())
    drag(page, (ex, ey), (ex, target_y))
    assert page.locator("[data-testid=edit-status]").inner_text() == "已修改 2 个网格"
    page.click("[data-testid=save]")
    assert page.locator("#gz-edit-confirm-text").inner_text() == CONFIRM_ONE_BUILDING
    page.click("#gz-edit-confirm-yes")
    message.filter(has_text="已保存").wait_for()
    assert message.inner_text() == "已保存 2 个网格的边界：1 栋楼、0 件在办事项移到了新的网格。"
    assert page.locator("[data-testid=edit-status]").inner_text() == "尚未修改"
    page.screenshot(path=str(screenshot_dir / "grid-map-7.png"), full_page=True)
    assert Building.objects.get(pk=t.buildings["121"].pk).grid_id == t.g11.pk
    g11 = Grid.objects.get(pk=t.g11.pk)
    assert 6.3 < g11.area_km2 < 6.5  # 2 km × about 3.2 km: a drag in pixels is not exact
    page.close()


def test_grid_map_on_a_phone(live_server, browser, screenshot_dir):
    t = build_map_territory(with_activity=False)
    user_with(Role.GRID_WORKER, t.g11, "g11-worker")
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    login(page, live_server.url, "g11-worker")
    page.goto(f"{live_server.url}/grids/map/")
    wait_ready(page, "#gz-grid-map")
    # a grid worker's map: their community, their grid only; no editing
    assert page.locator("#gz-grid-map-title").inner_text() == "桂花社区 · 网格地图"
    assert page.locator(".gz-map-label span").all_inner_texts() == ["桂花社区第1网格"]
    assert not page.locator("#gz-grid-map-edit").is_visible()
    box = page.locator("[data-testid=measure]").bounding_box()
    assert box["width"] > 300 and box["height"] >= 44  # a full-width select, big enough for a thumb
    page.screenshot(path=str(screenshot_dir / "grid-map-8-phone.png"), full_page=True)
    page.close()
