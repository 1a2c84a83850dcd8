"""Case services: intake and location, routing, the clocks, each move's rules, escalation, the
whistle, the sweep, notifications and the rates — with exact values."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.cases import metrics, routing, services
from gongzhi.cases.choices import BodyKind, Category, Channel, Tier
from gongzhi.cases.models import Attachment, Case, CaseEvent, Dispatch, Notification, Reminder, RoutingRule, Summons
from gongzhi.cases.workflow import IllegalTransition
from gongzhi.core.models import ObjectChange
from gongzhi.core.sms import MemoryBackend
from gongzhi.demo.plan import to_lonlat

from .conftest import NOW, SH, body

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def dt(*args):
    return datetime.datetime(*args, tzinfo=SH)


def to_closed(case, desk, now=NOW):
    case = services.dispatch_case(case, actor=desk.dispatcher, now=now, body=desk.property_company)
    case = services.accept_case(case, actor=desk.handler, now=now + H)
    case = services.handle_case(case, actor=desk.handler, now=now + 2 * H, note="已更换灯泡")
    case = services.verify_case(case, actor=desk.grid_worker, now=now + 3 * H)
    rater = case.reporter_user or desk.dispatcher  # the reporter, or the centre on a follow-up call (回访)
    return services.rate_case(case, actor=rater, now=now + 4 * H, solved=True, satisfaction="satisfied")


# -- intake ------------------------------------------------------------------------------------


def test_intake_classifies_routes_clocks_and_audits(desk, make_case, django_capture_on_commit_callbacks):
    MemoryBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(category="facility", reporter_name="王阿姨", reporter_phone="13912345678")
    assert (case.state, case.category, case.category_confirmed, case.channel) == (
        "reported",
        "facility",
        True,
        "grid_app",
    )
    assert (case.grid, case.community, case.street, case.building) == (
        desk.tree.a.grid, desk.tree.a.community, desk.tree.a.street, desk.tree.a.building,
    )  # fmt: skip
    # property-managed compound: the facility rule with the "company" condition wins
    assert case.suggested_body == desk.property_company and case.tier == Tier.COMMUNITY
    # normal priority, reported Tue 10:00: dispatch within 1 working hour, resolve within 7 working days
    assert (case.dispatch_due, case.resolve_due) == (dt(2026, 12, 1, 11, 0), dt(2026, 12, 10, 17, 30))
    assert case.reporter_phone_masked == "139****5678"
    assert list(case.events.values_list("action", "to_state")) == [("report", "reported")]
    assert ObjectChange.objects.filter(content_type__model="case", object_id=str(case.pk), action="create").count() == 1
    # the street's dispatcher is told in the app; the reporter (no account) by SMS, masked in logs only
    assert Notification.objects.filter(user=desk.dispatcher, case=case, kind="case.reported").count() == 1
    assert MemoryBackend.outbox[-1][0] == "13912345678" and case.number in MemoryBackend.outbox[-1][1]


def test_intake_uses_the_classifier_when_no_category_is_given(desk, make_case):
    case = make_case("隔壁邻居天天半夜打麻将，吵得我们全家睡不着觉，说了好几次都不听")
    assert case.category == case.suggestions[0]["category"]
    assert case.category_confirmed is False
    assert len(case.suggestions) == 3
    assert case.suggestions[0]["score"] >= case.suggestions[1]["score"] >= case.suggestions[2]["score"]


def test_an_address_is_placed_from_the_cache_and_an_edit_reaches_it(desk, django_assert_num_queries):
    """Placing by address or GPS reads a compound and its buildings once; later intakes read them
    from the configuration cache, which a saved building drops (its new name is found at once)."""
    services.clear_caches()
    first = services.resolve_address("测试1花园1幢3单元502室")
    assert (first.building.pk, first.compound.pk, first.grid.pk) == (
        desk.tree.a.building.pk, desk.tree.a.compound.pk, desk.tree.a.grid.pk,
    )  # fmt: skip
    with django_assert_num_queries(0):
        again = services.resolve_address("测试1花园1幢3单元502室")
    assert again.building.pk == desk.tree.a.building.pk
    assert again.compound.property_management == desk.tree.a.compound.property_management
    building = desk.tree.a.building
    building.name = "9幢"
    building.save()
    assert services.resolve_address("测试1花园1幢3单元502室").building is None
    assert services.resolve_address("测试1花园9幢").building.pk == building.pk


def test_location_from_point_address_and_errors(desk, make_case):
    lon, lat = to_lonlat(0.5, 0.5)
    assert make_case(lon=lon, lat=lat, category="sanitation").grid == desk.tree.a.grid
    # a GPS point inside a compound finds the compound (and its managing company routes the case),
    # and the building when it is within 30 m
    by_gps = make_case(lon=lon, lat=lat, category="facility")
    assert (by_gps.compound, by_gps.building, by_gps.suggested_body) == (
        desk.tree.a.compound,
        None,
        desk.property_company,
    )
    lon, lat = to_lonlat(1.0001, 1.0001)
    assert make_case(lon=lon, lat=lat, category="facility").building == desk.tree.a.building
    lon, lat = to_lonlat(0.1, 0.1)  # in the grid, outside the compound
    assert make_case(lon=lon, lat=lat, category="facility").compound is None
    lon, lat = to_lonlat(0.5, 0.5)
    lon, lat = to_lonlat(3.5, 1.5)
    other = make_case(lon=lon, lat=lat, actor=desk.outsider, category="sanitation")
    assert other.grid == desk.tree.b.grid
    by_address = make_case(address="测试1花园1幢3单元502室", category="facility")
    assert (by_address.building, by_address.compound) == (desk.tree.a.building, desk.tree.a.compound)
    before = Case.objects.count()
    with pytest.raises(ValidationError) as exc:
        make_case(lon=lon, lat=lat, category="sanitation")  # grid b: not the grid worker's territory
    assert exc.value.message_dict == {"location": ["该位置不在您的辖区内，不能代为上报。"]}
    lon, lat = to_lonlat(9, 9)
    with pytest.raises(ValidationError) as exc:
        make_case(lon=lon, lat=lat, category="sanitation")
    assert exc.value.message_dict == {"location": ["该位置不在本区任何网格内，请在地图上重新选点或填写详细地址。"]}
    with pytest.raises(ValidationError) as exc:
        make_case(address="火星基地", category="sanitation")
    assert list(exc.value.message_dict) == ["location"]
    assert Case.objects.count() == before


def test_intake_refuses_bad_input_and_writes_nothing(desk, make_case):
    with pytest.raises(ValidationError) as exc:
        make_case("  ", priority="whenever", category="nope", reporter_phone="12345")
    assert set(exc.value.message_dict) == {"description", "priority", "category", "reporter_phone"}
    bad_photo = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        make_case(category="facility", photos=[bad_photo])
    assert exc.value.message_dict == {"photos": ["“x.jpg”不是 JPEG、PNG、WebP 或 GIF 图片。"]}
    assert (Case.objects.count(), CaseEvent.objects.count(), Attachment.objects.count()) == (0, 0, 0)


def test_intake_with_photo_keeps_it_on_the_report_event(desk, make_case):
    case = make_case(category="facility", photos=[SimpleUploadedFile("p.png", PNG, content_type="image/png")])
    attachment = Attachment.objects.get()
    assert (attachment.case, attachment.event.action, attachment.content_type) == (case, "report", "image/png")
    assert attachment.file.read() == PNG


def test_building_head_reports_in_their_building_and_follows_it(desk, make_case):
    from gongzhi.core.testing.tree import user_with

    head = user_with("building_head", desk.tree.a.building, "loudongzhang")
    case = make_case(actor=head, category="facility")
    assert (case.building, case.created_by) == (desk.tree.a.building, head)
    assert list(services.visible_cases(head)) == [case]
    lon, lat = to_lonlat(0.5, 0.5)  # grid a, but not the head's building
    with pytest.raises(ValidationError):
        make_case(actor=head, lon=lon, lat=lat, category="facility")


def test_resident_reports_anywhere_and_is_the_reporter(desk, make_case):
    case = make_case(actor=desk.resident, channel=Channel.RESIDENT, category="sanitation")
    assert (case.reporter_user, case.category_confirmed) == (desk.resident, False)
    assert list(services.visible_cases(desk.resident)) == [case]


# -- routing ------------------------------------------------------------------------------------


def test_routing_most_specific_rule_wins_then_lowest_tier(desk, make_case):
    case = make_case(category="urban_order")
    place = routing.Place.of(case)
    assert routing.route("urban_order", place)[0] == desk.enforcement  # the default rule for everywhere
    special = body("测试1社区城管联络站", BodyKind.ENFORCEMENT, Tier.COMMUNITY, desk.tree.a.community)
    RoutingRule.objects.create(category="urban_order", community=desk.tree.a.community, body=special)
    assert routing.route("urban_order", place)[0] == special  # a community's rule beats everywhere's
    RoutingRule.objects.create(category="urban_order", street=desk.tree.a.street, body=desk.department)
    assert routing.route("urban_order", place)[0] == special  # community beats street
    # two equally specific rules: the lower tier handles it (小事不出社区)
    RoutingRule.objects.create(category="policy", street=desk.tree.a.street, body=desk.department)
    RoutingRule.objects.create(category="policy", street=desk.tree.a.street, body=desk.committee)
    assert routing.route("policy", place)[0] == desk.committee
    # no property company for compound b's case: facility falls through to the residents' committee rule
    lon, lat = to_lonlat(3, 1)
    other = make_case(lon=lon, lat=lat, actor=desk.outsider, category="facility")
    assert routing.route("facility", routing.Place.of(other)) == (None, None)  # street b has no bodies
    b_committee = body("测试2社区居委会", BodyKind.RESIDENTS_COMMITTEE, Tier.COMMUNITY, desk.tree.b.community)
    assert routing.route("facility", routing.Place.of(other))[0] == b_committee


# -- the moves -----------------------------------------------------------------------------------


def test_full_loop_and_timeline(desk, make_case):
    case = to_closed(make_case(category="facility"), desk)
    assert (case.state, case.solved, case.satisfaction, case.handled_on_time) == ("closed", True, "satisfied", True)
    assert list(case.events.values_list("action", "from_state", "to_state", "actor__username")) == [
        ("report", "", "reported", "wangge"),
        ("register", "reported", "registered", "diaodu"),
        ("dispatch", "registered", "dispatched", "diaodu"),
        ("accept", "dispatched", "accepted", "wuye"),
        ("handle", "accepted", "handled", "wuye"),
        ("verify", "handled", "verified", "wangge"),
        ("rate", "verified", "closed", "diaodu"),
    ]
    dispatch = Dispatch.objects.get()
    assert (dispatch.body, dispatch.accepted_at, dispatch.accept_due) == (
        desk.property_company,
        NOW + H,
        dt(2026, 12, 1, 12, 0),
    )
    assert case.version == 7


def test_moves_refuse_the_wrong_actor_and_change_nothing(desk, make_case):
    case = make_case(category="facility")
    with pytest.raises(IllegalTransition) as exc:
        services.accept_case(case, actor=desk.dispatcher, now=NOW)
    assert exc.value.messages == ["您无权对该事项执行“签收”。"]
    case = services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    for actor in (desk.dispatcher, desk.mediator, desk.grid_worker, desk.resident):
        with pytest.raises(IllegalTransition) as exc:
            services.accept_case(case, actor=actor, now=NOW)
        assert exc.value.messages == ["您无权对该事项执行“签收”。"]
    with pytest.raises(IllegalTransition):
        services.dispatch_case(case, actor=desk.outsider, now=NOW, body=desk.property_company)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version, fresh.events.count()) == ("dispatched", case.version, 3)


def test_stale_version_is_a_conflict_and_nothing_is_written(desk, make_case):
    case = make_case(category="facility")
    shown = case.version
    services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.property_company, version=shown)
    with pytest.raises(services.Conflict) as exc:
        services.dispatch_case(case, actor=desk.dispatcher2, now=NOW, body=desk.committee, version=shown)
    assert "请刷新页面" in exc.value.messages[0] and "待签收" in exc.value.messages[0]
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.body, Dispatch.objects.count(), fresh.events.filter(action="dispatch").count()) == (
        desk.property_company, 1, 1,
    )  # fmt: skip


def test_dispatch_confirms_a_changed_category_and_reclocks(desk, make_case):
    case = make_case(category="facility")
    case = services.dispatch_case(
        case, actor=desk.dispatcher, now=NOW, body=desk.construction, category="renovation", priority="urgent"
    )
    assert (case.category, case.category_confirmed, case.priority) == ("renovation", True, "urgent")
    # urgent: 24 natural hours to resolve from the report
    assert case.resolve_due == NOW + 24 * H
    register = case.events.get(action="register")
    assert register.data == {"category": ["facility", "renovation"], "priority": ["normal", "urgent"]}
    assert case.events.get(action="dispatch").data["suggested_body"] == desk.property_company.pk


def test_dispatch_only_to_a_body_serving_the_place(desk, make_case):
    case = make_case(category="urban_order")
    with pytest.raises(ValidationError) as exc:
        services.dispatch_case(case, actor=desk.dispatcher, now=NOW, body=desk.other_street_body)
    assert exc.value.message_dict == {"body": ["“测试2街道城管执法中队”不负责该事项所在区域。"]}
    assert Case.objects.get(pk=case.pk).state == "reported"


def test_return_and_redispatch(desk, make_case):
    case = services.dispatch_case(
        make_case(category="dispute"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    with pytest.raises(ValidationError) as exc:
        services.return_case(case, actor=desk.handler, now=NOW, note="  ")
    assert exc.value.message_dict == {"note": ["请填写退单的说明。"]}
    case = services.return_case(case, actor=desk.handler, now=NOW + H, note="邻里纠纷不属于物业职责")
    assert (case.state, case.body, case.return_count) == ("returned", None, 1)
    case = services.dispatch_case(case, actor=desk.dispatcher, now=NOW + 2 * H, body=desk.mediation)
    assert (case.state, case.body) == ("dispatched", desk.mediation)
    returned, current = Dispatch.objects.order_by("pk")
    assert (returned.return_reason, returned.ended_at, current.body) == (
        "邻里纠纷不属于物业职责",
        NOW + H,
        desk.mediation,
    )
    case = services.redispatch_case(
        case, actor=desk.dispatcher, now=NOW + 3 * H, body=desk.committee, note="改由居委会调解"
    )
    assert case.body == desk.committee and Dispatch.objects.filter(ended_at=None).get().body == desk.committee


def test_reject_and_merge(desk, make_case):
    first = make_case("小区东门垃圾桶满了没人清运，臭气熏天", category="sanitation")
    second = make_case("东门的垃圾桶满了好几天没人清运，臭得很", category="sanitation")
    assert services.duplicate_candidates(second)[0][0] == first
    merged = services.merge_case(second, actor=desk.dispatcher, now=NOW, into=first)
    assert (merged.state, merged.merged_into, merged.closed_at) == ("merged", first, NOW)
    assert first.events.filter(action="merged_in").get().data["from"] == second.pk
    with pytest.raises(ValidationError):
        services.merge_case(first, actor=desk.dispatcher, now=NOW, into=first)
    third = make_case("测试一下", category="other")
    with pytest.raises(ValidationError):
        services.reject_case(third, actor=desk.dispatcher, now=NOW, note="")
    rejected = services.reject_case(third, actor=desk.dispatcher, now=NOW, note="测试信息，非真实诉求")
    assert rejected.state == "rejected"


def test_plan_handle_rework_verify(desk, make_case):
    case = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    case = services.accept_case(case, actor=desk.handler, now=NOW)
    assert case.plan_due == NOW + 24 * H
    case = services.plan_case(case, actor=desk.handler, now=NOW + H, note="联系电工明早更换")
    case = services.handle_case(
        case, actor=desk.handler, now=NOW + D, note="已更换", photos=[SimpleUploadedFile("a.png", PNG)]
    )
    case = services.rework_case(case, actor=desk.grid_worker, now=NOW + D + H, note="三楼的灯还是不亮")
    assert (case.state, case.rework_count, case.handled_at) == ("accepted", 1, None)
    case = services.handle_case(case, actor=desk.handler, now=NOW + 2 * D, note="三楼也换好了")
    case = services.verify_case(case, actor=desk.grid_worker, now=NOW + 2 * D + H, note="现场确认都亮了")
    assert (case.state, case.verified_at) == ("verified", NOW + 2 * D + H)
    assert Attachment.objects.get().event.action == "handle"


def test_reopen_within_the_window_only(desk, make_case, settings):
    settings.GONGZHI_CASE_REOPEN_DAYS = 15
    case = to_closed(make_case(category="facility", actor=desk.resident, channel=Channel.RESIDENT), desk)
    with pytest.raises(ValidationError):
        services.reopen_case(case, actor=desk.resident, now=case.closed_at + 16 * D, note="又坏了")
    assert Case.objects.get(pk=case.pk).state == "closed"
    case = services.reopen_case(case, actor=desk.resident, now=case.closed_at + 2 * D, note="又坏了")
    assert (case.state, case.body, case.reopen_count, case.satisfaction) == ("dispatched", desk.property_company, 1, "")
    assert Dispatch.objects.filter(case=case).count() == 2


def test_suspend_stops_and_resume_continues_the_clock(desk, make_case):
    case = services.dispatch_case(
        make_case(category="renovation"), actor=desk.dispatcher, now=NOW, body=desk.construction
    )
    desk.construction.members.add(desk.officer)
    services.clear_caches()
    case = services.accept_case(Case.objects.get(pk=case.pk), actor=desk.officer, now=NOW)
    event = services.request_suspension(case, actor=desk.officer, now=NOW, note="需等待加装电梯资金审批")
    assert (event.action, event.public) == ("suspend_request", False)
    with pytest.raises(IllegalTransition):
        services.suspend_case(case, actor=desk.officer, now=NOW, note="自己批准")
    due = case.resolve_due  # 2026-12-10 17:30
    case = services.suspend_case(case, actor=desk.dispatcher, now=dt(2026, 12, 2, 10, 0), note="资金审批中，缓办")
    assert services.sla_state(case, dt(2027, 1, 1, 9, 0)) == "stopped"
    case = services.resume_case(case, actor=desk.dispatcher, now=dt(2026, 12, 9, 10, 0))
    # left at suspension: Wed 10:00 → Thu 10 Dec 17:30 = 6 working days + 6 h; resumed Wed 9 Dec 10:00
    assert (case.state, case.resolve_due) == ("accepted", dt(2026, 12, 17, 17, 30))
    assert due == dt(2026, 12, 10, 17, 30)


def test_escalation_goes_up_one_level_keeping_history_and_clock(desk, make_case):
    case = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    due = case.resolve_due
    case = services.escalate_case(case, actor=desk.handler, now=NOW + H, note="涉及主管道，物业无权处理")
    assert (case.state, case.tier, case.body, case.escalation_count) == ("registered", Tier.STREET, None, 1)
    assert case.suggested_body.tier == Tier.STREET and case.resolve_due == due
    assert case.events.get(action="escalate").data["from_tier"] == "community"
    case = services.dispatch_case(case, actor=desk.dispatcher, now=NOW + 2 * H, body=desk.enforcement)
    case = services.escalate_case(case, actor=desk.officer, now=NOW + 3 * H, note="需区级部门处理")
    assert case.tier == Tier.DISTRICT
    case = services.dispatch_case(case, actor=desk.dispatcher, now=NOW + 4 * H, body=desk.department)
    with pytest.raises(IllegalTransition) as exc:
        services.escalate_case(case, actor=desk.dispatcher, now=NOW + 5 * H, note="再往上")
    assert exc.value.messages == ["该事项已在区级部门，不能再上报。"]
    assert Case.objects.get(pk=case.pk).tier == Tier.DISTRICT


# -- the clocks, derived ------------------------------------------------------------------------


def test_overdue_is_derived_from_deadlines_at_the_time_asked(desk, make_case):
    case = make_case(category="facility")  # dispatch due 11:00
    overdue = lambda now: set(Case.objects.filter(services.overdue_q(now)).values_list("pk", flat=True))  # noqa: E731
    assert services.sla_state(case, NOW) == "on_time"
    assert services.sla_state(case, dt(2026, 12, 1, 10, 45)) == "due_soon"
    assert services.sla_state(case, dt(2026, 12, 1, 11, 1)) == "overdue"
    assert (overdue(dt(2026, 12, 1, 11, 0)), overdue(dt(2026, 12, 1, 11, 1))) == (set(), {case.pk})
    case = services.dispatch_case(case, actor=desk.dispatcher, now=dt(2026, 12, 1, 11, 30), body=desk.property_company)
    # accept within 2 working hours: 11:30 + 30 min to 12:00, then 13:30 → 15:00
    assert case.accept_due == dt(2026, 12, 1, 15, 0)
    assert (overdue(dt(2026, 12, 1, 14, 59)), overdue(dt(2026, 12, 1, 15, 1))) == (set(), {case.pk})


# -- the sweep ----------------------------------------------------------------------------------


def test_sweep_reminds_once_escalates_broken_clocks_and_closes_unrated(desk, make_case):
    late = make_case(category="facility")
    case = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    case = services.accept_case(case, actor=desk.handler, now=NOW)
    first = services.sweep(now=dt(2026, 12, 1, 12, 0))
    assert (first.reminded, first.escalated) == (1, 0)  # `late` waited too long for dispatch
    assert Reminder.objects.get().case == late
    assert services.sweep(now=dt(2026, 12, 1, 12, 5)).reminded == 0  # once per phase and deadline
    # past the resolve deadline: reminded again for that phase and moved up to the street
    result = services.sweep(now=dt(2026, 12, 11, 9, 0))
    case.refresh_from_db()
    assert (case.state, case.tier, case.escalation_count) == ("registered", Tier.STREET, 1)
    assert result.escalated >= 1 and Reminder.objects.filter(case=case, escalated=True).count() == 1
    assert case.events.filter(action="escalate", actor=None).count() == 1
    # verified and not rated within the window: closed with no rating
    done = to_closed(make_case(category="facility"), desk) and None
    verified = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    verified = services.accept_case(verified, actor=desk.handler, now=NOW)
    verified = services.handle_case(verified, actor=desk.handler, now=NOW, note="好了")
    verified = services.verify_case(verified, actor=desk.grid_worker, now=NOW)
    assert services.sweep(now=NOW + 8 * D).expired == 1
    verified.refresh_from_db()
    assert (verified.state, verified.satisfaction, verified.rated_at) == ("closed", "", None)
    assert done is None


# -- the whistle ----------------------------------------------------------------------------------


def test_whistle_summons_records_arrivals_lateness_and_evaluation(desk, make_case):
    case = services.dispatch_case(
        make_case(category="urban_order"), actor=desk.dispatcher, now=NOW, body=desk.enforcement
    )
    with pytest.raises(IllegalTransition):
        services.blow_whistle(
            case, actor=desk.grid_worker, now=NOW, reason="joint_enforcement", bodies=[desk.police], note="x"
        )
    with pytest.raises(ValidationError) as exc:
        services.blow_whistle(
            case, actor=desk.dispatcher, now=NOW, reason="joint_enforcement", bodies=[], note="违建拆除"
        )
    assert list(exc.value.message_dict) == ["bodies"]
    whistle = services.blow_whistle(
        case, actor=desk.dispatcher, now=NOW, reason="joint_enforcement", bodies=[desk.enforcement, desk.police],
        note="小区违建需联合执法拆除",
    )  # fmt: skip
    assert (whistle.tier, whistle.report_minutes) == (Tier.STREET, 30)
    on_time, late = Summons.objects.order_by("pk")
    assert on_time.due_at == NOW + datetime.timedelta(minutes=30)
    services.report_in(on_time, actor=desk.officer, now=NOW + datetime.timedelta(minutes=20), note="已到场")
    with pytest.raises(IllegalTransition):
        services.report_in(late, actor=desk.officer, now=NOW + H)  # not a member of the police station
    desk.police.members.add(desk.officer)
    services.clear_caches()
    desk.officer.__dict__.pop("_gz_body_ids", None)
    assert services.sweep(now=NOW + datetime.timedelta(minutes=40)).whistles_late == 1
    assert Notification.objects.filter(user=desk.dispatcher, kind="case.summons_late").count() == 1
    services.report_in(late, actor=desk.officer, now=NOW + H)
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert (on_time.late, late.late) == (False, True)
    services.evaluate_summons(late, actor=desk.dispatcher, now=NOW + 2 * H, score=2, note="迟到半小时")
    with pytest.raises(ValidationError):
        services.evaluate_summons(late, actor=desk.dispatcher, now=NOW + 2 * H, score=9)
    late.refresh_from_db()
    assert (late.score, late.evaluation) == (2, "迟到半小时")
    services.close_whistle(whistle, actor=desk.dispatcher, now=NOW + 3 * H)
    whistle_events = case.events.filter(action__in=["whistle", "report_in", "evaluate", "whistle_closed"])
    assert list(whistle_events.values_list("action", flat=True)) == [
        "whistle", "report_in", "report_in", "evaluate", "whistle_closed",
    ]  # fmt: skip
    # a summoned department sees the case
    assert case in services.visible_cases(desk.officer)


# -- scope ----------------------------------------------------------------------------------------


def test_visible_cases_per_person(desk, make_case):
    mine = make_case(category="facility")
    lon, lat = to_lonlat(3, 1)
    theirs = make_case(lon=lon, lat=lat, actor=desk.outsider, category="urban_order")
    services.dispatch_case(mine, actor=desk.dispatcher, now=NOW, body=desk.property_company)
    assert set(services.visible_cases(desk.dispatcher)) == {mine}
    assert set(services.visible_cases(desk.outsider)) == {theirs}
    assert set(services.visible_cases(desk.handler)) == {mine}
    assert set(services.visible_cases(desk.mediator)) == set()
    assert set(services.visible_cases(desk.nobody)) == set()


# -- the rates --------------------------------------------------------------------------------------


def test_rates_on_a_hand_made_month(desk, make_case):
    # four cases: closed satisfied on time; closed unsatisfied after rework; late acceptance still open
    # past its deadline; one suspended
    a = to_closed(make_case(category="facility"), desk)
    b = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    b = services.accept_case(b, actor=desk.handler, now=NOW + H)
    b = services.handle_case(b, actor=desk.handler, now=NOW + 2 * H, note="修好了")
    b = services.rework_case(b, actor=desk.grid_worker, now=NOW + 3 * H, note="没修好")
    b = services.handle_case(b, actor=desk.handler, now=NOW + 4 * H, note="这次修好了")
    b = services.verify_case(b, actor=desk.grid_worker, now=NOW + 5 * H)
    b = services.rate_case(b, actor=desk.dispatcher, now=NOW + 6 * H, solved=False, satisfaction="unsatisfied")
    c = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    c = services.accept_case(c, actor=desk.handler, now=NOW + D)  # accept due 13:00 the same day: late
    d = services.dispatch_case(
        make_case(category="facility"), actor=desk.dispatcher, now=NOW, body=desk.property_company
    )
    d = services.accept_case(d, actor=desk.handler, now=NOW)
    services.suspend_case(d, actor=desk.dispatcher, now=NOW + H, note="缓办")
    r = metrics.rates(Case.objects.all(), as_of=NOW + 30 * D)
    assert (r.cases, r.dispatches, r.responded, r.rated, r.solved, r.satisfied) == (4, 4, 3, 2, 1, 1)
    assert (r.due, r.suspended, r.closed, r.closed_on_time, r.handled, r.reworked) == (4, 1, 2, 2, 2, 1)
    assert (r.response_rate, r.resolution_rate, r.satisfaction_rate) == (0.75, 0.5, 0.5)
    assert (r.closure_rate, r.on_time_rate, r.rework_rate) == (round(2 / 3, 4), round(2 / 3, 4), 0.5)
    by_body = metrics.rates_by(Case.objects.all(), "body", as_of=NOW + 30 * D)
    assert list(by_body) == [desk.property_company.pk] and by_body[desk.property_company.pk].response_rate == 0.75
    assert metrics.rates(Case.objects.none(), as_of=NOW).response_rate is None
    assert a.state == "closed"


def test_every_category_has_a_default_route_in_a_full_street(desk, make_case):
    for kind, tier, name in [
        (BodyKind.SANITATION, Tier.STREET, "环卫所"),
        (BodyKind.PROPERTY_OFFICE, Tier.STREET, "物业办"),
    ]:
        body(name, kind, tier, desk.tree.a.street)
    case = make_case(category="facility")
    for category in Category.values:
        found, _rule = routing.route(category, routing.Place.of(case))
        assert found is not None, category


def test_confirmed_categories_feed_the_classifier(desk, make_case):
    from gongzhi.cases import classifier

    guessed = make_case("东门那边新装的充电桩一直不通电")  # the classifier's guess, not confirmed
    changed = services.dispatch_case(
        make_case("楼下的路灯晚上不亮", category="facility"), actor=desk.dispatcher, now=NOW,
        body=desk.construction, category="renovation",
    )  # fmt: skip
    assert guessed.category_confirmed is False
    assert classifier.feedback_examples() == [("renovation", "楼下的路灯晚上不亮")]
    assert changed.category_confirmed is True
