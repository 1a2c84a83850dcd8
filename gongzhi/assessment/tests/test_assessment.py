"""Monthly assessment on hand-made months whose answers are known exactly."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.choices import Role
from gongzhi.assessment import services
from gongzhi.assessment.choices import AreaLevel, PeriodStatus
from gongzhi.assessment.models import AreaScore, AssessmentMonth, BodyScore, WorkerScore
from gongzhi.cases import services as cases
from gongzhi.cases.choices import BodyKind, Tier
from gongzhi.cases.filtersets import CaseFilterSet
from gongzhi.cases.models import Case
from gongzhi.cases.tests.conftest import body
from gongzhi.grids.choices import MemberKind
from gongzhi.grids.models import Patrol
from gongzhi.grids.services import add_member

SH = ZoneInfo("Asia/Shanghai")
NOV = datetime.date(2026, 11, 1)
T = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=SH)  # Tuesday, office hours
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
AFTER = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=SH)  # the month is over


def closed(case, desk, body, *, satisfaction="satisfied", solved=True):
    case = cases.dispatch_case(case, actor=desk.dispatcher, now=T, body=body)
    case = cases.accept_case(case, actor=desk.handler, now=T + 0.1 * H)
    case = cases.handle_case(case, actor=desk.handler, now=T + 2 * H, note="已处理")
    case = cases.verify_case(case, actor=desk.grid_worker, now=T + 3 * H)
    return cases.rate_case(case, actor=desk.dispatcher, now=T + 4 * H, solved=solved, satisfaction=satisfaction)


@pytest.fixture
def month(desk, make_case):
    """November: four cases for the property company (as in the cases' rates test), one for a grid
    station closed in the grid, one satisfied case for the mediators, and two cases just outside."""
    station = body("测试1社区第1网格工作站", BodyKind.GRID_STATION, Tier.GRID, desk.tree.a.grid, [desk.handler])
    desk.mediation.members.add(desk.handler)
    desk.property_company.members.add(desk.handler)
    a = closed(make_case(category="facility", now=T), desk, desk.property_company)
    b = cases.dispatch_case(
        make_case(category="facility", now=T), actor=desk.dispatcher, now=T, body=desk.property_company
    )
    b = cases.accept_case(b, actor=desk.handler, now=T + H)
    b = cases.handle_case(b, actor=desk.handler, now=T + 2 * H, note="修好了")
    b = cases.rework_case(b, actor=desk.grid_worker, now=T + 3 * H, note="没修好")
    b = cases.handle_case(b, actor=desk.handler, now=T + 4 * H, note="这次修好了")
    b = cases.verify_case(b, actor=desk.grid_worker, now=T + 5 * H)
    b = cases.rate_case(b, actor=desk.dispatcher, now=T + 6 * H, solved=False, satisfaction="unsatisfied")
    c = cases.dispatch_case(
        make_case(category="facility", now=T), actor=desk.dispatcher, now=T, body=desk.property_company
    )
    c = cases.accept_case(c, actor=desk.handler, now=T + D)  # late
    d = cases.dispatch_case(
        make_case(category="facility", now=T), actor=desk.dispatcher, now=T, body=desk.property_company
    )
    d = cases.accept_case(d, actor=desk.handler, now=T)
    cases.suspend_case(d, actor=desk.dispatcher, now=T + H, note="缓办")
    e = closed(make_case(category="facility", now=T), desk, station)
    f = closed(make_case("对门邻居天天半夜吵架", category="dispute", now=T), desk, desk.mediation)
    make_case(now=datetime.datetime(2026, 10, 31, 23, 59, tzinfo=SH))  # October
    make_case(now=datetime.datetime(2026, 12, 1, 0, 0, tzinfo=SH))  # December
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "station": station}


def test_bodies_and_areas_of_a_month(desk, month):
    [outcome] = services.assess_month(month=NOV, now=AFTER, district=desk.tree.district)

    period = outcome.period
    assert (period.month, period.status, period.as_of) == (
        NOV,
        PeriodStatus.OPEN,
        datetime.datetime(2026, 12, 1, tzinfo=SH),
    )
    prop = BodyScore.objects.get(period=period, body=desk.property_company)
    assert (prop.cases, prop.dispatches, prop.responded, prop.rated, prop.solved, prop.satisfied) == (4, 4, 3, 2, 1, 1)
    assert (prop.due, prop.suspended, prop.closed, prop.closed_on_time, prop.handled, prop.reworked) == (
        4,
        1,
        2,
        2,
        2,
        1,
    )
    assert (prop.response_rate, prop.resolution_rate, prop.satisfaction_rate) == (0.75, 0.5, 0.5)
    # 30 × 0.75 + 35 × 0.5 + 35 × 0.5 = 57.5
    assert prop.score == 57.5
    mediation = BodyScore.objects.get(period=period, body=desk.mediation)
    assert (mediation.cases, mediation.score, mediation.rank) == (1, 100.0, 1)
    station = BodyScore.objects.get(period=period, body=month["station"])
    assert (station.score, station.rank) == (100.0, 1)  # equal scores share the rank
    assert prop.rank == 3
    # the community: all six November cases (the October and December ones are not counted)
    community = AreaScore.objects.get(period=period, level=AreaLevel.COMMUNITY, node_id=desk.tree.a.community.pk)
    assert (community.cases, community.dispatches, community.responded, community.rated) == (6, 6, 5, 4)
    assert (community.solved, community.satisfied) == (3, 3)
    # (30 × 5/6 + 35 × 3/4 + 35 × 3/4) = 25 + 26.25 + 26.25 = 77.5
    assert community.score == 77.5
    assert AreaScore.objects.filter(period=period, level=AreaLevel.STREET).count() == 1
    assert AreaScore.objects.get(period=period, level=AreaLevel.GRID).grid_id == desk.tree.a.grid.pk


def test_a_grid_workers_month(desk, month):
    grid = desk.tree.a.grid
    add_member(
        grid,
        actor=None,
        kind=MemberKind.FULL_TIME,
        name="王网格",
        started_on=datetime.date(2026, 1, 1),
        user=desk.grid_worker,
    )
    for day, minutes in [(2, 120), (3, 60), (4, 180), (7, 150)]:  # Mon, Tue, Wed and Saturday 7th
        start = datetime.datetime(2026, 11, day, 9, 0, tzinfo=SH)
        Patrol.objects.create(
            worker=desk.grid_worker,
            grid=grid,
            community_id=grid.community_id,
            street_id=grid.street_id,
            district_id=grid.district_id,
            status="done",
            started_at=start,
            ended_at=start + datetime.timedelta(minutes=minutes),
        )

    services.assess_month(month=NOV, now=AFTER, district=desk.tree.district)

    row = WorkerScore.objects.get(worker=desk.grid_worker)
    assert (row.patrols, row.patrol_minutes, row.patrol_days_met) == (4, 510, 3)
    # November 2026 has 21 working days (no public holiday); the Saturday meets the standard but is not due
    assert row.patrol_due_days == 21
    assert row.patrol_rate == round(3 / 21, 4)
    # the grid worker reported the seven cases of the fixture through the grid app: six in November
    assert row.problems_found == 6
    # closed cases of the grid reported in November: a, b, e, f; closed at the grid tier: e
    assert (row.grid_closed, row.closed_in_grid, row.in_grid_rate) == (4, 1, 0.25)
    assert (row.visits_due, row.visit_rate) == (0, None)
    # no care files: the score weighs patrols (40) and in-grid resolution (30) only
    assert row.score == round(100 * (40 * round(3 / 21, 4) + 30 * 0.25) / 70, 2)
    assert row.rank == 1


def test_recomputing_an_open_month_is_idempotent_and_a_closed_month_is_final(desk, month):
    services.assess_month(month=NOV, now=AFTER, district=desk.tree.district)
    first = sorted(BodyScore.objects.values_list("body_id", "score", "rank", "responded"))

    services.assess_month(month=NOV, now=AFTER, district=desk.tree.district)
    assert sorted(BodyScore.objects.values_list("body_id", "score", "rank", "responded")) == first
    assert AssessmentMonth.objects.count() == 1

    period = AssessmentMonth.objects.get()
    with pytest.raises(ValidationError, match="尚未结束"):
        services.close_month(period, actor=None, now=datetime.datetime(2026, 11, 30, 12, 0, tzinfo=SH))
    services.close_month(period, actor=None, now=AFTER)
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED

    # new facts after closing do not change a closed month
    cases.rate_case(
        cases.verify_case(
            cases.handle_case(month["c"], actor=desk.handler, now=AFTER, note="修好了"),
            actor=desk.grid_worker,
            now=AFTER,
        ),
        actor=desk.dispatcher,
        now=AFTER,
        solved=True,
        satisfaction="satisfied",
    )
    assert services.assess_month(month=NOV, now=AFTER + D, district=desk.tree.district) == []
    assert sorted(BodyScore.objects.values_list("body_id", "score", "rank", "responded")) == first
    with pytest.raises(ValidationError, match="已关账"):
        services.close_month(period, actor=None, now=AFTER)


def test_a_month_cannot_close_before_its_figures_are_final(desk, month):
    services.assess_month(month=NOV, now=datetime.datetime(2026, 11, 20, tzinfo=SH), district=desk.tree.district)
    period = AssessmentMonth.objects.get()
    with pytest.raises(ValidationError, match="重新计算"):
        services.close_month(period, actor=None, now=AFTER)
    with pytest.raises(ValidationError, match="尚未开始"):
        services.assess_month(month=datetime.date(2027, 1, 1), now=AFTER)


def test_weights_change_the_score(desk, month):
    services.set_weights(desk.tree.district, actor=None, response=100, resolution=0, satisfaction=0)
    services.assess_month(month=NOV, now=AFTER, district=desk.tree.district)
    assert BodyScore.objects.get(body=desk.property_company).score == 75.0
    with pytest.raises(ValidationError):
        services.set_weights(desk.tree.district, actor=None, response=0, resolution=0, satisfaction=0)
    with pytest.raises(ValidationError):
        services.set_weights(desk.tree.district, actor=None, response=101)
    with pytest.raises(ValidationError):
        services.set_weights(desk.tree.district, actor=None, colour=1)


def test_every_figure_links_to_the_cases_it_counts(desk, month):
    services.assess_month(month=NOV, now=AFTER, district=desk.tree.district)
    prop = BodyScore.objects.get(body=desk.property_company)
    base = {"body": str(desk.property_company.pk), "since": "2026-11-01", "until": "2026-11-30", "as_of": "2026-11-30"}
    for measure in ("dispatches", "responded", "rated", "solved", "satisfied", "due", "suspended", "closed",
                    "closed_on_time", "handled", "reworked"):  # fmt: skip
        qs = CaseFilterSet({**base, "measure": measure}, queryset=Case.objects.all()).qs
        assert qs.count() == getattr(prop, measure), measure
    responded = CaseFilterSet({**base, "measure": "responded"}, queryset=Case.objects.all()).qs
    assert month["c"] not in responded and month["a"] in responded


def test_pure_helpers():
    assert services.competition_ranks([90.0, 80.0, 90.0, None, 70.0]) == [1, 3, 1, None, 4]
    assert services.composite(
        {"response": 1.0, "resolution": None, "satisfaction": 0.5}, services.DEFAULT_WEIGHTS
    ) == round(100 * (30 * 1.0 + 35 * 0.5) / 65, 2)
    assert services.composite({"response": None}, services.DEFAULT_WEIGHTS) is None
    day = datetime.date
    # weekly visits: 1st, 8th, 15th, 22nd, 29th keep a 7-day schedule; missing the 15th breaks it
    kept = [day(2026, 11, d) for d in (1, 8, 15, 22, 29)]
    assert services.kept_schedule(
        kept, since=day(2026, 10, 25), start=day(2026, 11, 1), end=day(2026, 11, 30), interval=7
    )
    gap = [day(2026, 11, d) for d in (1, 8, 22, 29)]
    assert not services.kept_schedule(
        gap, since=day(2026, 10, 25), start=day(2026, 11, 1), end=day(2026, 11, 30), interval=7
    )
    # the last visit must also be recent enough at the end of the month
    assert not services.kept_schedule(
        kept[:4], since=day(2026, 10, 25), start=day(2026, 11, 1), end=day(2026, 11, 30), interval=7
    )


# --- the ranking board and the pages -----------------------------------------------------------------


def _area(period, node_id, name, *, street_id, dispatches, responded, rated, solved, satisfied):
    from gongzhi.assessment.models import AreaScore

    row = AreaScore(
        period=period,
        level=AreaLevel.COMMUNITY,
        node_id=node_id,
        name=name,
        street_id=street_id,
        community_id=node_id,
        cases=dispatches,
        dispatches=dispatches,
        responded=responded,
        rated=rated,
        solved=solved,
        satisfied=satisfied,
    )
    services.fill_rates(row, services.DEFAULT_WEIGHTS)
    row.save()
    return row


def test_a_quarter_sums_its_months_and_shows_the_change(tree):
    from gongzhi.assessment.ranking import Period, parse_period, ranking
    from gongzhi.core.testing.tree import user_with

    a, b = tree.a.community, tree.b.community
    months = {}
    for m in (7, 8, 9, 10, 11):
        months[m] = AssessmentMonth.objects.create(
            district=tree.district, month=datetime.date(2026, m, 1), weights=services.DEFAULT_WEIGHTS
        )
    # Q3: a is better; Q4 (October + November): b overtakes a
    for m in (7, 8, 9):
        _area(
            months[m],
            a.pk,
            a.name,
            street_id=a.street_id,
            dispatches=10,
            responded=10,
            rated=10,
            solved=10,
            satisfied=10,
        )
        _area(
            months[m], b.pk, b.name, street_id=b.street_id, dispatches=10, responded=5, rated=10, solved=5, satisfied=5
        )
    _area(months[10], a.pk, a.name, street_id=a.street_id, dispatches=10, responded=2, rated=10, solved=2, satisfied=2)
    _area(months[11], a.pk, a.name, street_id=a.street_id, dispatches=30, responded=30, rated=10, solved=4, satisfied=4)
    _area(
        months[10], b.pk, b.name, street_id=b.street_id, dispatches=20, responded=20, rated=20, solved=20, satisfied=20
    )
    admin = user_with(Role.DISTRICT_ADMIN, tree.district, "district-admin")

    q4 = ranking("community", tree.district.pk, parse_period("2026-Q4"), admin)

    # a in Q4: responded 32/40 = 0.8, solved 6/20 = 0.3, satisfied 6/20 = 0.3 → 30×0.8 + 35×0.3 + 35×0.3 = 45
    assert [(r.name, r.rank, r.score) for r in q4] == [(b.name, 1, 100.0), (a.name, 2, 45.0)]
    assert [(r.previous_rank, r.rank_change) for r in q4] == [(2, 1), (1, -1)]
    # b in Q3: 0.5, 0.5, 0.5 → 50
    assert q4[0].previous_score == 50.0 and q4[0].score_change == 50.0
    assert Period(2026, quarter=1).previous == Period(2025, quarter=4)
    assert Period(2026, 1).previous == Period(2025, 12)
    assert parse_period("2026-13") is None and parse_period("2026-Q5") is None and parse_period("x") is None
    # a community worker of b sees only b
    worker_b = user_with(Role.COMMUNITY_WORKER, b, "cw-b")
    assert [r.name for r in ranking("community", tree.district.pk, parse_period("2026-Q4"), worker_b)] == [b.name]


def test_pages(desk, month):
    from django.test import Client

    from gongzhi.core.testing.tree import user_with

    admin = user_with(Role.DISTRICT_ADMIN, desk.tree.district, "district-admin")
    c = Client()
    c.force_login(admin)
    assert c.get("/assessment/?month=2026-11").status_code == 200
    assert c.post("/assessment/?month=2026-11", {"action": "compute"}).status_code == 302
    page = c.get("/assessment/?month=2026-11").content.decode()
    assert "测试物业有限公司" in page and "57.5" in page and "measure=responded" in page
    ranking_page = c.get("/assessment/ranking/?kind=body&period=2026-11")
    assert ranking_page.status_code == 200 and "测试1社区人民调解委员会" in ranking_page.content.decode()
    export = c.get("/assessment/ranking/?kind=worker&period=2026-Q4&export=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")
    assert c.get("/assessment/ranking/?kind=planets").status_code == 404
    report = c.get("/assessment/report/?month=2026-11").content.decode()
    assert "处理效能考核月报" in report and "chart-communities" in report
    # closing before the month's figures are final is refused with a message, not a 500
    refused = c.post("/assessment/?month=2026-11", {"action": "close"})
    assert refused.status_code in (302, 400)

    dispatcher = desk.dispatcher  # assessment.view, not admin
    c.force_login(dispatcher)
    assert c.get("/assessment/?month=2026-11").status_code == 200
    assert c.post("/assessment/?month=2026-11", {"action": "compute"}).status_code == 404
    c.force_login(desk.resident)
    assert c.get("/assessment/").status_code == 403
    assert c.get("/assessment/ranking/").status_code == 403


def test_the_board_and_the_scorecards_open_on_the_last_complete_month(tree, monkeypatch):
    """On 2 December the board shows November (with its full figures), not the two days of December;
    the running month stays one choice away, and is the default only while no earlier month exists."""
    from django.test import Client
    from django.utils import timezone

    from gongzhi.assessment import views
    from gongzhi.core.testing.tree import user_with

    a = tree.a.community
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2026, 12, 2))
    december = AssessmentMonth.objects.create(
        district=tree.district, month=datetime.date(2026, 12, 1), weights=services.DEFAULT_WEIGHTS
    )
    _area(december, a.pk, a.name, street_id=a.street_id, dispatches=1, responded=1, rated=0, solved=0, satisfied=0)
    periods = views.available_periods(tree.district.pk)
    assert views.default_period(tree.district.pk, periods).key == "2026-12"  # no complete month yet
    november = AssessmentMonth.objects.create(
        district=tree.district, month=datetime.date(2026, 11, 1), weights=services.DEFAULT_WEIGHTS
    )
    _area(november, a.pk, a.name, street_id=a.street_id, dispatches=9, responded=9, rated=9, solved=9, satisfied=9)
    periods = views.available_periods(tree.district.pk)
    assert views.default_period(tree.district.pk, periods).key == "2026-11"
    c = Client()
    c.force_login(user_with(Role.DISTRICT_ADMIN, tree.district, "district-admin"))
    assert c.get("/assessment/ranking/").context["period"].key == "2026-11"
    assert c.get("/assessment/").context["month"] == datetime.date(2026, 11, 1)
    assert c.get("/assessment/ranking/?period=2026-12").context["period"].key == "2026-12"
