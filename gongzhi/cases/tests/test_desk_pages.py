"""The case desk pages: the list with its queues, filters and export; a case with its timeline and
moves; the whistle; photos; messages — the permission matrix, each move through the page with the
exact state and timeline after it, conflicts and refusals that change nothing."""

import datetime
import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gongzhi.cases import classifier, services
from gongzhi.cases.choices import Category, Channel, Priority, State
from gongzhi.cases.models import Attachment, Case, Notification, Summons, Whistle
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with

from .conftest import NOW

pytestmark = pytest.mark.django_db
MIN = datetime.timedelta(minutes=1)
LIGHT = "3单元楼道的灯坏了一个星期了，晚上黑漆漆的老人下楼不方便"
SUGGESTIONS = [
    {"category": "facility", "score": 0.82},
    {"category": "property_service", "score": 0.11},
    {"category": "fire_safety", "score": 0.04},
]


def png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def fixed_classifier(monkeypatch):
    """The pages show what the classifier said; a fixed answer keeps these tests exact and fast."""
    monkeypatch.setattr(classifier, "suggest", lambda text, k=3, **kw: [dict(s) for s in SUGGESTIONS[:k]])


@pytest.fixture
def clock(monkeypatch):
    """The views read the clock at the edge (timezone.now()); tests set it."""

    class Clock:
        now = NOW

        def advance(self, minutes: int) -> datetime.datetime:
            self.now = self.now + datetime.timedelta(minutes=minutes)
            return self.now

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def signed_in(client, user):
    client.force_login(user)
    return client


def detail(pk) -> str:
    return reverse("cases:detail", args=[pk])


def move(client, case, name, **data):
    """POST one move from the case page, with the version the page showed."""
    data.setdefault("version", Case.objects.get(pk=case.pk).version)
    return client.post(reverse("cases:move", args=[case.pk, name]), data)


def timeline(case) -> list[tuple]:
    return list(
        Case.objects.get(pk=case.pk).events.order_by("time", "pk").values_list("action", "from_state", "to_state")
    )


def snapshot(case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return fresh.state, fresh.version, fresh.body_id, fresh.category, fresh.events.count()


def resident_case(desk, description=LIGHT, **kw):
    return services.report_case(
        actor=desk.resident,
        channel=Channel.RESIDENT,
        description=description,
        now=NOW,
        building=desk.tree.a.building,
        **kw,
    )


# -- who may see what ----------------------------------------------------------------------------


def test_list_gate(desk, make_case, client):
    make_case()
    anonymous = client.get(reverse("cases:list"))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    for user, status in [
        (desk.nobody, 403),
        (desk.resident, 403),  # a resident who never reported anything
        (desk.dispatcher, 200),
        (desk.grid_worker, 200),
        (desk.handler, 200),  # no territory role: a member of a handling body
        (desk.outsider, 200),  # another street: an empty list, not an error
    ]:
        assert signed_in(client, user).get(reverse("cases:list")).status_code == status, user


def test_detail_matrix(desk, make_case):
    case = make_case()
    check_matrix(detail(case.pk), in_scope=desk.dispatcher, out_of_scope=desk.outsider, no_role=desk.nobody)
    check_matrix(detail(case.pk), in_scope=desk.grid_worker, out_of_scope=desk.outsider, no_role=desk.nobody)


def test_the_outsider_sees_nothing_of_another_street(desk, make_case, client):
    case = make_case()
    signed_in(client, desk.outsider)
    assert client.get(reverse("cases:list"), {"tab": "all"}).context["rows"] == []
    assert move(client, case, "register").status_code == 404
    assert snapshot(case)[:2] == (State.REPORTED, 1)


def test_a_handler_sees_their_bodys_case_but_not_another(desk, make_case, client):
    ours = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.property_company)
    theirs = services.dispatch_case(
        make_case("楼上邻居半夜拖椅子，沟通多次没用", category="dispute"),
        actor=desk.dispatcher,
        now=NOW,
        body=desk.mediation,
    )
    signed_in(client, desk.handler)
    listed = client.get(reverse("cases:list"))
    assert listed.context["tab"] == "mine"
    assert [r.case.pk for r in listed.context["rows"]] == [ours.pk]
    assert client.get(detail(ours.pk)).status_code == 200
    assert client.get(detail(theirs.pk)).status_code == 404
    signed_in(client, desk.mediator)
    assert [r.case.pk for r in client.get(reverse("cases:list")).context["rows"]] == [theirs.pk]


