"""The city of seed S4 (`load_demo --city`): the plan's numbers, the fast SLA clock, and a tiny city
loaded through the same code paths (COPY on PostgreSQL, executemany on SQLite)."""

import datetime
import itertools
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q

from gongzhi.accounts.models import Assignment, User
from gongzhi.cases import sla
from gongzhi.cases.choices import Priority, State
from gongzhi.cases.metrics import answered_in_time, rates, rates_by
from gongzhi.cases.models import OPEN_STATES, Case, CaseEvent, Dispatch, HandlingBody, Summons, Whistle
from gongzhi.core.crypto import decrypt
from gongzhi.demo.city import CITY, FastClock, city_targets, make_city_plan
from gongzhi.grids.models import GridMember, Patrol, PatrolEntry
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

FRACTION = 0.002
SEED = 20221231
NOW = datetime.datetime(2026, 12, 1, 21, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


# -- the plan (no database) ---------------------------------------------------------------------


def test_the_full_plan_has_the_numbers_of_seed_s4():
    plan = make_city_plan(1.0, seed=SEED)
    counts = plan.counts()
    assert {k: counts[k] for k in CITY if k in counts} == {
        "districts": 10,
        "streets": 120,
        "communities": 1_500,
        "grids": 18_100,
        "compounds": 3_800,
        "managed_compounds": 754,
        "owners_committees": 121,
        "self_management": 1_466,
        "grid_workers": 39_300,
        "building_heads": 6_957,
        "cases": 1_050_000,
    }
    assert counts["three_no"] == 3_800 - 754 - 1_466
    codes = [d.code for d in plan.districts]
    assert codes == [f"3312{n:02d}" for n in range(2, 12)]
    assert len({s.name for s in plan.streets}) == 120


def test_a_small_plan_scales_every_number_and_is_deterministic():
    assert city_targets(FRACTION) | {"area_km2": 0} == {
        **CITY,
        "districts": 1,
        "streets": 1,
        "communities": 3,
        "grids": 36,
        "compounds": 8,
        "managed_compounds": 2,
        "owners_committees": 0,
        "self_management": 3,
        "grid_workers": 79,
        "building_heads": 14,
        "cases": 2_100,
        "area_km2": 0,
    }
    a, b = make_city_plan(FRACTION, seed=SEED), make_city_plan(FRACTION, seed=SEED)
    assert [g.rect for g in a.grids] == [g.rect for g in b.grids]
    assert [k.name for k in a.compounds] == [k.name for k in b.compounds]
    assert [g.rect for g in make_city_plan(FRACTION, seed=SEED + 1).grids] != [g.rect for g in a.grids]
    with pytest.raises(ValueError):
        city_targets(0)


def test_the_fast_clock_gives_the_deadlines_of_sla():
    cal = sla.china_calendar()
    first, last = datetime.date(2025, 12, 1), datetime.date(2027, 2, 1)
    clock = FastClock(cal, first, last)
    rng = random.Random(7)
    start = int(datetime.datetime(2025, 12, 2, tzinfo=datetime.UTC).timestamp())
    durations = {d for p in sla.DEFAULT_POLICIES.values() for d in (p.dispatch, p.accept, p.plan, p.resolve)}
    durations |= {sla.Duration(0, "work_days"), sla.Duration(0, "work_hours"), sla.Duration(3, "work_hours")}
    # random instants, and the edges of the office periods (12:00, 13:30, 17:30 exactly)
    starts = [start + rng.randrange(330 * 86400) for _ in range(400)]
    for day in (datetime.date(2026, 2, 13), datetime.date(2026, 9, 30), datetime.date(2026, 10, 9)):
        for at in (datetime.time(8, 30), datetime.time(12), datetime.time(13, 30), datetime.time(17, 30)):
            starts.append(int(datetime.datetime.combine(day, at, tzinfo=cal.tz).timestamp()))
    for ts in starts:
        for duration in durations:
            expected = sla.deadline(datetime.datetime.fromtimestamp(ts, datetime.UTC), duration, cal)
            assert clock.deadline(ts, duration) == int(expected.timestamp()), (ts, duration)


# -- the command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_full_city_needs_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("a full city is not loaded by a test")
    with pytest.raises(CommandError) as error:
        call_command("load_demo", city=True)
    assert "需要 PostgreSQL 数据库" in str(error.value)
    assert District.objects.count() == 0


@pytest.mark.django_db
def test_bad_city_options_are_refused():
    with pytest.raises(CommandError):
        call_command("load_demo", city=True, city_scale=0)
    with pytest.raises(CommandError):
        call_command("load_demo", city_scale=0.5)
    with pytest.raises(CommandError):
        call_command("load_demo", city=True, city_scale=FRACTION, now="2026-12-01 21:00")  # no offset
    assert District.objects.count() == 0


# -- a tiny city in the test database --------------------------------------------------------------


@pytest.fixture
def city(db, capsys):
    call_command("load_demo", city=True, city_scale=FRACTION, seed=SEED, now=NOW.isoformat())
    return capsys.readouterr().out


def test_the_tiny_city_holds_what_the_plan_says(city):
    plan = make_city_plan(FRACTION, seed=SEED)
    counts = plan.counts()
    assert District.objects.count() == counts["districts"] == 1
    assert Street.objects.count() == counts["streets"]
    assert Community.objects.count() == counts["communities"]
    assert Grid.objects.count() == counts["grids"] == 36
    assert Compound.objects.count() == counts["compounds"] == 8
    assert Building.objects.count() == counts["buildings"]
    assert Compound.objects.filter(property_management="company").count() == counts["managed_compounds"]
    assert Compound.objects.filter(owners_organisation="self_management").count() == counts["self_management"]
    assert Compound.objects.filter(is_three_no=True).count() == counts["three_no"]
    # grid workers: an account, a grid_worker assignment and a grid-member row each
    assert GridMember.objects.count() == counts["grid_workers"] == 79
    assert GridMember.objects.filter(kind="full_time").count() == 36
    assert set(GridMember.objects.filter(kind="full_time").values_list("grid", flat=True)) == set(
        Grid.objects.values_list("pk", flat=True)
    )
    assert GridMember.objects.filter(kind="building_head").count() == 14
    workers = Assignment.objects.filter(role="grid_worker", level="grid")
    assert workers.count() == 79
    assert set(workers.values_list("user", "grid")) == set(GridMember.objects.values_list("user", "grid"))
    assert User.objects.filter(username__startswith="wg").count() == 79
    assert Case.objects.count() == counts["cases"] == 2_100
    assert HandlingBody.objects.filter(kind="grid_station").count() == 36
    assert "Demo city loaded" in city


def test_ancestor_keys_agree_with_the_parents(city):
    assert not Street.objects.exclude(code__startswith=F("district__code")).exists()
    assert not Community.objects.exclude(district=F("street__district")).exists()
    assert not Grid.objects.exclude(street=F("community__street")).exclude(district=F("community__district")).exists()
    for model in (Compound, Building, GridMember, Patrol, Case):
        mismatched = model.objects.filter(
            ~Q(community=F("grid__community")) | ~Q(street=F("grid__street")) | ~Q(district=F("grid__district"))
        )
        assert not mismatched.exists(), model
    assert not Building.objects.exclude(grid=F("compound__grid")).exists()
    assert not Case.objects.filter(compound__isnull=False).exclude(grid=F("compound__grid")).exists()
    assert not Case.objects.filter(building__isnull=False).exclude(compound=F("building__compound")).exists()
    assert not Whistle.objects.exclude(grid_id=F("case__grid_id")).exists()
    assert not Whistle.objects.exclude(street_id=F("case__street_id")).exists()
    for grid in Grid.objects.select_related("community"):
        assert grid.code.startswith(grid.community.code) and len(grid.code) == 15
    # bodies serve the place they sit in
    assert not HandlingBody.objects.filter(tier="grid").exclude(community=F("grid__community")).exists()
    assert not Case.objects.filter(body__tier="community").exclude(community=F("body__community")).exists()
    assert not Case.objects.filter(body__tier="street").exclude(street=F("body__street")).exists()


ORDER = ["reported_at", "registered_at", "first_dispatched_at", "dispatched_at", "accepted_at", "planned_at",
         "handled_at", "verified_at", "closed_at"]  # fmt: skip


def test_cases_move_through_the_workflow_in_time_order(city):
    now = NOW
    cases = list(Case.objects.order_by("pk"))
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("time", "pk"):
        events[event.case_id].append(event)
    dispatches = defaultdict(list)
    for dispatch in Dispatch.objects.order_by("dispatched_at", "pk"):
        dispatches[dispatch.case_id].append(dispatch)
    year_ago = now - datetime.timedelta(days=365)
    for case in cases:
        stamps = [getattr(case, name) for name in ORDER if getattr(case, name) is not None]
        assert stamps == sorted(stamps), case.pk
        assert year_ago <= case.reported_at < now and stamps[-1] <= now
        timeline = events[case.pk]
        assert timeline[0].action == "report" and timeline[0].time == case.reported_at
        moves = [e for e in timeline if e.to_state]
        assert moves[-1].to_state == case.state, case.pk
        assert all(a.to_state == b.from_state for a, b in itertools.pairwise(moves)), case.pk
        assert (case.closed_at is not None) == (case.state in ("closed", "rejected", "merged")), case.pk
        assert (case.state in OPEN_STATES) != (case.closed_at is not None)
        if case.first_dispatched_at:
            rows = dispatches[case.pk]
            assert rows[0].dispatched_at == case.first_dispatched_at
            assert rows[-1].dispatched_at == case.dispatched_at
            assert all(d.accept_due > d.dispatched_at for d in rows)
            assert len(rows) == 1 + case.return_count + case.escalation_count or case.state == "registered"
        else:
            assert not dispatches[case.pk]
        if case.state == "closed":
            assert case.verified_at and case.handled_at and case.handled_on_time is not None
        if case.rated_at:
            assert case.rated_at == case.closed_at and case.satisfaction and case.solved is not None
        assert case.dispatch_due > case.reported_at and case.resolve_due > case.reported_at
        if case.priority == Priority.EMERGENCY:
            assert case.resolve_due - case.reported_at == datetime.timedelta(hours=2)
        if case.state == "suspended":
            assert case.suspended_at and case.resume_state in ("accepted", "planned")
    # the same seed and time give the same year, on SQLite and on PostgreSQL alike
    assert dict(Counter(c.state for c in cases)) == {
        "closed": 2_000, "rejected": 63, "planned": 14, "accepted": 10, "verified": 10, "suspended": 2, "handled": 1,
    }  # fmt: skip
    assert (Dispatch.objects.count(), CaseEvent.objects.count(), Whistle.objects.count()) == (2_171, 16_368, 6)
    stuck = [c for c in cases if c.state in {"accepted", "planned"} and c.resolve_due < now]
    assert len(stuck) == 6  # open past the resolve deadline
    assert any(c.handled_on_time is False for c in cases)
    assert Case.objects.filter(rework_count__gt=0).exists()
    assert Case.objects.filter(return_count__gt=0).exists()
    assert Case.objects.filter(escalation_count__gt=0).exists()
    assert Whistle.objects.exists() and Summons.objects.count() >= 2 * Whistle.objects.count()
    assert len({c.category for c in cases}) == 12 and len({c.channel for c in cases}) == 8


def test_personal_data_is_sealed_and_patrols_fill_last_month(city):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE reporter_phone <> ''")
        sealed = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT phone FROM grids_gridmember")
        member_phones = [row[0] for row in cursor.fetchall()]
    assert sealed and all(v.startswith("v1:") for v in sealed)
    assert all(len(decrypt(v, b"cases_case.reporter_phone")) == 11 for v in sealed[:50])
    assert len(member_phones) == 79 and all(v.startswith("v1:") for v in member_phones)
    case = Case.objects.exclude(reporter_phone="").first()
    assert case.reporter_phone_masked.count("*") == 4
    # the patrols of November 2026, by every full-time worker, within the month
    november = (datetime.datetime(2026, 11, 1, tzinfo=NOW.tzinfo), datetime.datetime(2026, 12, 1, tzinfo=NOW.tzinfo))
    assert Patrol.objects.exists()
    assert not Patrol.objects.exclude(started_at__gte=november[0], ended_at__lt=november[1]).exists()
    full_time = set(GridMember.objects.filter(kind="full_time").values_list("user", flat=True))
    assert full_time <= set(Patrol.objects.values_list("worker", flat=True))
    assert not Patrol.objects.exclude(worker__in=GridMember.objects.values("user")).exists()
    problems = PatrolEntry.objects.filter(kind="problem").select_related("patrol", "case")
    assert problems.exists()
    for entry in problems:
        assert entry.case.channel == "grid_app" and entry.case.created_by_id == entry.patrol.worker_id
        assert entry.patrol.started_at <= entry.case.reported_at <= entry.patrol.ended_at


def test_the_rates_compute_on_the_city(city):
    cases = Case.objects.all()
    result = rates(cases, as_of=NOW)
    rows = list(cases.values("state", "rated_at", "solved", "satisfaction", "first_dispatched_at", "resolve_due",
                             "handled_on_time", "handled_at", "rework_count"))  # fmt: skip
    dispatched = [r for r in rows if r["first_dispatched_at"]]
    assert result.cases == 2_100
    assert result.rated == sum(1 for r in rows if r["rated_at"])
    assert result.solved == sum(1 for r in rows if r["rated_at"] and r["solved"])
    assert result.satisfied == sum(1 for r in rows if r["rated_at"] and r["satisfaction"] in ("satisfied", "basic"))
    assert result.closed == sum(1 for r in dispatched if r["state"] == State.CLOSED)
    assert result.closed_on_time == sum(1 for r in dispatched if r["state"] == "closed" and r["handled_on_time"])
    assert result.reworked == sum(1 for r in rows if r["rework_count"])
    assert result.dispatches == Dispatch.objects.count()
    assert result.responded == Dispatch.objects.filter(answered_in_time()).count()
    # realistic spreads
    assert 0.85 < result.satisfaction_rate < 0.97
    assert 0.75 < result.response_rate < 0.99
    assert 0.8 < result.on_time_rate <= result.closure_rate < 1
    assert 0.02 < result.rework_rate < 0.12
    by_street = rates_by(cases, "street", as_of=NOW)
    assert sum(r.cases for r in by_street.values()) == 2_100
    by_body = rates_by(cases, "body", as_of=NOW)
    assert sum(r.dispatches for r in by_body.values()) == result.dispatches


def test_new_rows_get_fresh_ids_after_the_load(city):
    """The sequences were moved past the ids the load chose (COPY with explicit ids on PostgreSQL)."""
    top = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    grid = Grid.objects.first()
    case = Case.objects.create(
        channel="hotline", description="测试", grid=grid, community_id=grid.community_id, street_id=grid.street_id,
        district_id=grid.district_id, category="other", reported_at=NOW,
    )  # fmt: skip
    assert case.pk > top
    assert District.objects.create(name="测试区", code="331299").pk > 1
    assert Counter(Patrol.objects.values_list("status", flat=True)) == {"done": Patrol.objects.count()}
    assert Patrol.objects.aggregate(n=Count("pk"))["n"] == Patrol.objects.filter(distance_m__gt=0).count()


@pytest.mark.django_db
def test_a_failed_write_stops_the_load():
    """Rows PostgreSQL refuses in the writer thread (here: too few columns) raise in the loading thread."""
    from django.db import transaction

    from gongzhi.demo.city import Sink

    if connection.vendor != "postgresql":
        pytest.skip("the writer thread is PostgreSQL's")
    sink = Sink(connection)
    sink.register("district", District, [f.attname for f in District._meta.concrete_fields])
    with pytest.raises(RuntimeError, match="writing rows failed"), transaction.atomic(), sink.background():
        sink.add("district", (1, NOW))
    assert District.objects.count() == 0
