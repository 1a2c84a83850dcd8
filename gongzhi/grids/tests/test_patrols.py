"""Patrols (日巡查、日走访): the idempotent submission (resends, entries, the case of a problem),
validation and scope, the distance and the hours against the standard on hand-made days, the API
and the pages."""

from __future__ import annotations

import datetime
import io
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gongzhi.accounts.choices import Role
from gongzhi.cases.choices import Channel
from gongzhi.cases.models import Attachment, Case
from gongzhi.core.models import ObjectChange
from gongzhi.core.testing.matrix import check_matrix
from gongzhi.core.testing.tree import user_with
from gongzhi.demo.plan import to_lonlat
from gongzhi.grids import patrols
from gongzhi.grids.choices import EntryKind, PatrolStatus
from gongzhi.grids.models import GridStandard, Patrol, PatrolEntry

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SH)  # a Tuesday
START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=SH)
T0 = START.timestamp()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PID = uuid.UUID("11111111-1111-4111-8111-111111111111")
NOTE_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
PROBLEM_ID = uuid.UUID("33333333-3333-4333-8333-333333333333")
VISIT_ID = uuid.UUID("44444444-4444-4444-8444-444444444444")
PROBLEM = "3号楼东侧消防通道被电动车堵住了，消防车进不来"

# Along the meridian 120.19 (inside grid a): 0.001° of latitude is 111.19508 m. The rough point
# (accuracy 500 m) and the jump (1.1 km in 10 s) do not count: 3 steps = 333.585 m → 334 m.
ROUTE = [
    [120.19, 30.230, T0 + 60, 10],
    [120.19, 30.231, T0 + 120, 10],
    [120.19, 30.232, T0 + 180, 500],
    [120.19, 30.232, T0 + 240, 10],
    [120.19, 30.242, T0 + 250, 10],
    [120.19, 30.233, T0 + 300, 10],
]


@dataclass
class People:
    tree: object
    worker: object  # grid worker of grid a
    worker_b: object  # grid worker of grid b
    community_worker: object  # community a: patrols and sees grid a
    street_admin: object  # street a: sees, does not patrol
    nobody: object


@pytest.fixture
def people(tree):
    from gongzhi.cases import services as cases

    cases.clear_caches()
    return People(
        tree=tree,
        worker=user_with(Role.GRID_WORKER, tree.a.grid, "wangge"),
        worker_b=user_with(Role.GRID_WORKER, tree.b.grid, "wangge-b"),
        community_worker=user_with(Role.COMMUNITY_WORKER, tree.a.community, "shegong"),
        street_admin=user_with(Role.STREET_ADMIN, tree.a.street, "jiedao"),
        nobody=user_with(None, username="nobody"),
    )


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat()


def full_payload(**overrides) -> dict:
    lon, lat = to_lonlat(0.1, 1.9)  # in grid a, outside its compound
    payload = {
        "client_id": str(PID),
        "started_at": iso(START),
        "ended_at": iso(START + datetime.timedelta(minutes=90)),
        "note": "巡查正常",
        "route": [list(p) for p in ROUTE],
        "entries": [
            {
                "client_id": str(NOTE_ID),
                "kind": "note",
                "text": "小区东门路灯正常",
                "time": iso(START + datetime.timedelta(minutes=5)),
            },
            {
                "client_id": str(PROBLEM_ID),
                "kind": "problem",
                "text": PROBLEM,
                "time": iso(START + datetime.timedelta(minutes=10)),
                "lon": lon,
                "lat": lat,
            },
        ],
    }
    payload.update(overrides)
    return payload


def submit(worker, payload=None, now=NOW, **overrides):
    data = payload if payload is not None else full_payload(**overrides)
    return patrols.submit_patrol(worker=worker, client_id=data.get("client_id"), payload=data, now=now)


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


# -- the submission --------------------------------------------------------------------------------