def test_a_resident_sees_only_their_case_and_only_public_steps(desk, make_case, client):
    mine = resident_case(desk)
    other = make_case("小区门口垃圾三天没人清运", category="sanitation")
    services.comment_case(mine, actor=desk.dispatcher, now=NOW, note="内部：物业经理电话138", public=False)
    services.comment_case(mine, actor=desk.dispatcher, now=NOW, note="已联系物业，请耐心等待", public=True)
    signed_in(client, desk.resident)
    listed = client.get(reverse("cases:list"))
    assert [t.key for t, _count in listed.context["tabs"]] == ["all"]
    assert [r.case.pk for r in listed.context["rows"]] == [mine.pk]
    assert client.get(detail(other.pk)).status_code == 404
    page = client.get(detail(mine.pk))
    assert [t["event"].note for t in page.context["timeline"]] == [LIGHT, "已联系物业，请耐心等待"]
    html = page.content.decode()
    assert "内部：物业经理电话138" not in html and "diaodu" not in html  # no internal notes, no staff names
    assert "工作人员" in html and "智能分类建议" not in html
    # the resident's own note is public whatever the form says
    response = client.post(reverse("cases:comment", args=[mine.pk]), {"note": "灯还是不亮", "public": ""})
    assert response.status_code == 302
    assert mine.events.get(action="comment", note="灯还是不亮").public is True


# -- the list --------------------------------------------------------------------------------------


