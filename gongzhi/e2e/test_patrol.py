"""A patrol in a real browser on a phone: the grid worker starts a patrol, walks (a simulated
position moved a few times), adds a note, reloads the page in the middle (the patrol goes on),
ends it without a connection (kept on the phone as 待上传), gets the connection back (已上传), and
the detail page shows the route on the map."""

import re

import pytest

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import User
from gongzhi.core.testing.tree import user_with
from gongzhi.demo.plan import to_lonlat
from gongzhi.grids.models import Patrol, PatrolEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PHONE = {"width": 390, "height": 844}
PASSWORD = "x-Passw0rd!"  # noqa: S105 - the test users' password (core.testing.tree)
NOTE = "3幢楼道堆放的纸箱已请住户清理"
PROBLEM = "小区北门消防通道被三辆电动车堵住，已告知物业"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def position(step: int) -> dict:
    """Walking north in grid a, 8 m a step."""
    lon, lat = to_lonlat(0.6, 0.5 + step * 0.008)
    return {"longitude": lon, "latitude": lat, "accuracy": 6}


def state_is(page, text, timeout=30000):
    page.wait_for_function(
        "t => document.querySelector('[data-testid=upload-state]')?.textContent.trim() === t", arg=text, timeout=timeout
    )


def points_at_least(page, n):
    page.wait_for_function("n => Number(document.querySelector('[data-testid=points]').textContent) >= n", arg=n)


def test_a_patrol_walked_on_a_phone(live_server, browser, screenshot_dir, tree, tmp_path):
    worker = user_with(Role.GRID_WORKER, tree.a.grid, "wangge")
    User.objects.filter(pk=worker.pk).update(display_name="张伟")
    ctx = browser.new_context(
        viewport=PHONE, locale="zh-CN", geolocation=position(0), permissions=["geolocation"], has_touch=True
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/?next=/grids/patrols/walk/")
    page.fill("#id_username", "wangge")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/grids/patrols/walk/$"))
    page.wait_for_selector("text=定位精度约 6 米")
    page.screenshot(path=str(screenshot_dir / "patrol-1.png"), full_page=True)
    page.screenshot(path=str(screenshot_dir / "patrol-1.png"), full_page=True)

    # start, and walk: the route grows with every new position
    page.click("[data-testid=start]")
    state_is(page, "已同步")
    assert Patrol.objects.get().status == "open"
    for step in range(1, 4):
        page.wait_for_timeout(2200)  # 8 m in 2.2 s: walking speed, well under 30 km/h
        ctx.set_geolocation(position(step))
        points_at_least(page, step + 1)

    # a note at the current position
    page.click("[data-testid=add-note]")
    page.fill("[data-testid=entry-text]", NOTE)
    page.click("[data-testid=entry-save]")
    page.wait_for_selector(f"[data-testid=entries] >> text={NOTE}")
    state_is(page, "已同步")
    assert list(Patrol.objects.get().entries.values_list("kind", "text")) == [("note", NOTE)]

    # a problem with a photo from the camera: it becomes a case, the photo follows
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    page.click("[data-testid=add-problem]")
    page.fill("[data-testid=entry-text]", PROBLEM)
    page.set_input_files("[data-testid=entry-photo]", str(photo))
    page.wait_for_selector("#gz-entry-preview:not(.d-none)")
    page.click("[data-testid=entry-save]")
    page.wait_for_selector("[data-testid=entries] >> text=已转事项")
    state_is(page, "已同步")
    problem = PatrolEntry.objects.select_related("case").get(kind="problem")
    assert (problem.text, problem.case.channel, problem.case.grid) == (PROBLEM, "grid_app", tree.a.grid)
    assert problem.photo and problem.case.attachments.count() == 1
    page.screenshot(path=str(screenshot_dir / "patrol-2.png"), full_page=True)

    # a reload in the middle of the patrol picks it up where it was
    page.reload()
    page.wait_for_selector("[data-testid=end]", state="visible")
    points_at_least(page, 4)
    assert NOTE in page.locator("[data-testid=entries]").inner_text()
    page.wait_for_timeout(2200)
    ctx.set_geolocation(position(4))
    points_at_least(page, 5)

    # ended without a connection: kept on the phone, 待上传
    ctx.set_offline(True)
    page.click("[data-testid=end]")
    page.click("[data-testid=end-confirm]")
    page.wait_for_selector("[data-testid=ended]", state="visible")
    state_is(page, "待上传")
    assert Patrol.objects.get().status == "open"
    (store,) = page.evaluate("() => Object.keys(localStorage).map((k) => JSON.parse(localStorage.getItem(k)))")
    (kept,) = store["patrols"].values()
    assert kept["ended_at"] and kept["sent_rev"] < kept["rev"] and kept["entries"][0]["text"] == NOTE
    assert kept["entries"][1]["photo"] is None  # sent already: the phone keeps no copy
    page.screenshot(path=str(screenshot_dir / "patrol-3.png"), full_page=True)

    # the connection comes back: sent again by itself, 已上传
    ctx.set_offline(False)
    state_is(page, "已上传")
    patrol = Patrol.objects.get()
    assert (patrol.status, patrol.worker, patrol.grid, patrol.entries.count()) == ("done", worker, tree.a.grid, 2)
    assert len(patrol.route) >= 5
    assert 24 <= patrol.distance_m <= 45, patrol.distance_m  # four steps of 8 m
    page.screenshot(path=str(screenshot_dir / "patrol-4.png"), full_page=True)

    # the detail page draws the route on the map
    page.click("[data-testid=ended-link]")
    page.wait_for_url(re.compile(rf"/grids/patrols/{patrol.pk}/$"))
    page.wait_for_selector("#gz-patrol-map[data-ready='1'] path.gz-route", state="attached")
    assert "张伟" in page.locator(".page-title").inner_text()
    entries = page.locator("[data-testid=patrol-entries]")
    assert NOTE in entries.inner_text() and f"已转事项 {problem.case.number}" in entries.inner_text()
    assert entries.locator("img.gz-entry-photo").count() == 1
    assert page.locator("[data-testid=patrol-status]").inner_text() == "已结束"
    page.screenshot(path=str(screenshot_dir / "patrol-5.png"), full_page=True)

    # the worker's list and hours
    page.goto(f"{live_server.url}/grids/patrols/?worker={worker.pk}")
    assert page.locator("[data-testid=patrol-list] tbody tr").count() == 1
    page.screenshot(path=str(screenshot_dir / "patrol-6.png"), full_page=True)
    page.goto(f"{live_server.url}/grids/patrols/hours/")
    assert "张伟" in page.locator("[data-testid=hours-table]").inner_text()
    page.screenshot(path=str(screenshot_dir / "patrol-7.png"), full_page=True)
    assert errors == []
    ctx.close()