def test_submit_creates_one_patrol_with_its_route_entries_and_case(people):
    audit_before = ObjectChange.objects.order_by("pk").last().pk
    result = submit(people.worker)

    patrol = Patrol.objects.get()
    a = people.tree.a
    assert (result.created, result.changed, result.case_errors) == (True, True, {})
    assert (patrol.client_id, patrol.worker, patrol.grid, patrol.community, patrol.street, patrol.district) == (
        PID,
        people.worker,
        a.grid,
        a.community,
        a.street,
        people.tree.district,
    )
    assert (patrol.status, patrol.started_at, patrol.ended_at, patrol.duration_minutes) == (
        PatrolStatus.DONE,
        START,
        START + datetime.timedelta(minutes=90),
        90,
    )
    assert (patrol.distance_m, len(patrol.route), patrol.note) == (334, 6, "巡查正常")
    assert patrol.route[0] == [120.19, 30.23, int(T0) + 60, 10]
    note, problem = patrol.entries.order_by("time")
    assert (note.client_id, note.kind, note.text, note.case) == (NOTE_ID, EntryKind.NOTE, "小区东门路灯正常", None)
    case = Case.objects.get()
    assert (problem.client_id, problem.kind, problem.case) == (PROBLEM_ID, EntryKind.PROBLEM, case)
    lon, lat = to_lonlat(0.1, 1.9)
    assert (case.channel, case.description, case.grid, case.lon, case.lat, case.created_by, case.reported_at) == (
        Channel.GRID_APP,
        PROBLEM,
        a.grid,
        lon,
        lat,
        people.worker,
        NOW,
    )
    report = case.events.get(action="report")
    assert report.data["patrol"] == str(PID) and report.data["patrol_entry"] == str(PROBLEM_ID)
    # audit: the patrol, two entries, the problem's link to its case (and the case itself)
    changes = list(
        ObjectChange.objects.filter(pk__gt=audit_before)
        .order_by("pk")
        .values_list("content_type__model", "action", "grid_id")
    )
    assert changes == [
        ("patrol", "create", a.grid.pk),
        ("patrolentry", "create", a.grid.pk),
        ("patrolentry", "create", a.grid.pk),
        ("case", "create", a.grid.pk),
        ("patrolentry", "update", a.grid.pk),
    ]
    assert "route" not in ObjectChange.objects.filter(content_type__model="patrol").get().postchange_data


def test_resending_the_same_patrol_changes_nothing(people):
    submit(people.worker)
    audit = ObjectChange.objects.count()
    received = Patrol.objects.get().received_at

    again = submit(people.worker)
    third = submit(people.worker)

    assert (again.created, again.changed, third.created, third.changed) == (False, False, False, False)
    assert (Patrol.objects.count(), PatrolEntry.objects.count(), Case.objects.count()) == (1, 2, 1)
    assert ObjectChange.objects.count() == audit
    assert Patrol.objects.get().received_at == received


def test_a_resend_adds_new_points_and_entries_once_and_ends_the_patrol(people):
    early = full_payload(ended_at=None, route=[list(p) for p in ROUTE[:2]], entries=full_payload()["entries"][:1])
    first = submit(people.worker, early)
    assert (first.created, first.patrol.status, first.patrol.distance_m, first.patrol.entries.count()) == (
        True,
        PatrolStatus.OPEN,
        111,
        1,
    )

    visit = {"client_id": str(VISIT_ID), "kind": "visit", "text": "走访3幢王阿姨，身体健康", "time": iso(START)}
    later = full_payload(entries=[*full_payload()["entries"], visit])
    second = submit(people.worker, later)

    patrol = second.patrol
    assert (second.created, second.changed) == (False, True)
    assert (patrol.status, patrol.distance_m, len(patrol.route)) == (PatrolStatus.DONE, 334, 6)
    assert sorted(patrol.entries.values_list("kind", flat=True)) == ["note", "problem", "visit"]
    assert Case.objects.count() == 1
    # an older copy sent after the newer one (no end, fewer points) takes nothing away
    stale = submit(people.worker, early)
    patrol.refresh_from_db()
    assert (stale.changed, patrol.status, len(patrol.route), patrol.entries.count()) == (False, PatrolStatus.DONE, 6, 3)


def test_route_points_are_merged_in_time_order_without_exact_duplicates(people):
    submit(people.worker, full_payload(route=[list(ROUTE[0]), list(ROUTE[0]), list(ROUTE[3])], entries=[]))
    submit(people.worker, full_payload(route=[list(ROUTE[1]), list(ROUTE[3]), list(ROUTE[5])], entries=[]))

    patrol = Patrol.objects.get()
    assert [p[2] - int(T0) for p in patrol.route] == [60, 120, 240, 300]
    assert patrol.distance_m == 334


def test_a_problem_without_a_point_is_reported_in_the_patrols_grid(people):
    entry = {"client_id": str(PROBLEM_ID), "kind": "problem", "text": PROBLEM, "time": iso(START)}
    submit(people.worker, full_payload(entries=[entry]))

    case = Case.objects.get()
    assert (case.grid, case.lon, case.lat, case.channel) == (people.tree.a.grid, None, None, Channel.GRID_APP)