def test_queues_follow_the_state_and_the_clock(desk, make_case, client, clock):
    waiting = make_case(now=NOW - 2 * datetime.timedelta(hours=1))  # dispatch due 1 working hour after report
    fresh = make_case("小区门口垃圾三天没人清运", category="sanitation")
    handled = services.dispatch_case(
        make_case("单元门禁坏了", category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    handled = services.accept_case(handled, actor=desk.handler, now=NOW)
    handled = services.handle_case(handled, actor=desk.handler, now=NOW, note="已修好")
    signed_in(client, desk.dispatcher)

    def listed(**params):
        response = client.get(reverse("cases:list"), params)
        return [r.case.pk for r in response.context["rows"]], response

    pks, response = listed()
    assert response.context["tab"] == "todo"
    assert pks == [waiting.pk, fresh.pk]  # the earliest dispatch deadline first
    assert {t.key: n for t, n in response.context["tabs"]} == {
        "todo": 2, "verify": 1, "overdue": 1, "all": None,
    }  # fmt: skip
    rows = {r.case.pk: r for r in response.context["rows"]}
    assert (rows[waiting.pk].sla, rows[fresh.pk].sla) == ("overdue", "on_time")
    html = response.content.decode()
    assert "已超时" in html and "正常" in html and "派遣时限 12-01 11:00" in html
    assert listed(tab="verify")[0] == [handled.pk]
    assert listed(tab="overdue")[0] == [waiting.pk]
    assert listed(tab="all")[0] == [handled.pk, fresh.pk, waiting.pk]
    assert listed(tab="all", category="sanitation")[0] == [fresh.pk]
    assert listed(tab="all", q=fresh.number)[0] == [fresh.pk]
    assert listed(tab="all", state="handled")[0] == [handled.pk]
    assert listed(tab="all", sla="overdue")[0] == [waiting.pk]
    empty_pks, empty = listed(tab="all", q="没有这样的事")
    assert empty_pks == [] and "没有符合筛选条件的事项" in empty.content.decode()
    assert listed(tab="all", state="nonsense")[1].status_code == 200  # a bad filter is ignored, not a 500


def test_the_table_reloads_alone_for_htmx(desk, make_case, client):
    make_case()
    signed_in(client, desk.dispatcher)
    response = client.get(
        reverse("cases:list"), {"tab": "all"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-desk-table"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.startswith('<div id="case-desk-table" hx-get="/cases/?tab=all"')
    assert 'hx-trigger="gz:case-event from:body delay:600ms"' in html
    page = client.get(reverse("cases:list")).content.decode()
    assert 'data-gz-live="/cases/"' in page and "js/case-desk.js" in page and "css/cases.css" in page


def test_list_query_count_is_bounded(desk, make_case, client, django_assert_max_num_queries):
    for i in range(3):
        make_case(f"第{i}件：路灯不亮", category="facility")
    signed_in(client, desk.dispatcher)
    client.get(reverse("cases:list"))  # warm the session
    with django_assert_max_num_queries(9):
        assert client.get(reverse("cases:list"), {"tab": "all"}).status_code == 200
    for i in range(25):
        make_case(f"第{i + 3}件：垃圾没人清运", category="sanitation")
    with django_assert_max_num_queries(9):
        response = client.get(reverse("cases:list"), {"tab": "all"})
    assert len(response.context["rows"]) == 28
    signed_in(client, desk.handler)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("cases:list")).status_code == 200


def test_export_is_the_filtered_list_with_masked_phones(desk, make_case, client):
    from openpyxl import load_workbook

    make_case(reporter_name="王阿姨", reporter_phone="13812345678")
    make_case("小区门口垃圾三天没人清运", category="sanitation", reporter_phone="13900001111")
    signed_in(client, desk.dispatcher)
    response = client.get(reverse("cases:list"), {"tab": "all", "category": "facility", "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("案卷号", "事项类别", "紧急程度", "状态")
    assert len(rows) == 2
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert (row["事项类别"], row["反映人"], row["反映人电话"], row["状态"]) == (
        "设施损坏",
        "王阿姨",
        "138****5678",
        "待受理",
    )
    assert b"13812345678" not in response.content and b"13900001111" not in response.content


# -- a case --------------------------------------------------------------------------------------


def test_case_page_shows_suggestions_clocks_reporter_and_the_map(desk, make_case, client, clock):
    case = make_case(reporter_name="王阿姨", reporter_phone="13812345678")
    signed_in(client, desk.dispatcher)
    response = client.get(detail(case.pk))
    html = response.content.decode()
    assert [(s["code"], s["score"]) for s in response.context["suggestions"]] == [
        ("facility", 0.82), ("property_service", 0.11), ("fire_safety", 0.04),
    ]  # fmt: skip
    assert '设施损坏 <span class="opacity-75">82%</span>' in html and "类别待确认" in html
    assert "138****5678" in html and "13812345678" not in html
    assert [(c.due, c.state) for c in response.context["clocks"]] == [
        (datetime.datetime(2026, 12, 1, 11, 0, tzinfo=NOW.tzinfo), "on_time"),
        (None, "none"),
        (None, "none"),
        (datetime.datetime(2026, 12, 10, 17, 30, tzinfo=NOW.tzinfo), "on_time"),
    ]
    assert response.context["map_data"]["lon"] == case.lon and 'id="case-map-data"' in html
    # the dispatcher's main button on a reported case, with the suggested body preselected and marked
    assert [m["name"] for m in response.context["moves"]] == ["dispatch", "register", "reject", "merge"]
    assert response.context["moves"][0]["label"] == "立案并派遣"
    assert f'<option value="{desk.property_company.pk}" selected>测试物业有限公司（建议）</option>' in html
    assert 'hx-confirm="确定不予立案？反映人将收到通知。"' in html


def test_the_full_loop_through_the_pages(desk, client, clock):
    """Reported by a resident → dispatched (category changed) → accepted → plan → handled with a
    photo → verified by the grid worker → rated by the resident: each step from the page."""
    case = resident_case(desk)
    assert (case.category, case.category_confirmed) == ("facility", False)
    dispatcher, handler, worker, resident = (signed_in(type(client)(), u) for u in (
        desk.dispatcher, desk.handler, desk.grid_worker, desk.resident))  # fmt: skip

    clock.advance(10)
    response = move(
        dispatcher, case, "dispatch", body=desk.property_company.pk, category="property_service", priority="urgent",
        note="请物业尽快处理",
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == detail(case.pk)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.category, fresh.category_confirmed, fresh.priority, fresh.body) == (
        State.DISPATCHED, Category.PROPERTY_SERVICE, True, Priority.URGENT, desk.property_company,
    )  # fmt: skip
    register = fresh.events.get(action="register")
    assert register.data == {"category": ["facility", "property_service"], "priority": ["normal", "urgent"]}
    dispatch = fresh.events.get(action="dispatch")
    assert (dispatch.note, dispatch.data["body"], dispatch.data["body_name"]) == (
        "请物业尽快处理", desk.property_company.pk, "测试物业有限公司",
    )  # fmt: skip
    page = dispatcher.get(detail(case.pk)).content.decode()
    assert "类别改为：设施损坏 → 物业管理与业主自治" in page and "派往：测试物业有限公司" in page

    clock.advance(10)
    assert move(handler, case, "accept").status_code == 302
    clock.advance(30)
    assert move(handler, case, "plan", note="明天上午更换灯具").status_code == 302
    clock.advance(60)
    photo = SimpleUploadedFile("after.png", png(), content_type="image/png")
    assert move(handler, case, "handle", note="已更换LED灯", photos=photo).status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert (attachment.event.action, attachment.content_type, attachment.size) == ("handle", "image/png", len(png()))
    clock.advance(30)
    assert move(worker, case, "verify", note="现场查看灯已亮").status_code == 302
    clock.advance(60)
    response = move(resident, case, "rate", solved="yes", satisfaction="satisfied", note="很及时")
    assert response.status_code == 302

    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.solved, fresh.satisfaction, fresh.rating_comment) == (
        State.CLOSED, True, "satisfied", "很及时",
    )  # fmt: skip
    assert timeline(case) == [
        ("report", "", "reported"),
        ("register", "reported", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("plan", "accepted", "planned"),
        ("handle", "planned", "handled"),
        ("verify", "handled", "verified"),
        ("rate", "verified", "closed"),
    ]
    times = [
        timezone.localtime(t).strftime("%H:%M")
        for t in fresh.events.order_by("time", "pk").values_list("time", flat=True)
    ]
    assert times == ["10:00", "10:10", "10:10", "10:20", "10:50", "11:50", "12:20", "13:20"]
    assert fresh.events.get(action="rate").data == {"solved": True, "satisfaction": "satisfied", "on_behalf": False}

    # the resident's page shows every public step with its time, and the photo
    page = resident.get(detail(case.pk))
    labels = [t["label"] for t in page.context["timeline"]]
    assert labels == ["上报", "立案", "派遣", "签收", "提出方案", "处置反馈", "核实通过", "评价"]
    html = page.content.decode()
    assert "2026-12-01 11:50" in html and reverse("cases:attachment", args=[attachment.pk]) in html
    photo_response = resident.get(reverse("cases:attachment", args=[attachment.pk]))
    assert photo_response.status_code == 200 and photo_response["Content-Type"] == "image/png"
    assert b"".join(photo_response.streaming_content) == png()
    assert [m["name"] for m in page.context["moves"]] == ["reopen"]  # within the window after closing


def test_return_with_a_reason_then_redispatch(desk, make_case, client, clock):
    case = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.mediation)
    signed_in(client, desk.mediator)
    before = snapshot(case)
    refused = move(client, case, "return", note="  ")
    assert refused.status_code == 400 and "请填写退单的说明。" in refused.content.decode()
    assert snapshot(case) == before
    assert move(client, case, "return", note="灯具属物业维修范围，非调解事项").status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.body, fresh.return_count) == (State.RETURNED, None, 1)
    ret = fresh.events.get(action="return")
    assert (ret.note, ret.data) == (
        "灯具属物业维修范围，非调解事项",
        {"body": desk.mediation.pk, "body_name": "测试1社区人民调解委员会"},
    )
    signed_in(client, desk.dispatcher)
    page = client.get(reverse("cases:list"))
    assert [r.case.pk for r in page.context["rows"]] == [case.pk]  # back in the dispatcher's queue
    assert move(client, case, "dispatch", body=desk.property_company.pk).status_code == 302
    assert timeline(case)[-3:] == [
        ("dispatch", "registered", "dispatched"),
        ("return", "dispatched", "returned"),
        ("dispatch", "returned", "dispatched"),
    ]


def test_moves_over_htmx_redirect_and_rework_goes_back_to_the_body(desk, make_case, client, clock):
    case = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.property_company)
    signed_in(client, desk.handler)
    url = reverse("cases:move", args=[case.pk, "accept"])
    response = client.post(url, {"version": Case.objects.get(pk=case.pk).version}, HTTP_HX_REQUEST="true")
    assert (response.status_code, response["HX-Redirect"]) == (204, detail(case.pk))
    refused = client.post(
        reverse("cases:move", args=[case.pk, "handle"]),
        {"version": Case.objects.get(pk=case.pk).version, "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400 and refused.content.decode().startswith('<form class="gz-move-form')
    assert "请填写处置反馈的说明。" in refused.content.decode()
    assert move(client, case, "handle", note="已更换").status_code == 302
    signed_in(client, desk.grid_worker)
    assert move(client, case, "rework", note="灯罩没装回去").status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.body, fresh.rework_count, fresh.handled_at) == (
        State.ACCEPTED, desk.property_company, 1, None,
    )  # fmt: skip
    assert timeline(case)[-3:] == [
        ("accept", "dispatched", "accepted"),
        ("handle", "accepted", "handled"),
        ("rework", "handled", "accepted"),
    ]


def test_a_stale_version_is_a_conflict_and_changes_nothing(desk, make_case, client, clock):
    case = make_case()
    signed_in(client, desk.dispatcher)
    shown = client.get(detail(case.pk)).context["case"].version
    services.dispatch_case(case, actor=desk.dispatcher2, now=NOW + MIN, body=desk.mediation)
    before = snapshot(case)
    response = move(client, case, "dispatch", version=shown, body=desk.property_company.pk, note="请物业今天处理")
    assert response.status_code == 409
    html = response.content.decode()
    assert "操作未保存：事项已被他人更新" in html
    assert re.search(r"该事项已被diaodu2（\d\d:\d\d）处理，当前为“待签收”。", html)
    assert "请物业今天处理" in html  # what was typed is kept (the move is gone: shown to copy)
    assert snapshot(case) == before
    assert Case.objects.get(pk=case.pk).body == desk.mediation


def test_a_conflict_over_htmx_is_409_with_the_form_and_the_note(desk, make_case, client, clock):
    case = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.mediation)
    stale = Case.objects.get(pk=case.pk).version
    services.redispatch_case(case, actor=desk.dispatcher2, now=NOW + MIN, body=desk.committee, note="改居委会")
    before = snapshot(case)
    signed_in(client, desk.dispatcher)
    response = client.post(
        reverse("cases:move", args=[case.pk, "redispatch"]),
        {"version": stale, "body": desk.property_company.pk, "note": "应由物业负责"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert html.startswith('<form class="gz-move-form')
    assert "操作未保存：事项已被他人更新" in html and ">应由物业负责</textarea>" in html
    # the form now carries the current version: sending it again is a deliberate second try
    assert f'name="version" value="{before[1]}"' in html
    assert snapshot(case) == before


def test_an_illegal_move_is_refused_with_the_message_and_nothing_changes(desk, make_case, client, clock):
    case = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.property_company)
    before = snapshot(case)
    signed_in(client, desk.dispatcher)
    response = move(client, case, "accept")
    assert response.status_code == 400
    assert "您无权对该事项执行“签收”。" in response.content.decode()
    response = move(client, case, "verify")
    assert "事项当前为“待签收”，不能核实通过。" in response.content.decode()
    assert move(client, case, "expire").status_code == 400
    assert move(client, case, "no-such-move").status_code == 404
    assert client.post(reverse("cases:move", args=[case.pk, "accept"]), {}).status_code == 400  # no version
    signed_in(client, desk.handler)
    assert move(client, case, "dispatch", body=desk.mediation.pk).status_code == 400
    assert snapshot(case) == before


def test_bad_input_keeps_what_was_typed(desk, make_case, client, clock):
    case = make_case()
    signed_in(client, desk.dispatcher)
    before = snapshot(case)
    response = move(client, case, "dispatch", body="", category="dispute", note="先派调解")
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择处理主体。" in html and ">先派调解</textarea>" in html
    assert '<option value="dispute" selected>' in html
    response = move(client, case, "dispatch", body=desk.other_street_body.pk, note="派外街道")
    assert "“测试2街道城管执法中队”不负责该事项所在区域。" in response.content.decode()
    response = move(client, case, "merge", into_number="abc")
    assert "案卷号格式不正确" in response.content.decode()
    assert snapshot(case) == before


def test_merge_into_a_duplicate_from_the_page(desk, make_case, client, clock):
    first = make_case("3单元楼道的灯坏了，晚上很黑老人下楼不方便")
    second = make_case("3单元楼道灯坏了一个星期，晚上黑漆漆的")
    signed_in(client, desk.dispatcher)
    page = client.get(detail(second.pk))
    merge = next(m for m in page.context["moves"] if m["name"] == "merge")
    assert [c.pk for c, _score in merge["candidates"]] == [first.pk]
    assert 'hx-confirm="确定将本事项并入所选事项？本事项将随之办理。"' in page.content.decode()
    assert move(client, second, "merge", into=first.pk).status_code == 302
    fresh = Case.objects.get(pk=second.pk)
    assert (fresh.state, fresh.merged_into_id) == (State.MERGED, first.pk)
    assert first.events.get(action="merged_in").data["from"] == second.pk
    third = make_case("路灯不亮", category="facility")
    assert move(client, third, "merge", into_number=first.number).status_code == 302
    assert Case.objects.get(pk=third.pk).merged_into_id == first.pk


def test_comment_and_suspension_request(desk, make_case, client, clock):
    case = services.accept_case(
        services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.property_company),
        actor=desk.handler,
        now=NOW,
    )
    signed_in(client, desk.dispatcher)
    assert client.post(reverse("cases:comment", args=[case.pk]), {"note": "  "}).status_code == 400
    assert client.post(reverse("cases:comment", args=[case.pk]), {"note": "已电话回访"}).status_code == 302
    assert case.events.get(action="comment").public is False
    signed_in(client, desk.handler)
    page = client.get(detail(case.pk))
    assert page.context["can_request_suspension"] is True
    refused = client.post(reverse("cases:suspension-request", args=[case.pk]), {"note": ""})
    assert refused.status_code == 400 and "请写明申请缓办的理由。" in refused.content.decode()
    response = client.post(reverse("cases:suspension-request", args=[case.pk]), {"note": "等待配件到货"})
    assert response.status_code == 302
    request = case.events.get(action="suspend_request")
    assert (request.note, request.public, Case.objects.get(pk=case.pk).state) == ("等待配件到货", False, State.ACCEPTED)
    assert Notification.objects.filter(user=desk.dispatcher, kind="case.suspend_request").count() == 1


# -- the whistle -----------------------------------------------------------------------------------


def test_whistle_blow_report_in_late_and_on_time_evaluate_and_close(desk, make_case, client, clock):
    case = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.property_company)
    police_officer = user_with(None, username="jingcha")
    desk.police.members.add(police_officer)
    worker = signed_in(type(client)(), desk.community_worker)
    page = worker.get(detail(case.pk))
    assert page.context["whistle_open"] is True and page.context["whistle_minutes"] == 30

    refused = worker.post(
        reverse("cases:whistle-blow", args=[case.pk]), {"reason": "joint_enforcement", "note": "油烟扰民"}
    )
    assert refused.status_code == 400
    assert "请选择至少一个报到部门。" in refused.content.decode() and ">油烟扰民</textarea>" in refused.content.decode()
    assert Whistle.objects.count() == 0

    blow = {
        "reason": "joint_enforcement",
        "bodies": [desk.enforcement.pk, desk.police.pk],
        "note": "需城管、派出所联合处置",
        "minutes": "30",
    }
    response = worker.post(reverse("cases:whistle-blow", args=[case.pk]), blow)
    assert response.status_code == 302
    whistle = Whistle.objects.get(case=case)
    assert (whistle.reason, whistle.report_minutes, whistle.blown_by, whistle.blown_at) == (
        "joint_enforcement", 30, desk.community_worker, NOW,
    )  # fmt: skip
    officer, police = (signed_in(type(client)(), u) for u in (desk.officer, police_officer))
    enforcement_summons = Summons.objects.get(whistle=whistle, body=desk.enforcement)
    police_summons = Summons.objects.get(whistle=whistle, body=desk.police)

    # a handler of another (not summoned) body cannot report in for them
    handler = signed_in(type(client)(), desk.handler)
    assert handler.post(reverse("cases:summons-report-in", args=[police_summons.pk])).status_code == 400
    assert Summons.objects.get(pk=police_summons.pk).arrived_at is None

    clock.advance(20)
    assert officer.get(detail(case.pk)).status_code == 200  # summoned: the case is visible to them
    assert (
        officer.post(
            reverse("cases:summons-report-in", args=[enforcement_summons.pk]), {"note": "两人到场"}
        ).status_code
        == 302
    )
    clock.advance(25)  # 45 minutes after the whistle: late
    assert police.post(reverse("cases:summons-report-in", args=[police_summons.pk])).status_code == 302
    again = police.post(reverse("cases:summons-report-in", args=[police_summons.pk]))
    assert again.status_code == 400
    # (the hour is whatever services.report_in formats; it should be local time, 10:45)
    assert len(re.findall(r"该部门已于 12-01 \d\d:45 报到。", again.content.decode())) == 1
    arrived = {s.body_id: (s.arrived_at, s.late) for s in Summons.objects.filter(whistle=whistle)}
    assert arrived == {desk.enforcement.pk: (NOW + 20 * MIN, False), desk.police.pk: (NOW + 45 * MIN, True)}
    assert [(e.data["body_name"], e.data["late"]) for e in case.events.filter(action="report_in").order_by("pk")] == [
        ("测试1街道城管执法中队", False), ("测试1派出所", True),
    ]  # fmt: skip
    html = worker.get(detail(case.pk)).content.decode()
    assert (
        html.count('data-testid="summons-status">迟到<') == 1
        and html.count('data-testid="summons-status">已报到<') == 1
    )

    bad = worker.post(reverse("cases:summons-evaluate", args=[police_summons.pk]), {"score": "9", "note": "迟到"})
    assert bad.status_code == 400 and "评分应为 1–5 分。" in bad.content.decode()
    assert (
        worker.post(
            reverse("cases:summons-evaluate", args=[police_summons.pk]), {"score": "3", "note": "迟到15分钟"}
        ).status_code
        == 302
    )
    assert (
        officer.post(reverse("cases:summons-evaluate", args=[enforcement_summons.pk]), {"score": "5"}).status_code
        == 400
    )
    scores = dict(Summons.objects.filter(whistle=whistle).values_list("body_id", "score"))
    assert scores == {desk.enforcement.pk: None, desk.police.pk: 3}

    assert worker.post(reverse("cases:whistle-close", args=[whistle.pk])).status_code == 302
    assert Whistle.objects.get(pk=whistle.pk).closed_at == NOW + 45 * MIN
    assert [a for a, _f, _t in timeline(case)][-5:] == [
        "whistle",
        "report_in",
        "report_in",
        "evaluate",
        "whistle_closed",
    ]


def test_a_summons_not_reported_in_shows_overdue(desk, make_case, client, clock):
    case = services.dispatch_case(make_case(), actor=desk.dispatcher, now=NOW, body=desk.property_company)
    services.blow_whistle(
        case,
        actor=desk.community_worker,
        now=NOW,
        reason="emergency",
        bodies=[desk.police],
        note="有人受伤",
        minutes=10,
    )
    signed_in(client, desk.community_worker)
    assert 'data-testid="summons-status">待报到<' in client.get(detail(case.pk)).content.decode()
    clock.advance(11)
    assert 'data-testid="summons-status">未报到 · 已超时<' in client.get(detail(case.pk)).content.decode()


# -- photos ----------------------------------------------------------------------------------------


def test_photos_are_served_only_to_those_who_may_see_them(desk, make_case, client, clock):
    photo = SimpleUploadedFile("site.png", png(), content_type="image/png")
    case = resident_case(desk, photos=[photo])
    internal = services.comment_case(
        case, actor=desk.dispatcher, now=NOW, note="现场内部照片", public=False,
        photos=[SimpleUploadedFile("inner.png", png(), content_type="image/png")],
    )  # fmt: skip
    public_pk = Attachment.objects.get(event__action="report").pk
    internal_pk = Attachment.objects.get(event=internal).pk
    url = reverse("cases:attachment", args=[public_pk])
    assert client.get(url).status_code == 302
    for user, status in [(desk.nobody, 403), (desk.outsider, 404), (desk.dispatcher, 200), (desk.resident, 200)]:
        assert signed_in(client, user).get(url).status_code == status, user
    internal_url = reverse("cases:attachment", args=[internal_pk])
    assert signed_in(client, desk.resident).get(internal_url).status_code == 404
    assert signed_in(client, desk.dispatcher).get(internal_url).status_code == 200


# -- messages --------------------------------------------------------------------------------------


def test_notifications_page_and_mark_read(desk, make_case, client, clock):
    first, second = make_case(), make_case("小区门口垃圾三天没人清运", category="sanitation")
    mine = list(Notification.objects.filter(user=desk.dispatcher).order_by("pk"))
    assert [n.case_id for n in mine] == [first.pk, second.pk]
    assert client.get(reverse("cases:notifications")).status_code == 302
    signed_in(client, desk.dispatcher)
    page = client.get(reverse("cases:notifications"))
    assert page.status_code == 200 and page.context["unread"] == 2
    assert 'data-testid="unread-count">2<' in page.content.decode()
    assert 'data-testid="unread-count">2<' in client.get(reverse("cases:list")).content.decode()
    assert client.get(reverse("cases:notifications-unread")).content.decode().count(">2<") == 1

    response = client.post(reverse("cases:notification-read", args=[mine[0].pk]), {"next": detail(first.pk)})
    assert response.status_code == 302 and response["Location"] == detail(first.pk)
    assert [n.read_at for n in Notification.objects.filter(user=desk.dispatcher).order_by("pk")] == [NOW, None]
    page = client.get(reverse("cases:notifications"))
    assert [n.pk for n in page.context["page"]] == [mine[1].pk, mine[0].pk]  # unread first
    other = Notification.objects.filter(user=desk.dispatcher2).first()
    assert client.post(reverse("cases:notification-read", args=[other.pk])).status_code == 404
    assert Notification.objects.get(pk=other.pk).read_at is None
    evil = client.post(reverse("cases:notification-read", args=[mine[1].pk]), {"next": "https://evil.example/"})
    assert evil["Location"] == reverse("cases:notifications")

    services.dispatch_case(first, actor=desk.dispatcher2, now=NOW, body=desk.property_company)
    clock.advance(5)
    assert client.post(reverse("cases:notifications-read-all")).status_code == 302
    assert Notification.objects.filter(user=desk.dispatcher, read_at=None).count() == 0
    assert Notification.objects.filter(user=desk.dispatcher2, read_at=None).count() >= 1
    # anyone signed in has an inbox (a resident, a user with no role)
    assert signed_in(client, desk.nobody).get(reverse("cases:notifications")).status_code == 200
