"""The command centre in a real browser, live: the street's dispatcher opens /command/ on a desktop
(1440×900); in the background, a grid worker reports a case through the API, then the dispatcher
dispatches it and blows the whistle through the API. Without a reload the page shows each step at
the top of the feed, puts the point on the map and recolours it (purple: whistle), and today's
figures follow. Then the district's administrator opens the district's centre.

The pages, the API and the WebSocket are served by uvicorn running the ASGI application in a thread
of the test process (pytest-django's live_server speaks WSGI only, without WebSockets), on the
test database, with the in-memory channel layer of this process."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.request

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from gongzhi.accounts.models import User
from gongzhi.cases.choices import BodyKind
from gongzhi.cases.models import Case, HandlingBody
from gongzhi.territory.models import Building, Street

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "Gongzhi@2026"  # noqa: S105 - the published demo password
DESKTOP = {"width": 1440, "height": 900}
TEXT = "小区东门口的井盖松动了，踩上去晃得厉害，晚上有老人经过很危险，请尽快处理"


@pytest.fixture
def asgi_server(transactional_db):
    import uvicorn

    from gongzhi.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, ws="websockets", lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def api_call(base: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - http to the test's own server
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test's own server
        return json.loads(response.read())


def in_background(fn, *args):
    """Run an API call in another thread, as another user's device would; the result or the error."""
    result: dict = {}

    def run():
        try:
            result["value"] = fn(*args)
        except Exception as exc:  # reported by the test below
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker, result


def finish(worker, result) -> dict:
    worker.join(timeout=30)
    assert "error" not in result, result.get("error")
    return result["value"]


def login(browser, base, username):
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
    return page


def figure(page, key) -> str:
    return page.locator(f"[data-testid=figure-{key}]").inner_text().strip()


def test_a_case_reported_in_the_background_appears_live(asgi_server, browser, screenshot_dir):
    ContentType.objects.clear_cache()  # ids cached by earlier tests' rolled-back transactions
    call_command("load_demo", scale=0.03)
    base = asgi_server
    grid_token = Token.objects.create(user=User.objects.get(username="demo-grid")).key
    dispatcher_token = Token.objects.create(user=User.objects.get(username="demo-dispatcher")).key
    building = (
        Building.objects.filter(grid__assignments__user__username="demo-grid", compound__property_management="company")
        .order_by("pk")
        .first()
    )
    assert building is not None

    # 1. the dispatcher opens the command centre of the street
    page = login(browser, base, "demo-dispatcher")
    page.goto(f"{base}/command/")
    page.wait_for_selector("[data-testid=command-live][data-state=live]")
    page.wait_for_function("document.querySelectorAll('[data-testid=feed-item]').length > 0")
    page.wait_for_function("document.querySelector('[data-testid=map-status]').dataset.count !== undefined")
    page.wait_for_function("document.querySelector('[data-testid=figure-intake]').textContent.trim() !== '—'")
    assert "指挥中心" in page.locator("[data-testid=command-title]").inner_text()
    page.wait_for_timeout(600)  # the charts' entry animation
    page.screenshot(path=str(screenshot_dir / "command-1.png"), full_page=True)
    intake_before = int(figure(page, "intake"))
    points_before = int(page.locator("[data-testid=map-status]").get_attribute("data-count"))
    page.evaluate("window.__gzNoReload = 'still here'")

    # 2. a grid worker reports a case through the API, in the background
    worker, result = in_background(
        api_call, base, grid_token, "/api/cases/cases/", {"description": TEXT, "building": building.pk}
    )
    created = finish(worker, result)
    case = Case.objects.get(pk=created["id"])
    item = page.locator(f"[data-testid=feed-item][data-case='{case.pk}'][data-type='case.reported']")
    item.wait_for(timeout=10_000)
    assert page.locator("[data-testid=feed-item]").first.get_attribute("data-case") == str(case.pk)  # on top
    assert case.number in item.inner_text() and "新事项" in item.inner_text()
    assert page.locator(".gz-feed-new").count() == 1  # only the new entry is highlighted
    point = page.locator(f"[data-testid=command-map] path[data-case='{case.pk}']")
    point.wait_for(state="attached", timeout=10_000)
    page.wait_for_function(
        "n => Number(document.querySelector('[data-testid=figure-intake]').textContent) === n", arg=intake_before + 1
    )
    assert int(page.locator("[data-testid=map-status]").get_attribute("data-count")) == points_before + 1
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "command-2.png"), full_page=True)

    # 3. the dispatcher's colleague dispatches it and blows the whistle, through the API
    body = case.suggested_body or HandlingBody.objects.filter(street=case.street, kind=BodyKind.PROPERTY_OFFICE).first()
    finish(*in_background(api_call, base, dispatcher_token, f"/api/cases/cases/{case.pk}/dispatch/", {"body": body.pk}))
    page.locator(f"[data-testid=feed-item][data-case='{case.pk}'][data-type='case.dispatch']").wait_for(timeout=10_000)
    enforcement = HandlingBody.objects.get(street=case.street, kind=BodyKind.ENFORCEMENT)
    whistle = {"reason": "joint_enforcement", "bodies": [enforcement.pk], "note": "井盖松动涉及道路，召集执法中队到场"}
    finish(*in_background(api_call, base, dispatcher_token, f"/api/cases/cases/{case.pk}/whistle/", whistle))
    page.locator(f"[data-testid=feed-item][data-case='{case.pk}'][data-type='case.whistle']").wait_for(timeout=10_000)
    page.wait_for_selector(f"[data-testid=command-map] path[data-case='{case.pk}'][data-sla=whistle]", state="attached")
    page.wait_for_function("Number(document.querySelector('[data-testid=figure-whistles]').textContent) >= 1")
    assert page.locator("[data-testid=feed-item]").first.get_attribute("data-type") == "case.whistle"
    assert page.locator(".gz-feed-new").count() == 3  # reported, dispatched, whistle
    assert page.evaluate("window.__gzNoReload") == "still here"  # no reload happened
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshot_dir / "command-3.png"), full_page=True)

    # 4. the figure links to its cases: the whistles figure lists this case
    page.click("[data-testid=figure-whistles]")
    page.wait_for_url(re.compile(r"/cases/\?.*whistle=open"))
    assert case.number in page.content()

    # 5. the district's administrator sees the district, with the streets to switch to
    district = login(browser, base, "demo-district")
    district.goto(f"{base}/command/")
    district.wait_for_selector("[data-testid=command-live][data-state=live]")
    district.wait_for_selector(
        f"[data-testid=command-map] path[data-case='{case.pk}'][data-sla=whistle]", state="attached"
    )
    streets = Street.objects.filter(district=case.district).count()
    assert district.locator("[data-testid=command-switch] option").count() == 1 + streets
    district.wait_for_timeout(600)
    district.screenshot(path=str(screenshot_dir / "command-4-district.png"), full_page=True)