def test_a_problem_at_a_point_outside_the_workers_grids_is_reported_in_the_patrols_grid(people):
    lon, lat = to_lonlat(2.5, 1.9)  # grid b
    entry = {
        "client_id": str(PROBLEM_ID),
        "kind": "problem",
        "text": PROBLEM,
        "time": iso(START),
        "lon": lon,
        "lat": lat,
    }
    submit(people.worker, full_payload(entries=[entry]))

    case = Case.objects.get()
    entry = PatrolEntry.objects.get()
    assert (case.grid, case.lon, entry.lon, entry.lat, entry.case) == (people.tree.a.grid, None, lon, lat, case)


def test_a_case_that_cannot_be_made_is_retried_on_the_next_resend(people, monkeypatch):
    from gongzhi.cases import services as cases

    real = cases.report_case

    def refuse(**kwargs):
        raise ValidationError({"description": ["暂时无法上报"]})

    monkeypatch.setattr(cases, "report_case", refuse)
    first = submit(people.worker)
    assert first.case_errors == {str(PROBLEM_ID): ["暂时无法上报"]}
    assert (PatrolEntry.objects.get(client_id=PROBLEM_ID).case, Case.objects.count()) == (None, 0)

    monkeypatch.setattr(cases, "report_case", real)
    second = submit(people.worker)
    again = submit(people.worker)
    assert (second.case_errors, second.changed, again.changed) == ({}, True, False)
    assert PatrolEntry.objects.get(client_id=PROBLEM_ID).case == Case.objects.get()


def test_start_and_end_are_idempotent(people):
    started = patrols.start_patrol(worker=people.worker, client_id=PID, started_at=START, now=START)
    again = patrols.start_patrol(worker=people.worker, client_id=str(PID), started_at=iso(START), now=START)
    assert (started.pk, started.grid, started.status, started.ended_at) == (again.pk, people.tree.a.grid, "open", None)

    end = START + datetime.timedelta(minutes=125)
    ended = patrols.end_patrol(worker=people.worker, client_id=PID, ended_at=end, now=NOW + datetime.timedelta(hours=1))
    assert (ended.status, ended.ended_at, ended.duration_minutes) == (PatrolStatus.DONE, end, 125)
    patrols.end_patrol(worker=people.worker, client_id=PID, ended_at=end, now=NOW + datetime.timedelta(hours=1))
    with pytest.raises(ValidationError) as exc:
        patrols.end_patrol(worker=people.worker, client_id=PID, ended_at=end + datetime.timedelta(minutes=1), now=NOW)
    assert errors_of(exc) == {"ended_at": ["本次巡查已结束，结束时间不能更改。"]}
    assert Patrol.objects.get().ended_at == end


# -- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"client_id": "abc"}, {"client_id": ["编号应为 UUID。"]}),
        ({"started_at": None}, {"started_at": ["请填写时间。"]}),
        (
            {"started_at": "昨天早上"},
            {"started_at": ["时间格式不正确，应为 ISO 8601（如 2026-12-01T09:30:00+08:00）。"]},
        ),
        (
            {"started_at": iso(NOW + datetime.timedelta(minutes=6)), "ended_at": None},
            {"started_at": ["开始时间不能晚于当前时间。"]},
        ),
        ({"ended_at": iso(START - datetime.timedelta(minutes=1))}, {"ended_at": ["结束时间不能早于开始时间。"]}),
        ({"ended_at": iso(NOW + datetime.timedelta(minutes=10))}, {"ended_at": ["结束时间不能晚于当前时间。"]}),
        ({"route": "120.19,30.23"}, {"route": ["轨迹应为点的列表：[[经度, 纬度, 时间, 精度], …]。"]}),
        ({"route": [[120.19, "北纬30", T0 + 60, 5]]}, {"route": ["第 1 个轨迹点的经纬度、时间和精度必须是数字。"]}),
        ({"route": [[120.19, 30.23]]}, {"route": ["第 1 个轨迹点应为 [经度, 纬度, 时间, 精度]。"]}),
        (
            {"route": [[30.23, 120.19, T0 + 60, 5]]},
            {"route": ["第 1 个轨迹点超出中国范围（经度 73–136，纬度 3–54）。"]},
        ),
        ({"route": [[120.19, 30.23, T0 - 3600, 5]]}, {"route": ["第 1 个轨迹点的时间不在本次巡查的起止时间之内。"]}),
        (
            {"route": [[120.19, 30.23, T0 + 120, 5], [120.19, 30.231, T0 + 60, 5]]},
            {"route": ["第 2 个轨迹点的时间早于前一个点：轨迹应按时间顺序排列。"]},
        ),
        ({"route": [[120.19, 30.23, T0 + 60, -1]]}, {"route": ["第 1 个轨迹点的精度不能为负数。"]}),
        (
            {"entries": [{"client_id": str(NOTE_ID), "kind": "gossip", "text": "x", "time": iso(START)}]},
            {"entries": ["第 1 条记录：未知的记录类型“gossip”。"]},
        ),
        (
            {"entries": [{"client_id": str(NOTE_ID), "kind": "note", "text": "  ", "time": iso(START)}]},
            {"entries": ["第 1 条记录：请填写内容。"]},
        ),
        (
            {"entries": [{"client_id": "x", "kind": "note", "text": "有", "time": iso(START)}]},
            {"entries": ["第 1 条记录：编号应为 UUID。"]},
        ),
        (
            {"entries": [{"client_id": str(NOTE_ID), "text": "有", "time": iso(NOW + datetime.timedelta(hours=1))}]},
            {"entries": ["第 1 条记录：时间不在本次巡查的起止时间之内。"]},
        ),
        (
            {"entries": [{"client_id": str(NOTE_ID), "text": "有", "time": iso(START), "lon": 120.19}]},
            {"entries": ["第 1 条记录：经度和纬度应同时填写。"]},
        ),
        ({"note": "长" * 2001}, {"note": ["巡查小结不能超过 2000 字。"]}),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_written(people, overrides, errors):
    audit = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as exc:
        submit(people.worker, **overrides)
    assert errors_of(exc) == errors
    written = (Patrol.objects.count(), PatrolEntry.objects.count(), Case.objects.count())
    assert written == (0, 0, 0)
    assert ObjectChange.objects.count() == audit


