"""The intake pages (事项一口归集): the grid worker's phone page, the resident portal, the hotline
form and the courtyard-meeting batch entry, with the endpoints they call while the user types."""

import datetime
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from gongzhi.cases import classifier, intake_views, services
from gongzhi.cases.choices import Channel, Priority, Satisfaction, State
from gongzhi.cases.models import Attachment, Case, CaseEvent
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import Role, user_with
from gongzhi.demo.plan import to_lonlat

from .conftest import NOW

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
LIGHT = "3单元楼道的灯坏了一个星期了，晚上黑漆漆的老人下楼不方便"
NOISE = "楼上邻居天天半夜吵闹，上去沟通了好几次都没用"
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def clock(monkeypatch):
    """The pages read the clock at the edge (timezone.now()); tests set it."""

    class Clock:
        now = NOW

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def url(name, *args) -> str:
    return reverse(f"cases:{name}", args=args)


def photo(name="p.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def point(x, y) -> dict:
    lon, lat = to_lonlat(x, y)
    return {"lon": str(lon), "lat": str(lat)}


def report_data(**kw) -> dict:
    data = {"description": LIGHT, "priority": Priority.NORMAL, "client_key": str(uuid.uuid4())}
    data.update(kw)
    return data


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def to_verified(case, desk, now):
    case = services.dispatch_case(case, actor=desk.dispatcher, now=now, body=desk.property_company)
    case = services.accept_case(case, actor=desk.handler, now=now + H)
    case = services.handle_case(case, actor=desk.handler, now=now + 2 * H, note="已更换灯泡")
    return services.verify_case(case, actor=desk.grid_worker, now=now + 3 * H)


# -- who may open which page ---------------------------------------------------------------------


def test_permission_matrix_of_the_pages(desk, clock):
    for name in ("report", "courtyard", "courtyard-template"):
        check_matrix(url(name), in_scope=desk.grid_worker, out_of_scope=None, no_role=desk.nobody)
        assert client(desk.resident).get(url(name)).status_code == 403
        assert client(desk.handler).get(url(name)).status_code == 403
    check_matrix(url("hotline"), in_scope=desk.dispatcher, out_of_scope=None, no_role=desk.grid_worker)
    assert client(desk.nobody).get(url("hotline")).status_code == 403
    check_matrix(url("suggest") + "?text=x", in_scope=desk.grid_worker, out_of_scope=None, no_role=desk.nobody)
    assert client(desk.dispatcher).get(url("suggest")).status_code == 200
    # the portal: anyone signed in, each their own matters
    anonymous = Client().get(url("portal"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    for user in (desk.nobody, desk.resident, desk.grid_worker):
        assert client(user).get(url("portal")).status_code == 200


def test_the_portal_case_page_is_only_the_reporters(desk, make_case, clock):
    case = make_case(NOISE, actor=desk.resident, channel=Channel.RESIDENT, reporter_user=desk.resident)
    neighbour = user_with(Role.RESIDENT, desk.tree.a.building, "linju")
    assert Client().get(url("portal-case", case.pk)).status_code == 302
    for user in (neighbour, desk.nobody, desk.dispatcher, desk.grid_worker):
        assert client(user).get(url("portal-case", case.pk)).status_code == 404
    assert client(desk.resident).get(url("portal-case", case.pk)).status_code == 200
    staff_case = make_case()  # reported by the grid worker for someone: not in the worker's portal
    assert client(desk.grid_worker).get(url("portal-case", staff_case.pk)).status_code == 404


# -- the grid worker's phone page ----------------------------------------------------------------


def test_grid_worker_reports_with_a_photo_and_a_point_in_grid_a(desk, clock):
    key = str(uuid.uuid4())
    data = report_data(
        client_key=key,
        priority=Priority.URGENT,
        reporter_name="王阿姨",
        reporter_phone="139 1234 5678",
        **point(0.1, 1.9),
    )
    response = client(desk.grid_worker).post(url("report"), {**data, "photos": [photo()]}, follow=True)
    case = Case.objects.get()
    assert response.redirect_chain == [(url("detail", case.pk), 302)]
    assert texts(response) == [f"已上报，案卷号 {case.number}"]
    assert (case.channel, case.grid, case.building, case.priority, case.state) == (
        Channel.GRID_APP, desk.tree.a.grid, None, Priority.URGENT, State.REPORTED,
    )  # fmt: skip
    assert (case.lon, case.lat) == to_lonlat(0.1, 1.9)
    assert (case.reporter_name, case.reporter_phone, case.reporter_phone_masked) == (
        "王阿姨",
        "13912345678",
        "139****5678",
    )
    assert (case.created_by, case.reporter_user, case.category_confirmed) == (desk.grid_worker, None, False)
    event = case.events.get()
    assert (event.action, event.data) == ("report", {"channel": "grid_app", "client_key": key})
    attachment = Attachment.objects.get()
    assert (attachment.case, attachment.event, attachment.content_type, attachment.size) == (
        case, event, "image/png", len(PNG),
    )  # fmt: skip


def test_the_page_script_gets_json_and_the_gps_accuracy_is_kept(desk, clock):
    key = str(uuid.uuid4())
    data = report_data(client_key=key, accuracy="18.4", **point(1.5, 0.5))
    response = client(desk.grid_worker).post(url("report"), data, **FETCH)
    case = Case.objects.get()
    assert (response.status_code, response.json()) == (
        200,
        {"ok": True, "redirect": url("detail", case.pk), "number": case.number, "again": False},
    )
    assert case.events.get().data == {"channel": "grid_app", "client_key": key, "accuracy_m": 18.4}


def test_a_point_outside_every_grid_is_the_location_error_and_nothing_is_written(desk, clock):
    changes = ObjectChange.objects.count()
    data = report_data(reporter_name="王阿姨", address="小区东门", **point(5, 1))
    response = client(desk.grid_worker).post(url("report"), {**data, "photos": [photo()]})
    assert response.status_code == 400
    errors = response.context["errors"]
    assert errors == {
        "location": ["该位置不在本区任何网格内，请在地图上重新选点或填写详细地址。"],
        "photos": ["出于安全原因，浏览器不会保留已选的照片：请重新选择照片后再提交。"],
    }
    html = response.content.decode()
    assert f">{LIGHT}</textarea>" in html  # what was typed is all still there
    assert 'value="王阿姨"' in html and 'value="小区东门"' in html and f'value="{data["lon"]}"' in html
    assert f'value="{data["client_key"]}"' in html
    assert (Case.objects.count(), Attachment.objects.count(), ObjectChange.objects.count()) == (0, 0, changes)
    # the page script gets the same errors as JSON
    response = client(desk.grid_worker).post(url("report"), data, **FETCH)
    assert (response.status_code, response.json()) == (
        400,
        {"ok": False, "errors": {"location": ["该位置不在本区任何网格内，请在地图上重新选点或填写详细地址。"]}},
    )
    assert Case.objects.count() == 0


def test_a_point_in_another_grid_and_other_bad_input_are_refused(desk, clock):
    worker = client(desk.grid_worker)
    response = worker.post(url("report"), report_data(**point(3, 1)))  # grid b: not the worker's grid
    assert response.context["errors"] == {"location": ["该位置不在您的辖区内，不能代为上报。"]}
    response = worker.post(
        url("report"), report_data(description="  ", reporter_phone="12345", priority="soon", lon="abc", lat="1")
    )
    assert response.status_code == 400
    assert response.context["errors"] == {
        "description": ["请描述反映的问题。"],
        "priority": ["紧急程度应为一般、加急、紧急或复杂疑难。"],
        "reporter_phone": ["电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。"],
        "location": ["经纬度必须是数字。"],
    }
    response = worker.post(url("report"), report_data())  # no location at all
    assert response.context["errors"] == {"location": ["请确定位置：使用当前位置、在地图上选点、填写地址或选择楼栋。"]}
    response = worker.post(url("report"), report_data(building=desk.tree.b.building.pk))
    assert response.context["errors"] == {"location": ["请从列表中选择您辖区内的楼栋。"]}
    assert Case.objects.count() == 0


def test_an_address_or_a_building_resolves_to_the_building(desk, clock):
    a = desk.tree.a
    worker = client(desk.grid_worker)
    worker.post(url("report"), report_data(address="测试1花园1幢2单元"))
    case = Case.objects.get()
    assert (case.grid, case.compound, case.building, case.address) == (
        a.grid,
        a.compound,
        a.building,
        "测试1花园1幢2单元",
    )
    assert (case.lon, case.lat) == (a.building.lon, a.building.lat)
    worker.post(url("report"), report_data(description=NOISE, building=a.building.pk))
    assert Case.objects.get(description=NOISE).building == a.building
    page = worker.get(url("report")).content.decode()
    assert f'<option value="{a.building.pk}">测试1花园1幢</option>' in page
    assert f'value="{desk.tree.b.building.pk}"' not in page


def test_a_retry_with_the_same_client_key_makes_exactly_one_case(desk, clock):
    worker = client(desk.grid_worker)
    data = report_data(**point(0.5, 0.5))
    first = worker.post(url("report"), {**data, "photos": [photo()]}, **FETCH).json()
    # the answer was lost on the way; the page sends the draft again, photo and all
    again = worker.post(url("report"), {**data, "photos": [photo()]}, **FETCH).json()
    case = Case.objects.get()
    assert first == {"ok": True, "redirect": url("detail", case.pk), "number": case.number, "again": False}
    assert again == {"ok": True, "redirect": url("detail", case.pk), "number": case.number, "again": True}
    assert (Attachment.objects.count(), CaseEvent.objects.filter(action="report").count()) == (1, 1)
    response = worker.post(url("report"), data, follow=True)  # a plain form post finds it as well
    assert response.redirect_chain == [(url("detail", case.pk), 302)]
    assert texts(response)[-1] == f"该事项已上报，案卷号 {case.number}（未重复提交）。"
    # the key is the user's own, and only for a day
    client(desk.community_worker).post(url("report"), data)
    assert Case.objects.count() == 2
    clock.now = NOW + 2 * D
    worker.post(url("report"), data)
    assert Case.objects.count() == 3


# -- what the pages call while the user types --------------------------------------------------------


def test_suggest_returns_the_top_three_labels(desk, clock, monkeypatch):
    calls = []

    def fake(text, k=3):
        calls.append((text, k))
        return [
            {"category": "facility", "score": 0.62},
            {"category": "property_service", "score": 0.21},
            {"category": "fire_safety", "score": 0.07},
        ]

    monkeypatch.setattr(classifier, "suggest", fake)
    response = client(desk.grid_worker).get(url("suggest"), {"text": LIGHT})
    assert response.status_code == 200
    assert [(r["category"], str(r["label"]), r["percent"]) for r in response.context["rows"]] == [
        ("facility", "设施损坏", 62),
        ("property_service", "物业管理与业主自治", 21),
        ("fire_safety", "消防与安全隐患", 7),
    ]
    html = response.content.decode()
    assert html.count('class="btn btn-sm gz-chip') == 3 and 'data-category="facility"' in html
    assert calls == [(LIGHT, 3)]
    # the textarea sends itself as description=; a few characters are not enough to classify
    assert client(desk.grid_worker).get(url("suggest"), {"description": "灯坏"}).context["rows"] == []
    assert calls == [(LIGHT, 3)]


def test_suggest_with_the_shipped_classifier(desk, clock):
    response = client(desk.dispatcher).get(url("suggest"), {"text": NOISE})
    rows = response.context["rows"]
    assert len(rows) == 3 and len({r["category"] for r in rows}) == 3
    assert rows[0]["category"] == "dispute"


def test_locate_names_the_grid_and_building(desk, clock):
    worker = client(desk.grid_worker)
    inside = worker.get(url("locate"), {**point(0.5, 0.5), "channel": "grid_app"})
    assert inside.context["place"].grid == desk.tree.a.grid and inside.context["outside"] is False
    assert "测试1社区第1网格" in inside.content.decode()
    other = worker.get(url("locate"), {**point(3, 1), "channel": "grid_app"})
    assert other.context["place"].grid == desk.tree.b.grid and other.context["outside"] is True
    assert "该位置不在您的辖区内，不能代为上报。" in other.content.decode()
    nowhere = worker.get(url("locate"), point(5, 1))
    assert nowhere.context["error"] == "该位置不在本区任何网格内，请在地图上重新选点或填写详细地址。"
    by_address = client(desk.resident).get(url("locate"), {"address": "测试2花园1幢"})
    assert by_address.context["place"].building == desk.tree.b.building
    assert "测试2花园1幢" in by_address.content.decode()
    assert worker.get(url("locate")).context["place"] is None


def test_the_map_draws_the_users_grids_and_buildings(desk, clock):
    data = client(desk.grid_worker).get(url("intake-grids")).json()
    assert [(f["properties"]["kind"], f["properties"]["name"], f["geometry"]["type"]) for f in data["features"]] == [
        ("grid", "测试1社区第1网格", "Polygon"),
        ("building", "测试1花园1幢", "Point"),
    ]
    # a resident sees the grids of their community only, and no buildings
    data = client(desk.resident).get(url("intake-grids")).json()
    assert [f["properties"]["name"] for f in data["features"]] == ["测试1社区第1网格"]
    assert client(desk.nobody).get(url("intake-grids")).json() == {"type": "FeatureCollection", "features": []}


# -- the resident portal ---------------------------------------------------------------------------


def test_a_resident_reports_from_the_portal(desk, clock):
    key = str(uuid.uuid4())
    data = {"description": NOISE, "address": "测试1花园1幢", "reporter_phone": "13800002222", "client_key": key}
    response = client(desk.resident).post(url("portal"), {**data, "photos": [photo()]}, follow=True)
    case = Case.objects.get()
    assert response.redirect_chain == [(url("portal-case", case.pk), 302)]
    assert texts(response) == [f"已提交，案卷号 {case.number}。我们会尽快处理，并在这里告诉您每一步进展。"]
    assert (case.channel, case.reporter_user, case.created_by, case.building) == (
        Channel.RESIDENT, desk.resident, desk.resident, desk.tree.a.building,
    )  # fmt: skip
    # the resident does not choose the category: the classifier suggests, the dispatcher confirms
    assert (case.category_confirmed, case.category) == (False, case.suggestions[0]["category"])
    assert case.reporter_phone_masked == "138****2222" and case.attachments.count() == 1
    # anyone signed in may report as a resident, even where they hold no role
    client(desk.nobody).post(url("portal"), {"description": LIGHT, **point(3, 1)})
    assert Case.objects.get(reporter_user=desk.nobody).grid == desk.tree.b.grid


def test_the_portal_lists_only_own_cases_and_shows_only_public_events(
    desk, make_case, clock, django_assert_max_num_queries
):
    mine = [
        make_case(f"{NOISE}{i}", actor=desk.resident, channel=Channel.RESIDENT, reporter_user=desk.resident)
        for i in range(3)
    ]
    neighbour = user_with(Role.RESIDENT, desk.tree.a.building, "linju")
    theirs = make_case(LIGHT, actor=neighbour, channel=Channel.RESIDENT, reporter_user=neighbour)
    staff = make_case("楼道堆放杂物，存在消防隐患")
    resident = client(desk.resident)
    with django_assert_max_num_queries(8):
        response = resident.get(url("portal"))
    assert [c.pk for c, _progress in response.context["rows"]] == [c.pk for c in reversed(mine)]
    html = response.content.decode()
    assert theirs.number not in html and staff.number not in html and LIGHT not in html
    # more cases, same number of queries
    mine += [make_case(f"{NOISE}x{i}", actor=desk.resident, channel=Channel.RESIDENT, reporter_user=desk.resident)
             for i in range(5)]  # fmt: skip
    with django_assert_max_num_queries(8):
        assert len(resident.get(url("portal")).context["rows"]) == 8

    case = mine[0]
    services.comment_case(case, actor=desk.dispatcher, now=NOW + H, note="内部：该户多次反映，注意沟通方式")
    services.comment_case(case, actor=desk.dispatcher, now=NOW + 2 * H, note="已联系物业上门查看", public=True)
    services.dispatch_case(case, actor=desk.dispatcher, now=NOW + 3 * H, body=desk.mediation)
    response = resident.get(url("portal-case", case.pk))
    rows = response.context["timeline"]
    assert [(str(r["label"]), r["event"].note, r["detail"]) for r in rows] == [
        ("上报", case.description, ""),
        ("回复", "已联系物业上门查看", ""),
        ("立案", "", ""),
        ("派遣", "", "交由 测试1社区人民调解委员会 办理"),
    ]
    html = response.content.decode()
    assert "内部" not in html and "注意沟通方式" not in html
    assert [s["done"] for s in response.context["progress"]["steps"]] == [True, True, True, False, False, False]


def test_the_resident_sees_the_photos_of_their_case_only(desk, make_case, clock):
    case = make_case(
        NOISE, actor=desk.resident, channel=Channel.RESIDENT, reporter_user=desk.resident, photos=[photo()]
    )
    attachment = case.attachments.get()
    response = client(desk.resident).get(url("portal-file", case.pk, attachment.pk))
    assert (response.status_code, response["Content-Type"], b"".join(response.streaming_content)) == (
        200,
        "image/png",
        PNG,
    )
    neighbour = user_with(Role.RESIDENT, desk.tree.a.building, "linju")
    assert client(neighbour).get(url("portal-file", case.pk, attachment.pk)).status_code == 404
    assert client(desk.resident).get(url("portal-file", case.pk + 1, attachment.pk)).status_code == 404


def test_rating_closes_the_case(desk, make_case, clock):
    case = make_case(NOISE, actor=desk.resident, channel=Channel.RESIDENT, reporter_user=desk.resident)
    resident = client(desk.resident)
    assert "rating-form" not in resident.get(url("portal-case", case.pk)).content.decode()
    case = to_verified(case, desk, NOW)
    clock.now = NOW + 5 * H
    page = resident.get(url("portal-case", case.pk))
    assert page.context["can_rate"] is True and 'data-testid="rating-form"' in page.content.decode()
    refused = resident.post(url("portal-rate", case.pk), {"solved": "yes", "version": case.version})
    assert refused.status_code == 400
    assert refused.context["rating"].errors == {"satisfaction": ["请选择满意、基本满意或不满意。"]}
    assert Case.objects.get(pk=case.pk).state == State.VERIFIED
    response = resident.post(
        url("portal-rate", case.pk),
        {"solved": "yes", "satisfaction": "basic", "comment": "修得挺快", "version": case.version},
        follow=True,
    )
    assert texts(response) == ["感谢您的评价，事项已办结。"]
    case.refresh_from_db()
    assert (case.state, case.solved, case.satisfaction, case.rating_comment, case.closed_at) == (
        State.CLOSED, True, Satisfaction.BASIC, "修得挺快", NOW + 5 * H,
    )  # fmt: skip
    assert [s["done"] for s in response.context["progress"]["steps"]] == [True] * 6
    # a second rating (a stale page) changes nothing
    again = resident.post(url("portal-rate", case.pk), {"solved": "no", "satisfaction": "unsatisfied", "version": 1})
    assert again.status_code == 400
    assert Case.objects.get(pk=case.pk).satisfaction == Satisfaction.BASIC


def test_reopening_within_the_window_and_after_it(desk, make_case, clock, settings):
    settings.GONGZHI_CASE_REOPEN_DAYS = 15
    cases = []
    for text in (NOISE, LIGHT):
        case = make_case(text, actor=desk.resident, channel=Channel.RESIDENT, reporter_user=desk.resident)
        case = to_verified(case, desk, NOW)
        case = services.rate_case(case, actor=desk.resident, now=NOW + 4 * H, solved=False, satisfaction="unsatisfied")
        cases.append(case)
    within, late = cases
    clock.now = NOW + 4 * H + 15 * D
    resident = client(desk.resident)  # signed in now (a session lasts two weeks)
    page = resident.get(url("portal-case", within.pk))
    assert page.context["can_reopen"] is True
    empty = resident.post(url("portal-reopen", within.pk), {"note": "", "version": within.version})
    assert empty.context["reopen"].errors == {"note": ["请说明问题没有解决的情况。"]}
    response = resident.post(
        url("portal-reopen", within.pk), {"note": "灯又坏了", "version": within.version}, follow=True
    )
    assert texts(response) == ["已重新交办，我们会尽快处理。"]
    within.refresh_from_db()
    assert (within.state, within.reopen_count, within.body, within.closed_at) == (
        State.DISPATCHED, 1, desk.property_company, None,
    )  # fmt: skip
    clock.now = NOW + 4 * H + 15 * D + datetime.timedelta(minutes=1)
    page = resident.get(url("portal-case", late.pk))
    assert page.context["can_reopen"] is False
    assert "结案已超过 15 天，不能重新办理。如问题仍然存在，请重新反映。" in page.content.decode()
    refused = resident.post(url("portal-reopen", late.pk), {"note": "还是没修", "version": late.version})
    assert refused.status_code == 400
    assert refused.context["reopen"].non_field_errors() == ["结案已超过 15 天，不能重新办理，请重新反映。"]
    late.refresh_from_db()
    assert (late.state, late.reopen_count) == (State.CLOSED, 0)


# -- the hotline ---------------------------------------------------------------------------------------


def test_the_hotline_requires_a_valid_phone_stores_it_encrypted_and_shows_it_masked(desk, clock):
    dispatcher = client(desk.dispatcher)
    data = {
        "reporter_name": "刘先生",
        "reporter_phone": "12345",
        "description": f"来电人反映：{LIGHT}",
        "address": "测试1花园1幢",
        "priority": Priority.NORMAL,
        "category": "facility",
        "client_key": str(uuid.uuid4()),
    }
    refused = dispatcher.post(url("hotline"), data)
    assert refused.status_code == 400
    assert refused.context["errors"] == {
        "reporter_phone": ["电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。"]
    }
    missing = dispatcher.post(url("hotline"), {**data, "reporter_phone": "", "reporter_name": ""})
    assert missing.context["errors"] == {
        "reporter_name": ["请填写来电人姓名。"],
        "reporter_phone": ["请填写来电号码。"],
    }
    assert Case.objects.count() == 0

    response = dispatcher.post(url("hotline"), {**data, "reporter_phone": "0571-87654321"})
    case = Case.objects.get()
    assert response["Location"] == f"{url('hotline')}?saved={case.pk}"
    assert (case.channel, case.category, case.category_confirmed, case.building, case.reporter_name) == (
        Channel.HOTLINE, "facility", True, desk.tree.a.building, "刘先生",
    )  # fmt: skip
    assert case.reporter_phone == "0571-87654321"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case.pk])
        (stored,) = cursor.fetchone()
    assert "87654321" not in stored and stored != ""
    page = dispatcher.get(response["Location"]).content.decode()
    assert "0571****4321" in page and "87654321" not in page
    assert f"已录入，案卷号 {case.number}" in page and "继续录入下一个来电" in page
    assert f'href="{url("detail", case.pk)}"' in page
    # without a category chosen the classifier's stays unconfirmed
    dispatcher.post(url("hotline"), {**data, "reporter_phone": "13912345678", "category": "", "client_key": ""})
    assert Case.objects.get(reporter_name="刘先生", category_confirmed=False).channel == Channel.HOTLINE
    # someone else's saved case is not shown
    assert client(desk.outsider).get(f"{url('hotline')}?saved={case.pk}").context["saved"] is None


# -- the courtyard meeting -------------------------------------------------------------------------------


def meeting(desk, **kw) -> dict:
    data = {
        "date": "2026-11-28",
        "place": "1幢楼下小广场",
        "grid": desk.tree.a.grid.pk,
        "compound": "",
        "host": "社区书记 李红",
        "attendees": "23",
        "client_key": str(uuid.uuid4()),
        "action": "save",
    }
    data.update(kw)
    return data


def rows(*items) -> dict:
    data = {"rows-TOTAL_FORMS": str(len(items)), "rows-INITIAL_FORMS": "0"}
    for i, item in enumerate(items):
        row = {"description": "", "address": "", "reporter_name": "", "reporter_phone": "", "priority": "normal"}
        row.update(item)
        data.update({f"rows-{i}-{k}": v for k, v in row.items()})
    return data


GOOD = [
    {"description": LIGHT, "address": "测试1花园1幢", "reporter_name": "张大爷", "reporter_phone": "13800001111"},
    {"description": NOISE, "priority": "urgent"},
    {"description": "小区门口的垃圾桶满了没人清运，味道很大", "address": "测试1花园"},
]


def test_courtyard_rows_are_saved_in_one_go_with_the_meeting(desk, clock):
    data = meeting(desk)
    response = client(desk.grid_worker).post(url("courtyard"), {**data, **rows(*GOOD, {})}, follow=True)
    cases = list(Case.objects.order_by("pk"))
    assert response.redirect_chain == [(f"{url('courtyard')}?batch={data['client_key']}", 302)]
    assert texts(response) == ["已录入 3 件事项。"]
    assert [c.pk for c in response.context["batch"]] == [c.pk for c in cases]
    assert [(c.description, c.channel, c.grid, c.building, c.priority) for c in cases] == [
        (LIGHT, Channel.COURTYARD, desk.tree.a.grid, desk.tree.a.building, Priority.NORMAL),
        (NOISE, Channel.COURTYARD, desk.tree.a.grid, None, Priority.URGENT),
        (GOOD[2]["description"], Channel.COURTYARD, desk.tree.a.grid, None, Priority.NORMAL),
    ]
    assert (cases[0].reporter_name, cases[0].reporter_phone_masked, cases[2].compound) == (
        "张大爷", "138****1111", desk.tree.a.compound,
    )  # fmt: skip
    expected = {
        "date": "2026-11-28",
        "place": "1幢楼下小广场",
        "grid": desk.tree.a.grid.pk,
        "grid_name": "测试1社区第1网格",
        "compound": None,
        "compound_name": "",
        "host": "社区书记 李红",
        "attendees": 23,
    }
    assert [c.events.get().data for c in cases] == [
        {"channel": "courtyard", "meeting": expected, "client_key": data["client_key"], "row": i} for i in (1, 2, 3)
    ]
    # the same submission again (a double click) makes nothing new
    client(desk.grid_worker).post(url("courtyard"), {**data, **rows(*GOOD)})
    assert Case.objects.count() == 3


def test_one_bad_row_writes_nothing_and_says_which(desk, clock):
    changes = ObjectChange.objects.count()
    bad = {"description": "路灯不亮", "reporter_phone": "1380000"}
    response = client(desk.grid_worker).post(url("courtyard"), {**meeting(desk), **rows(GOOD[0], bad, GOOD[1])})
    assert response.status_code == 400
    forms = [f for f, _n in response.context["row_forms"]]
    assert [f.errors for f in forms] == [
        {},
        {"reporter_phone": ["电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。"]},
        {},
    ]
    html = response.content.decode()
    assert 'value="1380000"' in html and f">{LIGHT}</textarea>" in html
    assert (Case.objects.count(), ObjectChange.objects.count()) == (0, changes)
    # an address in another grid is the row's error too
    other = {"description": "路灯不亮", "address": "测试2花园1幢"}
    response = client(desk.grid_worker).post(url("courtyard"), {**meeting(desk), **rows(GOOD[0], other)})
    assert [f.errors for f, _n in response.context["row_forms"]] == [
        {},
        {"address": ["“测试2花园1幢”属于测试2社区第1网格，不在本次院坝会的网格内。"]},
    ]
    # and the meeting itself
    response = client(desk.grid_worker).post(
        url("courtyard"), {**meeting(desk, grid="", place="", attendees="0", date="2026-12-02"), **rows(GOOD[0])}
    )
    assert response.context["meeting"].errors == {
        "date": ["会议日期不能晚于今天。"],
        "place": ["请填写会议地点。"],
        "attendees": ["参会人数至少为 1。"],
        "grid": ["请选择召开院坝会的网格或小区。"],
    }
    response = client(desk.grid_worker).post(url("courtyard"), {**meeting(desk), **rows({})})
    assert response.context["rows"].non_form_errors() == ["请至少填写一条事项。"]
    assert Case.objects.count() == 0


def test_a_failure_while_writing_rolls_back_every_row(desk, clock, monkeypatch):
    real, calls = services.report_case, []

    def third_fails(**kw):
        calls.append(kw["description"])
        if len(calls) == 3:
            from django.core.exceptions import ValidationError

            raise ValidationError({"description": ["模拟的写入失败"]})
        return real(**kw)

    monkeypatch.setattr(services, "report_case", third_fails)
    response = client(desk.grid_worker).post(url("courtyard"), {**meeting(desk), **rows(*GOOD)})
    assert response.status_code == 400
    assert [f.errors for f, _n in response.context["row_forms"]] == [{}, {}, {"description": ["模拟的写入失败"]}]
    assert (len(calls), Case.objects.count(), CaseEvent.objects.count()) == (3, 0, 0)


def test_a_meeting_at_a_compound_puts_its_rows_in_that_compound(desk, clock):
    data = meeting(desk, grid="", compound=desk.tree.a.compound.pk)
    client(desk.grid_worker).post(url("courtyard"), {**data, **rows({"description": LIGHT, "address": "1幢"})})
    case = Case.objects.get()
    assert (case.grid, case.compound, case.building, case.address) == (
        desk.tree.a.grid, desk.tree.a.compound, desk.tree.a.building, "测试1花园1幢",
    )  # fmt: skip
    assert case.events.get().data["meeting"]["compound_name"] == "测试1花园"
    response = client(desk.grid_worker).post(
        url("courtyard"), {**meeting(desk, compound=desk.tree.b.compound.pk), **rows(GOOD[0])}
    )
    assert response.context["meeting"].errors == {"compound": ["请选择您辖区内的小区。"]}


def workbook(*lines) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    for line in lines:
        sheet.append(list(line))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("matters.xlsx", buffer.getvalue())


HEADER = ["问题描述", "地址", "反映人", "联系电话", "紧急程度"]


def test_the_excel_upload_is_checked_row_by_row_the_same_way(desk, clock):
    worker = client(desk.grid_worker)
    good = workbook(
        HEADER,
        [LIGHT, "测试1花园1幢", "张大爷", 13800001111, "紧急"],
        [None, None, None, None, None],
        [NOISE, None, None, None, None],
    )
    data = meeting(desk, action="upload")
    response = worker.post(url("courtyard"), {**data, "file": good})
    assert response["Location"] == f"{url('courtyard')}?batch={data['client_key']}"
    cases = list(Case.objects.order_by("pk"))
    assert [(c.description, c.priority, c.building, c.reporter_phone) for c in cases] == [
        (LIGHT, Priority.EMERGENCY, desk.tree.a.building, "13800001111"),
        (NOISE, Priority.NORMAL, None, ""),
    ]
    bad = workbook(HEADER, [LIGHT, "", "", "", "一般"], ["", "测试1花园1幢", "张大爷", "", "很急"])
    response = worker.post(url("courtyard"), {**meeting(desk, action="upload"), "file": bad})
    assert response.status_code == 400
    assert response.context["row_numbers"] == [2, 3]
    assert [f.errors for f, _n in response.context["row_forms"]] == [
        {},
        {"description": ["请描述反映的问题。"], "priority": ["紧急程度应为一般、加急、紧急或复杂疑难。"]},
    ]
    assert "Excel 第 3 行" in response.content.decode()
    assert Case.objects.count() == 2
    junk = SimpleUploadedFile("matters.xlsx", b"not a workbook")
    response = worker.post(url("courtyard"), {**meeting(desk, action="upload"), "file": junk})
    assert response.context["file_error"] == "无法读取该文件，请上传 Excel 工作簿（.xlsx），可先下载模板。"
    response = worker.post(url("courtyard"), {**meeting(desk, action="upload"), "file": workbook(["描述呀"])})
    assert response.context["file_error"] == "无法识别的列：描述呀。可用的列见模板。"
    assert Case.objects.count() == 2


def test_the_excel_template_downloads(desk, clock):
    response = client(desk.grid_worker).get(url("courtyard-template"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="courtyard-matters-template.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        HEADER,
        ["3幢门口的路灯坏了半个月，晚上老人出门不方便", "测试1花园1幢", "张大爷", "13800001111", "一般"],
    ]


def test_pages_render_with_their_assets(desk, clock):
    for user, name in ((desk.grid_worker, "report"), (desk.resident, "portal"), (desk.dispatcher, "hotline")):
        html = client(user).get(url(name)).content.decode()
        assert "js/case-report.js" in html and "css/case-intake.css" in html and "vendor/leaflet/leaflet.js" in html
        assert 'id="gz-intake-form"' in html and 'name="client_key"' in html
    report = client(desk.grid_worker).get(url("report")).content.decode()
    assert 'accept="image/*" capture="environment" multiple' in report
    assert intake_views.STEPS_DONE.keys() == set(State)
