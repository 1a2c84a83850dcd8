"""The cases REST API: the permission matrix, intake (JSON and multipart), the whole loop through the
API, version conflicts, illegal moves, scoping of residents and handlers, bad input, query counts."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gongzhi.cases import services
from gongzhi.cases.choices import Category, Channel, Priority, SlaPhase, SlaState, State, Tier
from gongzhi.cases.models import Attachment, Case, CaseEvent, Dispatch, Notification, RoutingRule, Summons
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.demo.plan import to_lonlat

from .conftest import NOW

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIGHT = "3单元楼道的灯坏了一个星期了，晚上黑漆漆的老人下楼不方便"


@pytest.fixture
def clock(monkeypatch):
    """The API reads the clock at the edge (timezone.now()); tests set it."""

    class Clock:
        now = NOW

        def advance(self, minutes: int) -> datetime.datetime:
            self.now = self.now + datetime.timedelta(minutes=minutes)
            return self.now

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def url(name, *args) -> str:
    return reverse(f"cases-case-{name}", args=args)


def photo(name="p.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def inside_a():
    """A point in grid a (the test district's grids are 2 km squares), away from its compound."""
    return to_lonlat(0.1, 1.9)


def snapshot(case):
    case.refresh_from_db()
    return (case.state, case.version, case.body_id, case.events.count(), Dispatch.objects.filter(case=case).count())


# -- the permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "duplicates"])
def test_case_detail_matrix(desk, make_case, name):
    case = make_case()
    check_matrix(
        url(name, case.pk), api=True, in_scope=desk.dispatcher, out_of_scope=desk.outsider, no_role=desk.nobody
    )


def test_case_list_matrix(desk, make_case):
    case = make_case()
    assert api().get(url("list")).status_code == 401
    assert api(desk.nobody).get(url("list")).status_code == 403
    assert api(desk.outsider).get(url("list")).json()["results"] == []
    assert [r["id"] for r in api(desk.dispatcher).get(url("list")).json()["results"]] == [case.pk]


def test_bodies_and_rules_matrix(desk):
    body = reverse("cases-body-detail", args=[desk.property_company.pk])
    check_matrix(body, api=True, in_scope=desk.dispatcher, out_of_scope=desk.outsider, no_role=desk.nobody)
    # a resident has no cases.view: the tables are for staff
    assert api(desk.resident).get(body).status_code == 403
    rule = reverse("cases-rule-detail", args=[RoutingRule.objects.filter(district=None).first().pk])
    check_matrix(rule, api=True, in_scope=desk.dispatcher, out_of_scope=None, no_role=desk.nobody)


def test_whistle_and_summons_matrix(desk, make_case, clock):
    case = make_case()
    services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.enforcement)
    whistle = services.blow_whistle(
        case, actor=desk.dispatcher, now=NOW, reason="joint_enforcement", bodies=[desk.police], note="联合执法"
    )
    summons = whistle.summonses.get()
    people = {"in_scope": desk.dispatcher, "out_of_scope": desk.outsider, "no_role": desk.nobody}
    check_matrix(reverse("cases-whistle-detail", args=[whistle.pk]), api=True, **people)
    check_matrix(reverse("cases-summons-detail", args=[summons.pk]), api=True, **people)


# -- intake -------------------------------------------------------------------------------------