def test_a_resend_cannot_change_the_start_or_the_grid(people):
    submit(people.worker)
    with pytest.raises(ValidationError) as exc:
        submit(people.worker, started_at=iso(START + datetime.timedelta(minutes=1)), grid=people.tree.b.grid.pk)
    assert errors_of(exc) == {"grid": ["巡查开始后不能更换网格。"], "started_at": ["开始时间与已保存的不一致。"]}


def test_scope_and_permission(people):
    a, b = people.tree.a, people.tree.b
    # another grid's worker cannot patrol grid a, even when naming it
    with pytest.raises(ValidationError) as exc:
        submit(people.worker_b, grid=a.grid.pk)
    assert errors_of(exc) == {"grid": ["您不能在该网格巡查（不在您的辖区内或网格已撤销）。"]}
    # signed in without grids.patrol: a street administrator, or no role at all
    for user in (people.street_admin, people.nobody):
        with pytest.raises(PermissionDenied):
            submit(user)
    assert Patrol.objects.count() == 0
    # the client_id of another worker's patrol is not taken over
    submit(people.worker)
    with pytest.raises(ValidationError) as exc:
        submit(people.worker_b)
    assert errors_of(exc) == {"client_id": ["该巡查编号已被他人使用。"]}
    assert Patrol.objects.get().worker == people.worker
    # default grids: the grid-worker assignment; the only grid of a community worker's community
    assert patrols.default_grid(people.worker) == a.grid
    assert patrols.default_grid(people.worker_b) == b.grid
    assert patrols.default_grid(people.community_worker) == a.grid
    assert patrols.default_grid(people.street_admin) is None


def test_a_retired_grid_cannot_be_patrolled(people):
    from gongzhi.territory.models import Grid

    Grid.objects.filter(pk=people.tree.a.grid.pk).update(retired_on=datetime.date(2026, 11, 1))
    with pytest.raises(ValidationError) as exc:
        submit(people.worker)
    assert errors_of(exc) == {"grid": ["请选择巡查的网格。"]}


# -- photos ---------------------------------------------------------------------------------------------


