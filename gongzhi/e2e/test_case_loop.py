"""The closed loop in a real browser: a grid worker reports a problem from a phone with a photo and
the phone's position; the dispatcher sees the suggested category and body and dispatches; the
property company accepts, proposes a plan and handles it with a photo; the grid worker verifies;
the resident rates it through the link in the SMS; the timeline shows every step with its time."""

import re

import pytest
from django.core.management import call_command

from gongzhi.cases.choices import BodyKind
from gongzhi.cases.models import Case, HandlingBody
from gongzhi.core.sms import MemoryBackend
from gongzhi.territory.models import Building

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "Gongzhi@2026"  # noqa: S105 - the published demo password
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
TEXT = "3单元楼道的灯坏了一个多星期了，晚上黑漆漆的，楼上的老人下楼差点摔倒，麻烦尽快修一下"


def login(browser, live_server, username, viewport, **context):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", **context)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
    return page


def move(page, name, note=None, photo=None, **selects):
    page.click(f"[data-testid=move-button-{name}]")
    form = page.locator(f"[data-testid=move-form-{name}]")
    form.wait_for(state="visible")
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    if photo is not None:
        form.locator("input[name=photos]").set_input_files(str(photo))
    for field, value in selects.items():
        form.locator(f"select[name={field}]").select_option(value)
    form.locator(f"[data-testid=submit-{name}]").click()


def state_is(page, label):
    try:
        page.wait_for_function(
            "label => document.querySelector('[data-testid=state]')?.textContent.trim() === label", arg=label
        )
    except Exception:
        from gongzhi.e2e.conftest import ARTIFACTS

        page.screenshot(path=str(ARTIFACTS / "case-failure.png"), full_page=True)
        raise


def test_the_closed_loop_in_a_browser(live_server, browser, screenshot_dir, tmp_path, settings):
    call_command("load_demo", scale=0.03)
    settings.GONGZHI_PUBLIC_URL = live_server.url
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    # a building in the demo grid worker's grid, in a compound a property company manages
    building = (
        Building.objects.filter(grid__assignments__user__username="demo-grid", compound__property_management="company")
        .select_related("compound")
        .order_by("pk")
        .first()
    )
    assert building is not None
    company = HandlingBody.objects.get(kind=BodyKind.PROPERTY_COMPANY, compounds=building.compound)
    assert company.members.filter(username="demo-property").exists()

    # 1. the grid worker, on a phone, at the building
    grid_page = login(
        browser, live_server, "demo-grid", PHONE,
        geolocation={"latitude": building.lat, "longitude": building.lon, "accuracy": 8}, permissions=["geolocation"],
    )  # fmt: skip
    grid_page.goto(f"{live_server.url}/cases/report/")
    grid_page.fill("#id_description", TEXT)
    grid_page.set_input_files("#id_photos", str(photo))
    grid_page.click("[data-testid=use-location]")
    grid_page.wait_for_selector("[data-testid=resolved-grid]")
    grid_page.wait_for_selector("#gz-suggest [data-testid=suggestions]")
    grid_page.click("text=反映人（选填）")  # the resident the worker talked to (a collapsed section)
    grid_page.fill("#id_reporter_name", "王阿姨")
    grid_page.fill("#id_reporter_phone", "13912345678")
    grid_page.screenshot(path=str(screenshot_dir / "case-1-report-phone.png"), full_page=True)
    MemoryBackend.outbox.clear()
    grid_page.click("[data-testid=submit]")
    grid_page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.order_by("-pk").first()
    assert (case.grid_id, case.channel, case.state) == (building.grid_id, "grid_app", "reported")
    assert case.attachments.count() == 1
    assert case.category == "facility" and case.suggested_body == company

    # 2. the dispatcher sees the suggestion and dispatches
    desk = login(browser, live_server, "demo-dispatcher", DESKTOP)
    desk.goto(f"{live_server.url}/cases/")
    desk.wait_for_selector(f"text={case.number}")
    desk.screenshot(path=str(screenshot_dir / "case-2-desk-list.png"), full_page=True)
    desk.goto(f"{live_server.url}/cases/{case.pk}/")
    assert "设施损坏" in desk.locator("[data-testid=suggestions]").inner_text()
    desk.click("[data-testid=move-button-dispatch]")
    body_select = desk.locator("[data-testid=move-form-dispatch] select[name=body]")
    assert body_select.input_value() == str(company.pk)
    desk.screenshot(path=str(screenshot_dir / "case-3-dispatch.png"), full_page=True)
    desk.locator("[data-testid=submit-dispatch]").click()
    state_is(desk, "待签收")

    # 3. the property company accepts, plans and handles it with a photo
    handler = login(browser, live_server, "demo-property", DESKTOP)
    handler.goto(f"{live_server.url}/cases/{case.pk}/")
    move(handler, "accept")
    state_is(handler, "处理中")
    move(handler, "plan", note="今天下午安排电工更换3单元各层楼道灯")
    state_is(handler, "方案已定")
    move(handler, "handle", note="已更换3单元1至6层楼道灯，全部正常点亮", photo=photo)
    state_is(handler, "待核实")

    # 4. the grid worker verifies on the spot
    grid_page.goto(f"{live_server.url}/cases/{case.pk}/")
    move(grid_page, "verify", note="现场查看，楼道灯均已正常")
    state_is(grid_page, "待评价")
    grid_page.screenshot(path=str(screenshot_dir / "case-4-verified-phone.png"), full_page=True)

    # 5. the resident rates it through the link in the SMS
    sms = [text for phone, text in MemoryBackend.outbox if phone == "13912345678" and "评价" in text]
    link = re.search(r"(https?://\S+/cases/r/\S+/)", sms[-1]).group(1)
    resident = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    resident.goto(link)
    resident.check("#solved-yes", force=True)
    resident.check("#sat-satisfied", force=True)
    resident.fill("#id_comment", "修得很及时，谢谢")
    resident.screenshot(path=str(screenshot_dir / "case-5-rate-phone.png"), full_page=True)
    resident.click("[data-testid=rating-form] button[type=submit]")
    resident.wait_for_selector("text=感谢您的评价")

    # 6. the timeline shows every step with its time
    desk.goto(f"{live_server.url}/cases/{case.pk}/")
    state_is(desk, "已结案")
    timeline = desk.locator("[data-testid=timeline]").inner_text()
    for step in ["上报", "立案", "派遣", "签收", "提出方案", "处置反馈", "核实通过", "评价"]:
        assert step in timeline, step
    assert len(re.findall(r"\d{2}:\d{2}", timeline)) >= 8
    desk.screenshot(path=str(screenshot_dir / "case-6-timeline.png"), full_page=True)
    case.refresh_from_db()
    assert (case.state, case.satisfaction, case.solved, case.body) == ("closed", "satisfied", True, company)
    assert list(case.events.order_by("time", "pk").values_list("action", flat=True)) == [
        "report", "register", "dispatch", "accept", "plan", "handle", "verify", "rate",
    ]  # fmt: skip
    assert case.attachments.count() == 2