def test_create_json_with_a_point_in_grid_a(desk, clock):
    lon, lat = inside_a()
    before = ObjectChange.objects.count()
    response = api(desk.grid_worker).post(
        url("list"),
        {
            "description": "小区门口的路灯杆被车撞弯了，随时可能倒下来",
            "lon": lon,
            "lat": lat,
            "priority": "normal",
            "category": "facility",
            "reporter_name": "王阿姨",
            "reporter_phone": "139 1234 5678",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk
    assert body["number"] == f"20261201-{case.pk:06d}"
    assert (body["state"], body["channel"], body["category"], body["category_confirmed"]) == (
        State.REPORTED,
        Channel.API,
        Category.FACILITY,
        True,
    )
    assert (body["grid"], body["community"], body["street"]) == (
        desk.tree.a.grid.pk,
        desk.tree.a.community.pk,
        desk.tree.a.street.pk,
    )
    # no compound at the point: the no-property rule sends facility damage to the residents' committee
    assert (body["suggested_body"], body["suggested_body_name"], body["tier"]) == (
        desk.committee.pk,
        "测试1社区居委会",
        Tier.COMMUNITY,
    )
    assert [s["category"] for s in body["suggestions"]] == [s["category"] for s in case.suggestions]
    assert len(body["suggestions"]) == 3
    assert body["reported_at"] == "2026-12-01T10:00:00+08:00"
    assert body["dispatch_due"] == "2026-12-01T11:00:00+08:00"  # 1 working hour
    assert body["resolve_due"] == "2026-12-10T17:30:00+08:00"  # 7 working days, to the end of the day
    assert (body["sla_state"], body["phase"], body["phase_due"]) == (
        SlaState.ON_TIME,
        SlaPhase.DISPATCH,
        "2026-12-01T11:00:00+08:00",
    )
    assert body["reporter_phone_masked"] == "139****5678"
    assert "13912345678" not in response.content.decode()
    assert response["Location"] == f"http://testserver/api/cases/cases/{case.pk}/"
    detail = api(desk.grid_worker).get(response["Location"]).json()
    assert [(e["action"], e["to_state"], e["actor_name"]) for e in detail["events"]] == [
        ("report", State.REPORTED, "wangge")
    ]
    assert {k: v for k, v in detail.items() if k in body} == body
    assert case.reporter_phone == "13912345678"
    assert ObjectChange.objects.count() == before + 1


def test_create_without_category_takes_the_classifiers_first_choice(desk, clock):
    lon, lat = inside_a()
    response = api(desk.grid_worker).post(url("list"), {"description": LIGHT, "lon": lon, "lat": lat}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert len(body["suggestions"]) == 3
    assert body["category"] == body["suggestions"][0]["category"]
    assert body["category_confirmed"] is False


def test_create_multipart_with_a_photo_as_a_resident(desk, clock):
    response = api(desk.resident).post(
        url("list"),
        {"description": LIGHT, "building": desk.tree.a.building.pk, "photos": [photo()]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    case = Case.objects.get()
    assert (case.channel, case.reporter_user, case.building, case.compound) == (
        Channel.RESIDENT,
        desk.resident,
        desk.tree.a.building,
        desk.tree.a.compound,
    )
    (attachment,) = Attachment.objects.filter(case=case)
    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    (event,) = api(desk.resident).get(response["Location"]).json()["events"]
    assert [a["id"] for a in event["attachments"]] == [attachment.pk]
    link = event["attachments"][0]["url"]
    assert link == f"http://testserver/api/cases/cases/{case.pk}/attachments/{attachment.pk}/"
    download = api(desk.resident).get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert api(desk.outsider).get(link).status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": LIGHT, "lon": 200.0, "lat": 30.0}, "lon"),
        ({"description": LIGHT, "category": "unknown"}, "category"),
        ({"description": LIGHT, "reporter_phone": "12345"}, "reporter_phone"),
        ({"description": LIGHT, "channel": "open311"}, "channel"),
        ({"description": LIGHT, "lon": 100.0, "lat": 30.0}, "location"),  # in China, in no grid of ours
    ],
)
def test_bad_input_is_400_with_the_field_and_nothing_written(desk, clock, data, field):
    data = {"building": desk.tree.a.building.pk, **data}
    if "lon" in data:
        del data["building"]
    changes = ObjectChange.objects.count()
    response = api(desk.grid_worker).post(url("list"), data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Case.objects.count() == 0
    assert ObjectChange.objects.count() == changes


def test_bad_input_messages_are_chinese(desk, clock):
    response = api(desk.grid_worker).post(
        url("list"), {"description": "", "building": desk.tree.a.building.pk}, format="json"
    )
    assert response.json() == {"description": ["请描述反映的问题。"]}
    response = api(desk.grid_worker).post(url("list"), {"description": LIGHT, "lon": 200, "lat": 30}, format="json")
    assert response.json() == {"lon": ["经度超出中国范围（73–136），请检查经纬度是否写反。"]}


def test_a_resident_cannot_report_as_staff(desk, clock):
    response = api(desk.resident).post(
        url("list"), {"description": LIGHT, "building": desk.tree.a.building.pk, "channel": "grid_app"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"channel": ["您只能以居民身份反映问题。"]}
    assert Case.objects.count() == 0


def test_staff_cannot_report_outside_their_territory(desk, clock):
    response = api(desk.grid_worker).post(
        url("list"), {"description": LIGHT, "building": desk.tree.b.building.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"location": ["该位置不在您的辖区内，不能代为上报。"]}
    assert Case.objects.count() == 0


# -- the whole loop through the API -------------------------------------------------------------


def test_full_loop_through_the_api(desk, clock):
    created = api(desk.resident).post(
        url("list"), {"description": LIGHT, "building": desk.tree.a.building.pk}, format="json"
    )
    assert created.status_code == 201
    pk, version = created.json()["id"], created.json()["version"]
    assert version == 1

    def move(user, name, minutes, data=None, fmt="json"):
        clock.advance(minutes)
        response = api(user).post(url(name, pk), {"version": version, **(data or {})}, format=fmt)
        assert response.status_code == 200, (name, response.json())
        return response.json()

    step = move(desk.dispatcher, "dispatch", 20, {"body": desk.property_company.pk, "category": "facility"})
    assert (step["state"], step["body"], step["body_name"], step["version"]) == (
        State.DISPATCHED,
        desk.property_company.pk,
        "测试物业有限公司",
        3,  # registered on the way
    )
    assert (step["phase"], step["phase_due"]) == (
        SlaPhase.ACCEPT,
        "2026-12-01T13:50:00+08:00",
    )  # 2 working hours, lunch 12:00–13:30
    version = step["version"]
    step = move(desk.handler, "accept", 10)
    assert step["state"] == State.ACCEPTED
    version = step["version"]
    step = move(desk.handler, "plan", 30, {"note": "联系电工今天下午更换灯具"})
    assert step["state"] == State.PLANNED
    version = step["version"]
    step = move(desk.handler, "handle", 120, {"note": "已更换LED灯", "photos": [photo("done.png")]}, fmt="multipart")
    assert step["state"] == State.HANDLED
    version = step["version"]
    step = move(desk.grid_worker, "verify", 60, {"note": "现场查看，灯已亮"})
    assert step["state"] == State.VERIFIED
    version = step["version"]
    step = move(desk.resident, "rate", 30, {"solved": True, "satisfaction": "satisfied", "comment": "很快就修好了"})
    assert (step["state"], step["satisfaction"], step["solved"], step["rating_comment"]) == (
        State.CLOSED,
        "satisfied",
        True,
        "很快就修好了",
    )
    assert (step["closed_at"], step["rated_at"]) == ("2026-12-01T14:30:00+08:00", "2026-12-01T14:30:00+08:00")
    assert [
        (e["action"], e["from_state"], e["to_state"], e["actor_name"], e["time"], len(e["attachments"]))
        for e in step["events"]
    ] == [
        ("report", "", State.REPORTED, "jumin", "2026-12-01T10:00:00+08:00", 0),
        ("register", State.REPORTED, State.REGISTERED, "diaodu", "2026-12-01T10:20:00+08:00", 0),
        ("dispatch", State.REGISTERED, State.DISPATCHED, "diaodu", "2026-12-01T10:20:00+08:00", 0),
        ("accept", State.DISPATCHED, State.ACCEPTED, "wuye", "2026-12-01T10:30:00+08:00", 0),
        ("plan", State.ACCEPTED, State.PLANNED, "wuye", "2026-12-01T11:00:00+08:00", 0),
        ("handle", State.PLANNED, State.HANDLED, "wuye", "2026-12-01T13:00:00+08:00", 1),
        ("verify", State.HANDLED, State.VERIFIED, "wangge", "2026-12-01T14:00:00+08:00", 0),
        ("rate", State.VERIFIED, State.CLOSED, "jumin", "2026-12-01T14:30:00+08:00", 0),
    ]
    case = Case.objects.get(pk=pk)
    assert (case.state, case.version, case.category, case.category_confirmed, case.handled_on_time) == (
        State.CLOSED,
        8,
        Category.FACILITY,
        True,
        True,
    )
    assert Dispatch.objects.filter(case=case).count() == 1
    assert step["moves"] == [
        {
            "name": "reopen",
            "label": "重新办理",
            "note_required": True,
            "needs_body": False,
            "needs_target_case": False,
            "photos": False,
        }
    ]
    # the reporter hears of every step (in the app: they reported through it)
    kinds = set(Notification.objects.filter(user=desk.resident, case=case).values_list("kind", flat=True))
    assert kinds == {
        "case.received", "case.registered", "case.dispatched", "case.accepted", "case.planned", "case.handled",
        "case.verified",
    }  # fmt: skip


def test_a_resident_sees_only_public_steps(desk, make_case, clock):
    case = make_case(reporter_user=desk.resident)
    services.comment_case(case, actor=desk.dispatcher, now=NOW, note="内部：已电话联系物业经理", public=False)
    services.comment_case(case, actor=desk.dispatcher, now=NOW, note="已联系物业，请耐心等待", public=True)
    mine = api(desk.resident).get(url("detail", case.pk)).json()
    assert [e["note"] for e in mine["events"] if e["action"] == "comment"] == ["已联系物业，请耐心等待"]
    staff = api(desk.dispatcher).get(url("detail", case.pk)).json()
    assert [e["note"] for e in staff["events"] if e["action"] == "comment"] == [
        "内部：已电话联系物业经理",
        "已联系物业，请耐心等待",
    ]
    # a resident's own comment is public whatever it asks for
    response = api(desk.resident).post(url("comment", case.pk), {"note": "灯还是不亮", "public": False}, format="json")
    assert response.status_code == 201
    assert response.json()["public"] is True


# -- conflicts and illegal moves ----------------------------------------------------------------


def test_stale_version_is_409_and_nothing_changes(desk, make_case, clock):
    case = make_case()
    first = api(desk.dispatcher2).post(url("register", case.pk), {"version": 1}, format="json")
    assert (first.status_code, first.json()["version"]) == (200, 2)
    before = snapshot(case)
    response = api(desk.dispatcher).post(
        url("dispatch", case.pk), {"version": 1, "body": desk.property_company.pk}, format="json"
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "conflict"
    assert re.fullmatch(
        r"该事项已被diaodu2（\d\d:\d\d）处理，当前为“待派遣”。请刷新页面查看最新情况后再操作，您的操作未保存。",
        problem["detail"],
    )
    assert snapshot(case) == before == (State.REGISTERED, 2, None, 2, 0)


def test_illegal_move_is_400_with_code_and_nothing_changes(desk, make_case, clock):
    case = make_case()
    before = snapshot(case)
    response = api(desk.dispatcher).post(url("verify", case.pk), {"version": 1}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "事项当前为“待受理”，不能核实通过。", "code": "illegal_transition"}
    response = api(desk.grid_worker).post(url("dispatch", case.pk), {"body": desk.property_company.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "您无权对该事项执行“立案”。", "code": "illegal_transition"}
    assert snapshot(case) == before == (State.REPORTED, 1, None, 1, 0)


def test_a_move_with_a_missing_note_is_400_on_the_field(desk, make_case, clock):
    case = make_case()
    before = snapshot(case)
    response = api(desk.dispatcher).post(url("reject", case.pk), {"note": "  "}, format="json")
    assert response.status_code == 400
    assert response.json() == {"note": ["请填写不予立案的说明。"]}
    response = api(desk.dispatcher).post(url("dispatch", case.pk), {"body": desk.other_street_body.pk}, format="json")
    assert response.json() == {"body": ["“测试2街道城管执法中队”不负责该事项所在区域。"]}
    assert snapshot(case) == before


def test_moves_out_of_scope_are_404(desk, make_case, clock):
    case = make_case()
    response = api(desk.outsider).post(url("dispatch", case.pk), {"body": desk.other_street_body.pk}, format="json")
    assert response.status_code == 404
    assert api(desk.nobody).post(url("register", case.pk), {}, format="json").status_code == 403
    assert api().post(url("register", case.pk), {}, format="json").status_code == 401
    assert snapshot(case) == (State.REPORTED, 1, None, 1, 0)


def test_merge_into_a_case_you_cannot_see_is_400(desk, make_case, clock):
    case = make_case()
    other = make_case(
        "测试2花园门口垃圾没人清", building=desk.tree.b.building, actor=desk.outsider, channel=Channel.HOTLINE
    )
    response = api(desk.dispatcher).post(url("merge", case.pk), {"into": other.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["into"]
    assert snapshot(case)[:2] == (State.REPORTED, 1)


# -- scoping of the list -------------------------------------------------------------------------


def test_a_resident_gets_only_their_own_cases(desk, make_case, clock):
    theirs = make_case(reporter_user=desk.resident, reporter_phone="13800002222")
    make_case("2幢门口的消防通道被电动车堵住了")
    response = api(desk.resident).get(url("list"))
    assert [r["id"] for r in response.json()["results"]] == [theirs.pk]
    assert response.json()["results"][0]["reporter_phone_masked"] == "138****2222"
    assert "13800002222" not in response.content.decode()
    other = Case.objects.exclude(pk=theirs.pk).get()
    assert api(desk.resident).get(url("detail", other.pk)).status_code == 404


def test_a_handler_gets_only_their_bodys_cases(desk, make_case, clock):
    ours = make_case()
    services.dispatch_case(ours, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    theirs = make_case("楼上邻居天天半夜拖椅子，说了也不听")
    services.dispatch_case(theirs, actor=desk.dispatcher, now=NOW, body=desk.mediation)
    make_case("小区北门垃圾桶满了没人清")  # not dispatched
    response = api(desk.handler).get(url("list"))
    assert [r["id"] for r in response.json()["results"]] == [ours.pk]
    assert api(desk.handler).get(url("detail", theirs.pk)).status_code == 404
    assert [r["id"] for r in api(desk.mediator).get(url("list")).json()["results"]] == [theirs.pk]


def test_list_filters_and_computed_clock(desk, make_case, clock):
    old = make_case(now=NOW - datetime.timedelta(hours=3))
    new = make_case("小区北门垃圾桶满了没人清", priority=Priority.URGENT)
    rows = api(desk.dispatcher).get(url("list")).json()["results"]
    assert [(r["id"], r["sla_state"], r["phase"]) for r in rows] == [
        (new.pk, SlaState.DUE_SOON, SlaPhase.DISPATCH),
        (old.pk, SlaState.OVERDUE, SlaPhase.DISPATCH),
    ]
    assert rows[0]["phase_due"] == "2026-12-01T10:30:00+08:00"  # urgent: dispatch within 30 minutes
    overdue = api(desk.dispatcher).get(url("list"), {"sla": "overdue"}).json()["results"]
    assert [r["id"] for r in overdue] == [old.pk]
    assert [r["id"] for r in api(desk.dispatcher).get(url("list"), {"priority": "urgent"}).json()["results"]] == [
        new.pk
    ]
    assert [r["id"] for r in api(desk.dispatcher).get(url("list"), {"q": new.number}).json()["results"]] == [new.pk]


def test_list_query_count_is_bounded(desk, make_case, clock, django_assert_max_num_queries):
    for i in range(12):
        case = make_case(f"第{i}号楼下水道堵了，污水漫到路面上", reporter_phone="13800001111")
        if i % 2:
            services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    client = api(desk.dispatcher)
    with django_assert_max_num_queries(7):
        response = client.get(url("list"))
    assert response.json()["count"] == 12
    handler = api(desk.handler)
    with django_assert_max_num_queries(7):
        assert handler.get(url("list")).json()["count"] == 6


# -- the rest of the API ---------------------------------------------------------------------------


def test_duplicates_lists_similar_open_cases_nearby(desk, make_case, clock):
    first = make_case()
    second = make_case("3单元楼道灯坏了一个星期，晚上黑漆漆的")
    make_case("小区北门垃圾桶满了没人清")
    rows = api(desk.dispatcher).get(url("duplicates", second.pk)).json()
    assert [r["case"]["id"] for r in rows] == [first.pk]
    assert 0 < rows[0]["score"] <= 1


def test_suggest_returns_three_categories_and_the_routed_body(desk, clock):
    client = api(desk.grid_worker)
    response = client.post(
        url("suggest"), {"text": "楼上邻居半夜吵闹，沟通多次无果", "building": desk.tree.a.building.pk}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["top"]) == 3 and body["grid"] == desk.tree.a.grid.pk
    routed, _rule = services.routing.route(body["top"][0]["category"], services.routing.Place.of(_case_at_a(desk)))
    assert body["body"] == ({"id": routed.pk, "name": routed.name, "kind": routed.kind, "tier": routed.tier})
    plain = client.get(url("suggest"), {"text": "楼上邻居半夜吵闹"}).json()
    assert len(plain["top"]) == 3 and plain["body"] is None and plain["grid"] is None
    assert client.get(url("suggest")).status_code == 400


def _case_at_a(desk):
    a = desk.tree.a
    return Case(grid=a.grid, community=a.community, street=a.street, district=desk.tree.district, compound=a.compound)


def test_bodies_for_a_case_and_rules(desk, make_case, clock):
    case = make_case()
    client = api(desk.dispatcher)
    names = [b["name"] for b in client.get(reverse("cases-body-list"), {"case": case.pk}).json()["results"]]
    assert "测试2街道城管执法中队" not in names
    assert set(names) == {
        "临江区住房和城乡建设局",
        "测试1街道政务服务中心",
        "测试1街道城管执法中队",
        "测试1派出所",
        "测试1街道城建办",
        "测试物业有限公司",
        "测试1社区人民调解委员会",
        "测试1社区居委会",
        "测试1社区社工站",
    }
    rules = client.get(reverse("cases-rule-list"), {"category": "dispute"}).json()["results"]
    assert [(r["body_kind"], r["tier"]) for r in rules] == [("mediation", "community")]
    assert client.post(reverse("cases-body-list"), {"name": "x"}, format="json").status_code == 405


def test_whistle_report_in_and_evaluate_through_the_api(desk, make_case, clock):
    case = make_case()
    services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.enforcement)
    blown = api(desk.dispatcher).post(
        url("whistle", case.pk),
        {"reason": "joint_enforcement", "bodies": [desk.enforcement.pk, desk.police.pk], "note": "占道经营需联合执法"},
        format="json",
    )
    assert blown.status_code == 201, blown.json()
    whistle = blown.json()
    assert [(s["body_name"], s["due_at"], s["arrived_at"]) for s in whistle["summonses"]] == [
        ("测试1街道城管执法中队", "2026-12-01T10:30:00+08:00", None),
        ("测试1派出所", "2026-12-01T10:30:00+08:00", None),
    ]
    ours = next(s for s in whistle["summonses"] if s["body"] == desk.enforcement.pk)
    clock.advance(40)
    arrived = api(desk.officer).post(reverse("cases-summons-report-in", args=[ours["id"]]), {"note": "已到场"})
    assert arrived.status_code == 200
    assert (arrived.json()["arrived_at"], arrived.json()["late"]) == ("2026-12-01T10:40:00+08:00", True)
    again = api(desk.officer).post(reverse("cases-summons-report-in", args=[ours["id"]]), {})
    assert again.status_code == 400
    other = next(s for s in whistle["summonses"] if s["body"] == desk.police.pk)
    refused = api(desk.officer).post(reverse("cases-summons-report-in", args=[other["id"]]), {})
    assert refused.json() == {"detail": "只有被召集部门的工作人员可以报到。", "code": "illegal_transition"}
    assert Summons.objects.get(pk=other["id"]).arrived_at is None
    scored = api(desk.dispatcher).post(reverse("cases-summons-evaluate", args=[ours["id"]]), {"score": 4})
    assert (scored.status_code, scored.json()["score"]) == (200, 4)
    assert api(desk.dispatcher).post(reverse("cases-summons-evaluate", args=[ours["id"]]), {"score": 9}).json() == {
        "score": ["请确保该值小于或者等于 5。"]
    }
    listed = api(desk.officer).get(reverse("cases-whistle-list")).json()["results"]
    assert [w["id"] for w in listed] == [whistle["id"]]


def test_notifications_are_your_own(desk, make_case, clock):
    case = make_case()
    services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    mine = api(desk.handler).get(reverse("cases-notification-list")).json()["results"]
    assert [(n["kind"], n["case_number"], n["read_at"]) for n in mine] == [("case.dispatched", case.number, None)]
    other = Notification.objects.exclude(user=desk.handler).first()
    assert api(desk.handler).post(reverse("cases-notification-read", args=[other.pk])).status_code == 404
    read = api(desk.handler).post(reverse("cases-notification-read", args=[mine[0]["id"]]))
    assert read.json()["read_at"] == "2026-12-01T10:00:00+08:00"
    assert api(desk.handler).get(reverse("cases-notification-list"), {"unread": "1"}).json()["results"] == []
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_request_suspension_then_the_centre_suspends(desk, make_case, clock):
    case = make_case()
    services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    services.accept_case(case, actor=desk.handler, now=NOW)
    asked = api(desk.handler).post(url("request-suspension", case.pk), {"note": "需等待维修基金审批"}, format="json")
    assert (asked.status_code, asked.json()["action"], asked.json()["public"]) == (201, "suspend_request", False)
    suspended = api(desk.dispatcher).post(url("suspend", case.pk), {"note": "同意缓办，待维修基金审批"}, format="json")
    assert (suspended.status_code, suspended.json()["state"], suspended.json()["sla_state"]) == (
        200,
        State.SUSPENDED,
        SlaState.STOPPED,
    )
    assert CaseEvent.objects.filter(case=case).count() == 6  # report, register, dispatch, accept, request, suspend


def test_serializer_fields_built_once_are_each_instances_own():
    """BuiltOnceMixin: every instance gets its own bound fields (a leaf field shallow-copied, a field
    holding other fields deep-copied with its children bound to the copy), never the class's."""
    from gongzhi.cases.api import serializers as s

    one, two = s.CaseCreateSerializer(context={"n": 1}), s.CaseCreateSerializer(context={"n": 2})
    assert one.fields and two.fields
    built = s.CaseCreateSerializer._built_fields
    for name in ("description", "priority", "building", "photos"):
        first, second = one.fields[name], two.fields[name]
        assert first is not second and first is not built[name]
        assert (first.parent, second.parent) == (one, two)
        assert (first.context, second.context) == ({"n": 1}, {"n": 2})
    assert one.fields["photos"].child is not two.fields["photos"].child
    assert one.fields["photos"].child.parent is one.fields["photos"]
    assert one.fields["photos"].child.context == {"n": 1}
    # a nested serializer sees its own instance's context

    class Inner(s.serializers.Serializer):
        x = s.serializers.CharField()

    class Outer(s.BuiltOnceMixin, s.serializers.Serializer):
        items = Inner(many=True)
        name = s.serializers.CharField()

    a, b = Outer(context={"who": "a"}), Outer(context={"who": "b"})
    assert a.fields["items"].child.context == {"who": "a"} and b.fields["items"].child.context == {"who": "b"}
    assert a.fields["items"] is not b.fields["items"] and a.fields["name"].parent is a
    assert Outer({"items": [{"x": "1"}], "name": "n"}).data == {"items": [{"x": "1"}], "name": "n"}