def photo(content=PNG, name="p.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def test_an_entry_photo_is_kept_once_and_a_problems_photo_reaches_its_case(people):
    submit(people.worker)
    note = PatrolEntry.objects.get(client_id=NOTE_ID)
    stored, created = patrols.attach_entry_photo(worker=people.worker, entry=note, photo=photo(), now=NOW)
    assert created is True and stored.photo.name.startswith("patrols/2026/12/")
    again, created = patrols.attach_entry_photo(worker=people.worker, entry=note, photo=photo(), now=NOW)
    assert (created, again.photo.name) == (False, stored.photo.name)

    problem = PatrolEntry.objects.get(client_id=PROBLEM_ID)
    patrols.attach_entry_photo(worker=people.worker, entry=problem, photo=photo(), now=NOW)
    (attachment,) = Attachment.objects.filter(case=problem.case)
    assert (attachment.content_type, attachment.event.action, attachment.event.note) == (
        "image/png",
        "comment",
        "巡查现场照片",
    )


def test_a_photo_is_refused_from_another_user_or_when_not_an_image(people):
    submit(people.worker)
    note = PatrolEntry.objects.get(client_id=NOTE_ID)
    with pytest.raises(PermissionDenied):
        patrols.attach_entry_photo(worker=people.community_worker, entry=note, photo=photo(), now=NOW)
    with pytest.raises(ValidationError) as exc:
        patrols.attach_entry_photo(worker=people.worker, entry=note, photo=photo(b"not an image"), now=NOW)
    assert errors_of(exc) == {"photo": ["照片应为 JPEG、PNG、WebP 或 GIF 图片。"]}
    note.refresh_from_db()
    assert not note.photo


# -- distance (pure) -----------------------------------------------------------------------------------


def test_distance_counts_good_steps_only():
    assert patrols.route_distance_m(ROUTE) == 334
    assert patrols.route_distance_m([]) == 0
    assert patrols.route_distance_m(ROUTE[:1]) == 0
    # accuracy: 100 m still counts, 100.1 m does not
    step = [[120.19, 30.230, 0, 5], [120.19, 30.231, 60, 100]]
    assert patrols.route_distance_m(step) == 111
    assert patrols.route_distance_m([step[0], [120.19, 30.231, 60, 100.1]]) == 0
    # speed: 111.195 m in 13.35 s is 29.98 km/h (counts); in 13.3 s it is 30.1 km/h (a jump)
    assert patrols.route_distance_m([[120.19, 30.230, 0, 5], [120.19, 30.231, 13.35, 5]]) == 111
    assert patrols.route_distance_m([[120.19, 30.230, 0, 5], [120.19, 30.231, 13.3, 5]]) == 0
    # a point without accuracy counts; a step in no time is a jump
    assert patrols.route_distance_m([[120.19, 30.230, 0, None], [120.19, 30.231, 60, None]]) == 111
    assert patrols.route_distance_m([[120.19, 30.230, 0, 5], [120.19, 30.231, 0, 5]]) == 0


# -- hours against the standard (pure) --------------------------------------------------------------------


def at(day, hour, minute=0):
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=SH)


def walk(start, end, distance=0, problems=0, worker=7):
    return patrols.Walk(worker, start, end, distance, problems)


# Tue 1: two overlapping patrols 08:00–09:30 and 09:00–10:30 → 150 min once (met).
# Wed 2: 08:00–09:00 → 60 min. Thu 3: 23:00 to Fri 4 01:00 → 60 min each day.
# Sat 5, Sun 6: nothing. Mon 7 (today, 12:00): a patrol open since 11:00 → 60 min so far.
DECEMBER = [
    walk(at(1, 8), at(1, 9, 30), 1200, 1),
    walk(at(1, 9), at(1, 10, 30), 800),
    walk(at(2, 8), at(2, 9), 500, 2),
    walk(at(3, 23), at(4, 1), 900),
    walk(at(7, 11), None, 300),
    walk(at(2, 8), at(2, 12), 9999, worker=8),  # someone else's
]
WEEKDAY = lambda day: day.weekday() < 5  # noqa: E731


def test_day_figures_count_overlaps_once_and_split_at_midnight():
    mine = DECEMBER[:5]
    now = at(7, 12)
    one = patrols.day_figures(mine, datetime.date(2026, 12, 1), standard=120, now=now)
    assert (one.minutes, one.count, one.distance_m, one.problems, one.met, one.shortfall) == (150, 2, 2000, 1, True, 0)
    three = patrols.day_figures(mine, datetime.date(2026, 12, 3), standard=120, now=now)
    four = patrols.day_figures(mine, datetime.date(2026, 12, 4), standard=120, now=now)
    assert (three.minutes, three.count, four.minutes, four.count) == (60, 1, 60, 0)
    today = patrols.day_figures(mine, datetime.date(2026, 12, 7), standard=120, now=now)
    assert (today.minutes, today.count, today.met) == (60, 1, False)


def test_month_figures_against_the_standard_on_working_days():
    month = patrols.month_figures(
        DECEMBER, worker_id=7, year=2026, month=12, standard=120, now=at(7, 12), is_due=WEEKDAY
    )
    assert [(d.day.day, d.minutes) for d in month.days] == [
        (1, 150),
        (2, 60),
        (3, 60),
        (4, 60),
        (5, 0),
        (6, 0),
        (7, 60),
    ]
    assert (month.minutes, month.count, month.distance_m, month.problems) == (390, 5, 3700, 3)
    # due: Tue 1 – Fri 4 (the weekend is not due, today is not over): short 60 + 60 + 60
    assert (month.days_met, month.due_days, month.shortfall_minutes) == (1, 4, 180)
    assert (month.hours_label, month.shortfall_label, month.distance_km) == ("6:30", "3:00", 3.7)


def test_month_figures_every_day_due_and_another_standard():
    month = patrols.month_figures(DECEMBER, worker_id=7, year=2026, month=12, standard=60, now=at(7, 12))
    assert (month.days_met, month.due_days, month.shortfall_minutes) == (5, 6, 120)
    past = patrols.month_figures(DECEMBER, worker_id=7, year=2026, month=11, standard=120, now=at(7, 12))
    assert (len(past.days), past.minutes, past.due_days, past.shortfall_minutes) == (30, 0, 30, 3600)
    future = patrols.month_figures(DECEMBER, worker_id=7, year=2027, month=1, standard=120, now=at(7, 12))
    assert (future.days, future.due_days, future.shortfall_minutes) == ([], 0, 0)


def test_an_open_patrol_counts_until_now_and_at_most_a_day():
    forgotten = [walk(at(1, 8), None)]
    assert patrols.seconds_by_day(forgotten, at(1, 9, 30)) == {datetime.date(2026, 12, 1): 5400.0}
    assert patrols.seconds_by_day(forgotten, at(5, 0)) == {
        datetime.date(2026, 12, 1): 16 * 3600.0,
        datetime.date(2026, 12, 2): 8 * 3600.0,
    }


def make_patrol(worker, grid, start, minutes, cid=None):
    return Patrol.objects.create(
        client_id=cid or uuid.uuid4(),
        worker=worker,
        grid=grid,
        community_id=grid.community_id,
        street_id=grid.street_id,
        district_id=grid.district_id,
        started_at=start,
        ended_at=start + datetime.timedelta(minutes=minutes),
        status=PatrolStatus.DONE,
        distance_m=1000,
    )


def test_hours_report_lists_every_worker_in_scope_against_the_districts_standard(people):
    a, b = people.tree.a, people.tree.b
    GridStandard.objects.create(district=people.tree.district, patrol_minutes=90)
    make_patrol(people.worker, a.grid, at(1, 8), 100)
    make_patrol(people.community_worker, a.grid, at(2, 14), 30)
    make_patrol(people.worker_b, b.grid, at(1, 8), 120)

    rows = patrols.hours_report(people.street_admin, year=2026, month=12, now=at(3, 12), is_due=WEEKDAY)
    got = [
        (
            r.worker.username,
            r.grids,
            r.figures.standard,
            r.figures.minutes,
            r.figures.days_met,
            r.figures.shortfall_minutes,
        )
        for r in rows
    ]
    # due: Tue 1 and Wed 2. the worker: 0 + 90 short; the community worker: 90 + 60 short
    assert got == [
        ("shegong", ["测试1社区第1网格"], 90, 30, 0, 150),
        ("wangge", ["测试1社区第1网格"], 90, 100, 1, 90),
    ]
    # grid b's worker sees grid b only: themselves, 120 minutes on Tue 1 (met) and nothing on Wed 2
    rows_b = patrols.hours_report(people.worker_b, year=2026, month=12, now=at(3, 12), is_due=WEEKDAY)
    assert [
        (r.worker.username, r.figures.standard, r.figures.minutes, r.figures.shortfall_minutes) for r in rows_b
    ] == [("wangge-b", 90, 120, 90)]


# -- the API --------------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


LIST = "/api/grids/patrols/"


def test_post_creates_201_then_a_resend_answers_200_with_the_same_patrol(people, clock):
    first = api(people.worker).post(LIST, full_payload(), format="json")
    assert first.status_code == 201, first.json()
    second = api(people.worker).post(LIST, full_payload(), format="json")
    assert second.status_code == 200
    assert second.json() == first.json()
    body = first.json()
    patrol = Patrol.objects.get()
    assert first["Location"] == f"http://testserver/api/grids/patrols/{PID}/"
    assert (body["id"], body["client_id"], body["status"], body["distance_m"], body["route_points"]) == (
        patrol.pk,
        str(PID),
        "done",
        334,
        6,
    )
    assert (body["entry_count"], body["problem_count"], body["case_errors"]) == (2, 1, {})
    assert body["route"]["type"] == "LineString"
    assert body["route"]["coordinates"][:2] == [[120.19, 30.23], [120.19, 30.231]]
    features = body["entries"]["features"]
    assert [f["properties"]["kind"] for f in features] == ["note", "problem"]
    assert features[0]["geometry"] is None
    assert features[1]["geometry"] == {"type": "Point", "coordinates": list(to_lonlat(0.1, 1.9))}
    assert features[1]["properties"]["case_number"] == Case.objects.get().number
    assert body["page_url"] == f"/grids/patrols/{patrol.pk}/"


def test_post_refuses_anonymous_no_patrol_role_and_bad_input(people, clock):
    assert api().post(LIST, full_payload(), format="json").status_code == 401
    assert api(people.nobody).post(LIST, full_payload(), format="json").status_code == 403
    assert api(people.street_admin).post(LIST, full_payload(), format="json").status_code == 403
    bad = api(people.worker).post(LIST, full_payload(route=[[30.23, 120.19, T0, 5]], note=5), format="json")
    assert bad.status_code == 400
    assert bad.json() == {"note": ["巡查小结应为文字。"]}
    outside = api(people.worker_b).post(LIST, full_payload(grid=people.tree.a.grid.pk), format="json")
    assert (outside.status_code, outside.json()) == (
        400,
        {"grid": ["您不能在该网格巡查（不在您的辖区内或网格已撤销）。"]},
    )
    form = api(people.worker).post(LIST, {"client_id": str(PID)})
    assert form.status_code == 415
    assert Patrol.objects.count() == 0


def test_detail_matrix_and_scoped_list(people, clock):
    submit(people.worker)
    url = reverse("grids-patrol-detail", args=[PID])
    check_matrix(url, api=True, in_scope=people.community_worker, out_of_scope=people.worker_b, no_role=people.nobody)
    assert api(people.worker).get(url).status_code == 200
    assert api().get(LIST).status_code == 401
    assert api(people.nobody).get(LIST).status_code == 403
    assert api(people.worker_b).get(LIST).json()["results"] == []
    rows = api(people.street_admin).get(LIST).json()["results"]
    assert [(r["client_id"], r["worker_name"], r["grid_name"], r["duration_minutes"]) for r in rows] == [
        (str(PID), "wangge", "测试1社区第1网格", 90)
    ]
    assert api(people.street_admin).get(LIST, {"date_from": "2026-12-02"}).json()["results"] == []
    assert len(api(people.street_admin).get(LIST, {"grid": people.tree.a.grid.pk}).json()["results"]) == 1
    assert api(people.street_admin).get(LIST, {"date_from": "明天"}).status_code == 400


def test_list_query_count_does_not_grow_with_patrols(people, clock, django_assert_max_num_queries):
    for hour in range(8, 14):
        make_patrol(people.worker, people.tree.a.grid, at(1, hour), 30)
    client = api(people.street_admin)
    client.get(LIST)  # warm the session
    with django_assert_max_num_queries(6):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 6


def test_photo_upload_and_download(people, clock):
    submit(people.worker)
    url = reverse("grids-patrol-entry-photo", args=[PID, NOTE_ID])
    assert api(people.worker).get(url).status_code == 404  # no photo yet
    created = api(people.worker).post(url, {"photo": photo()}, format="multipart")
    assert created.status_code == 201, created.json()
    assert created.json()["photo_url"] == f"/api/grids/patrols/{PID}/entries/{NOTE_ID}/photo/"
    assert api(people.worker).post(url, {"photo": photo()}, format="multipart").status_code == 200
    download = api(people.community_worker).get(url)
    assert (download.status_code, b"".join(download.streaming_content)) == (200, PNG)
    # seen but not one's own: 403; not seen: 404; not an image: 400
    assert api(people.community_worker).post(url, {"photo": photo()}, format="multipart").status_code == 403
    assert api(people.worker_b).get(url).status_code == 404
    problem = reverse("grids-patrol-entry-photo", args=[PID, PROBLEM_ID])
    refused = api(people.worker).post(problem, {"photo": photo(b"GIF")}, format="multipart")
    assert (refused.status_code, refused.json()) == (400, {"photo": ["照片应为 JPEG、PNG、WebP 或 GIF 图片。"]})
    missing = api(people.worker).post(problem, {}, format="multipart")
    assert (missing.status_code, missing.json()) == (400, {"photo": ["请选择照片。"]})


# -- the pages ------------------------------------------------------------------------------------------


def page(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_pages_matrix(people):
    submit(people.worker)
    patrol = Patrol.objects.get()
    url = reverse("grids:patrol-detail", args=[patrol.pk])
    check_matrix(url, in_scope=people.street_admin, out_of_scope=people.worker_b, no_role=people.nobody)
    for name in ("grids:patrol-list", "grids:patrol-hours"):
        assert page().get(reverse(name)).status_code == 302
        assert page(people.nobody).get(reverse(name)).status_code == 403
        assert page(people.street_admin).get(reverse(name)).status_code == 200
    walk_url = reverse("grids:patrol-walk")
    assert page(people.street_admin).get(walk_url).status_code == 403
    walk_page = page(people.worker).get(walk_url)
    assert walk_page.status_code == 200
    assert walk_page.context["grid_data"]["default"] == people.tree.a.grid.pk
    assert [g["id"] for g in walk_page.context["grid_data"]["grids"]] == [people.tree.a.grid.pk]


def test_detail_page_shows_the_route_and_entries(people):
    submit(people.worker)
    patrol = Patrol.objects.get()
    response = page(people.street_admin).get(reverse("grids:patrol-detail", args=[patrol.pk]))
    html = response.content.decode()
    assert response.context["map_data"]["route"] == patrol.route
    assert (response.context["route_points"], response.context["rough_points"], response.context["problems"]) == (
        6,
        1,
        1,
    )
    assert "gz-patrol-data" in html and "334 米" in html
    case = Case.objects.get()
    assert f"已转事项 {case.number}" in html
    assert f'href="/cases/{case.pk}/"' in html  # the street admin sees the case


def test_list_page_filters_and_exports(people):
    from openpyxl import load_workbook

    a, b = people.tree.a, people.tree.b
    submit(people.worker)
    make_patrol(people.worker_b, b.grid, at(2, 8), 45)
    district_admin = user_with(Role.DISTRICT_ADMIN, people.tree.district, "quji")
    client = page(district_admin)
    assert len(client.get(reverse("grids:patrol-list")).context["rows"]) == 2
    assert [p.grid for p in client.get(reverse("grids:patrol-list"), {"grid": b.grid.pk}).context["rows"]] == [b.grid]
    assert len(client.get(reverse("grids:patrol-list"), {"date_to": "2026-12-01"}).context["rows"]) == 1
    assert len(client.get(reverse("grids:patrol-list"), {"worker": people.worker.pk}).context["rows"]) == 1
    bad = client.get(reverse("grids:patrol-list"), {"date_from": "someday"})
    assert bad.status_code == 200 and "已忽略" in bad.content.decode()

    export = client.get(reverse("grids:patrol-list"), {"export": "xlsx", "grid": a.grid.pk})
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("开始时间", "结束时间", "巡查人", "网格")
    assert rows[1] == (
        "2026-12-01 08:00",
        "2026-12-01 09:30",
        "wangge",
        "测试1社区第1网格",
        "测试1社区",
        "已结束",
        90,
        334,
        2,
        1,
        "巡查正常",
    )
    assert len(rows) == 2


def test_hours_page_and_export(people, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(3, 12))
    make_patrol(people.worker, people.tree.a.grid, at(1, 8), 130)
    client = page(people.street_admin)
    response = client.get(reverse("grids:patrol-hours"), {"month": "2026-12", "worker": people.worker.pk})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.worker.username, r.figures.minutes, r.figures.days_met, r.figures.due_days) for r in rows] == [
        ("wangge", 130, 1, 2)
    ]
    assert [d.minutes for d in response.context["days"]] == [0, 0, 130]
    export = client.get(reverse("grids:patrol-hours"), {"month": "2026-12", "export": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.content)).active
    assert list(sheet.iter_rows(values_only=True))[1] == (
        "wangge",
        "测试1社区第1网格",
        120,
        130,
        2.17,
        1,
        1000,
        0,
        1,
        2,
        120,
    )
    # a month that is not a month falls back to the current one
    assert client.get(reverse("grids:patrol-hours"), {"month": "2026-13"}).context["month"] == "2026-12"


def test_list_page_query_count_does_not_grow_with_patrols(people, django_assert_max_num_queries):
    for hour in range(8, 20):
        make_patrol(people.worker, people.tree.a.grid, at(1, hour), 30)
    client = page(people.street_admin)
    client.get(reverse("grids:patrol-list"))
    with django_assert_max_num_queries(8):  # session, user, assignments, count, rows, grids, workers
        response = client.get(reverse("grids:patrol-list"))
    assert len(response.context["rows"]) == 12
