"""SLA clocks on the working calendar, at the boundaries. Pure: no database, no clock.

2026-03-02 is a Monday; March 2026 has no public holiday. The office hours are 08:30–12:00 and 13:30–17:30.
"""

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from gongzhi.cases import sla
from gongzhi.cases.choices import DurationUnit, Priority, SlaPhase, SlaState
from gongzhi.cases.sla import (
    CN_HOLIDAYS_2026,
    CN_WORKDAYS_2026,
    DEFAULT_POLICIES,
    Deadlines,
    Duration,
    Policy,
    WorkCalendar,
    china_calendar,
    compute_deadlines,
    deadline,
    default_policy,
    resume_deadline,
    sla_state,
)

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date
T = datetime.time
H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)
PLAIN = WorkCalendar()  # Monday to Friday, no holidays
CN = china_calendar()  # with the 2026 holidays and 调休 days


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime.datetime:
    """A moment of 2026 in Shanghai."""
    return datetime.datetime(2026, month, day, hour, minute, second, micro, tzinfo=SH)


MON, TUE, WED, FRI, SAT, SUN = 2, 3, 4, 6, 7, 8  # the week of 2 March 2026
NEXT_MON = 9


def in_office_or_at_period_end(cal: WorkCalendar, dt: datetime.datetime) -> bool:
    local = dt.astimezone(cal.tz)
    if not cal.is_workday(local.date()):
        return False
    return any(start < local.timetz().replace(tzinfo=None) <= end for start, end in cal.periods)


# -- the calendar itself -------------------------------------------------------------------------------------------


def test_default_calendar_is_the_chinese_office_week():
    cal = WorkCalendar()
    assert cal.periods == ((T(8, 30), T(12, 0)), (T(13, 30), T(17, 30)))
    assert cal.weekend == frozenset({5, 6})
    assert cal.holidays == frozenset()
    assert cal.workdays == frozenset()
    assert cal.tz == ZoneInfo("Asia/Shanghai")
    assert PLAIN.work_time_between(at(3, MON), at(3, TUE)) == datetime.timedelta(hours=7, minutes=30)


def test_calendar_freezes_lists_and_sets():
    cal = WorkCalendar(
        periods=[[T(9), T(12)], [T(13), T(18)]],  # type: ignore[arg-type]
        weekend={6},  # type: ignore[arg-type]
        holidays=[D(2026, 3, 3)],  # type: ignore[arg-type]
        workdays={D(2026, 3, 8)},  # type: ignore[arg-type]
    )
    assert cal.periods == ((T(9), T(12)), (T(13), T(18)))
    assert cal.weekend == frozenset({6})
    assert cal.holidays == frozenset({D(2026, 3, 3)})
    assert cal.workdays == frozenset({D(2026, 3, 8)})
    assert hash(cal) == hash(
        WorkCalendar(
            periods=((T(9), T(12)), (T(13), T(18))),
            weekend=frozenset({6}),
            holidays=frozenset({D(2026, 3, 3)}),
            workdays=frozenset({D(2026, 3, 8)}),
        )
    )


def test_calendar_adjacent_periods_are_allowed():
    cal = WorkCalendar(periods=((T(8), T(12)), (T(12), T(16))))
    assert cal.add_work_time(at(3, MON, 11), 2 * H) == at(3, MON, 13)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"periods": ()}, "at least one office period"),
        ({"periods": ((T(9), T(9)),)}, "must start before it ends"),
        ({"periods": ((T(12), T(9)),)}, "must start before it ends"),
        ({"periods": ((T(13), T(17)), (T(8), T(12)))}, "in order and must not overlap"),
        ({"periods": ((T(8), T(12)), (T(11), T(17)))}, "in order and must not overlap"),
        ({"periods": ((T(8), T(12)), (T(8), T(12)))}, "in order and must not overlap"),
        ({"periods": ((T(8), T(12), T(13)),)}, "a \\(start, end\\) pair"),
        ({"periods": (("08:30", "12:00"),)}, "pairs of datetime.time"),
        ({"periods": ((T(8, tzinfo=SH), T(12, tzinfo=SH)),)}, "without tzinfo"),
        ({"weekend": frozenset({7})}, "weekday numbers"),
        ({"weekend": frozenset({-1})}, "weekday numbers"),
        ({"holidays": frozenset({at(3, MON)})}, "are dates"),
        ({"holidays": frozenset({D(2026, 3, 7)}), "workdays": frozenset({D(2026, 3, 7)})}, "both holiday and workday"),
        ({"tz": "Asia/Shanghai"}, "must be a time zone"),
    ],
)
def test_calendar_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WorkCalendar(**kwargs)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 3, 2), True),  # Monday
        (D(2026, 3, 6), True),  # Friday
        (D(2026, 3, 7), False),  # Saturday
        (D(2026, 3, 8), False),  # Sunday
        (D(2026, 10, 1), False),  # 国庆节, a Thursday
        (D(2026, 10, 3), False),  # 国庆节, a Saturday
        (D(2026, 10, 5), False),  # bridged Monday of 国庆节
        (D(2026, 10, 8), True),  # back to work on Thursday
        (D(2026, 9, 20), True),  # Sunday worked for 国庆节 (调休)
        (D(2026, 10, 10), True),  # Saturday worked for 国庆节 (调休)
        (D(2026, 1, 4), True),  # Sunday worked for 元旦
        (D(2026, 2, 14), True),  # Saturday worked for 春节
        (D(2026, 2, 16), False),  # 除夕, a Monday
        (D(2026, 4, 6), False),  # 清明节, a Monday
        (D(2026, 5, 9), True),  # Saturday worked for 劳动节
        (D(2026, 6, 19), False),  # 端午节, a Friday
        (D(2026, 9, 25), False),  # 中秋节, a Friday
    ],
)
def test_is_workday_china_2026(day, expected):
    assert CN.is_workday(day) is expected


def test_is_workday_plain_calendar_ignores_holidays():
    assert PLAIN.is_workday(D(2026, 10, 1)) is True
    assert PLAIN.is_workday(D(2026, 9, 20)) is False


def test_is_workday_of_a_datetime_uses_the_local_date():
    # given Friday 17:00 UTC, which is already Saturday 01:00 in Shanghai
    friday_evening_utc = datetime.datetime(2026, 3, 6, 17, 0, tzinfo=datetime.UTC)
    # then it stands for the Saturday, a rest day
    assert PLAIN.is_workday(friday_evening_utc) is False
    assert PLAIN.is_workday(datetime.datetime(2026, 3, 6, 1, 0, tzinfo=datetime.UTC)) is True


def test_custom_weekend_and_single_period():
    # given a six-day week with one long period
    cal = WorkCalendar(periods=((T(9), T(18)),), weekend=frozenset({6}))
    # then Saturday counts and the day ends at 18:00
    assert cal.is_workday(D(2026, 3, 7)) is True
    assert cal.add_work_time(at(3, FRI, 17), 2 * H) == at(3, SAT, 10)
    assert cal.add_work_days(at(3, FRI, 10), 1) == at(3, SAT, 18)
    assert cal.add_work_days(at(3, SAT, 10), 1) == at(3, NEXT_MON, 18)


# -- next_work_moment ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (at(3, MON, 0, 0), at(3, MON, 8, 30)),
        (at(3, MON, 8, 29, 59, 999999), at(3, MON, 8, 30)),
        (at(3, MON, 8, 30), at(3, MON, 8, 30)),  # inside: itself
        (at(3, MON, 10, 17, 3, 5), at(3, MON, 10, 17, 3, 5)),
        (at(3, MON, 11, 59, 59, 999999), at(3, MON, 11, 59, 59, 999999)),
        (at(3, MON, 12, 0), at(3, MON, 13, 30)),  # periods are half-open: 12:00 is lunch
        (at(3, MON, 12, 45), at(3, MON, 13, 30)),
        (at(3, MON, 13, 29), at(3, MON, 13, 30)),
        (at(3, MON, 13, 30), at(3, MON, 13, 30)),
        (at(3, MON, 17, 29), at(3, MON, 17, 29)),
        (at(3, MON, 17, 30), at(3, TUE, 8, 30)),
        (at(3, MON, 23, 0), at(3, TUE, 8, 30)),
        (at(3, FRI, 17, 30), at(3, NEXT_MON, 8, 30)),
        (at(3, SAT, 10, 0), at(3, NEXT_MON, 8, 30)),
        (at(3, SUN, 23, 59), at(3, NEXT_MON, 8, 30)),
    ],
)
def test_next_work_moment(dt, expected):
    assert PLAIN.next_work_moment(dt) == expected


def test_next_work_moment_over_holidays_and_make_up_days():
    assert CN.next_work_moment(at(9, 30, 17, 30)) == at(10, 8, 8, 30)  # 国庆节 1–7 October
    assert CN.next_work_moment(at(9, 19, 9, 0)) == at(9, 20, 8, 30)  # Saturday → the Sunday worked
    assert CN.next_work_moment(at(10, 9, 18, 0)) == at(10, 10, 8, 30)  # Friday night → the Saturday worked
    assert CN.next_work_moment(at(2, 14, 17, 30)) == at(2, 24, 8, 30)  # 春节 15–23 February


def test_next_work_moment_returns_the_calendar_zone():
    # given 00:30 UTC, which is 08:30 in Shanghai
    result = PLAIN.next_work_moment(datetime.datetime(2026, 3, 2, 0, 30, tzinfo=datetime.UTC))
    assert result == at(3, MON, 8, 30)
    assert result.tzinfo == SH


# -- add_work_time ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        (at(3, MON, 8, 30), H, at(3, MON, 9, 30)),  # at the opening
        (at(3, MON, 8, 30), 3.5 * H, at(3, MON, 12, 0)),  # exactly the morning: due at 12:00, not 13:30
        (at(3, MON, 8, 30), 3.5 * H + M, at(3, MON, 13, 31)),
        (at(3, MON, 8, 30), 7.5 * H, at(3, MON, 17, 30)),  # exactly one day
        (at(3, MON, 8, 30), 7.5 * H + M, at(3, TUE, 8, 31)),
        (at(3, MON, 7, 0), H, at(3, MON, 9, 30)),  # before hours: counting starts at 08:30
        (at(3, MON, 11, 0), 2 * H, at(3, MON, 14, 30)),  # across lunch
        (at(3, MON, 11, 59), M, at(3, MON, 12, 0)),
        (at(3, MON, 11, 59), 2 * M, at(3, MON, 13, 31)),
        (at(3, MON, 12, 0), H, at(3, MON, 14, 30)),  # at 12:00: lunch
        (at(3, MON, 12, 45), H, at(3, MON, 14, 30)),  # during lunch
        (at(3, MON, 13, 30), H, at(3, MON, 14, 30)),
        (at(3, MON, 16, 30), 2 * H, at(3, TUE, 9, 30)),  # across the night
        (at(3, MON, 17, 29), H, at(3, TUE, 9, 29)),  # one minute before closing
        (at(3, MON, 17, 29), M, at(3, MON, 17, 30)),
        (at(3, MON, 17, 30), H, at(3, TUE, 9, 30)),  # at closing
        (at(3, MON, 20, 0), H, at(3, TUE, 9, 30)),  # after hours
        (at(3, FRI, 16, 30), 2 * H, at(3, NEXT_MON, 9, 30)),  # across the weekend
        (at(3, SAT, 10, 0), H, at(3, NEXT_MON, 9, 30)),  # reported on Saturday
        (at(3, MON, 9, 0, 30), datetime.timedelta(seconds=45), at(3, MON, 9, 1, 15)),
        (at(3, MON, 8, 30), 37.5 * H, at(3, FRI, 17, 30)),  # a whole week
        (at(3, MON, 8, 30), 37.5 * H + M, at(3, NEXT_MON, 8, 31)),
        # 200 hours from Monday 09:00: 7 h on Monday, 25 whole days (187.5 h) to Monday 6 April, 5.5 h on Tuesday
        (at(3, MON, 9, 0), 200 * H, at(4, 7, 15, 30)),
    ],
)
def test_add_work_time(start, amount, expected):
    result = PLAIN.add_work_time(start, amount)
    assert result == expected
    assert result.tzinfo == SH


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        (at(9, 30, 16, 30), 2 * H, at(10, 8, 9, 30)),  # 国庆节 1–7 October skipped
        (at(10, 3, 10, 0), H, at(10, 8, 9, 30)),  # reported during the holiday
        (at(9, 18, 17, 0), H, at(9, 20, 9, 0)),  # Friday → the Sunday worked (调休)
        (at(9, 19, 10, 0), H, at(9, 20, 9, 30)),  # Saturday → the Sunday worked
        (at(10, 9, 17, 0), H, at(10, 10, 9, 0)),  # Friday → the Saturday worked
        (at(2, 13, 17, 0), H, at(2, 14, 9, 0)),  # Friday → the Saturday worked before 春节
        (at(2, 14, 17, 0), H, at(2, 24, 9, 0)),  # 春节 15–23 February skipped
        (at(4, 30, 17, 0), H, at(5, 6, 9, 0)),  # 劳动节 1–5 May skipped
        (at(12, 31, 17, 0), H, datetime.datetime(2027, 1, 1, 9, 0, tzinfo=SH)),  # 2027 is not in the constants
    ],
)
def test_add_work_time_china_2026(start, amount, expected):
    assert CN.add_work_time(start, amount) == expected


def test_add_work_time_zero_returns_start_unchanged():
    # decided: nothing owed → due at once, even outside office hours (no jump to the next working moment)
    assert PLAIN.add_work_time(at(3, SAT, 10, 0), datetime.timedelta(0)) == at(3, SAT, 10, 0)
    assert PLAIN.add_work_time(at(3, MON, 12, 30), datetime.timedelta(0)) == at(3, MON, 12, 30)
    utc_start = datetime.datetime(2026, 3, 7, 2, 0, tzinfo=datetime.UTC)
    result = PLAIN.add_work_time(utc_start, datetime.timedelta(0))
    assert result == utc_start
    assert result.tzinfo == SH


def test_add_work_time_negative_is_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        PLAIN.add_work_time(at(3, MON, 9), -M)


def test_add_work_time_accepts_any_zone_and_answers_in_the_calendar_zone():
    # given Monday 00:30 UTC = 08:30 Shanghai, and the same instant in Tokyo
    utc = datetime.datetime(2026, 3, 2, 0, 30, tzinfo=datetime.UTC)
    tokyo = utc.astimezone(ZoneInfo("Asia/Tokyo"))
    # then both count from 08:30 Shanghai time
    for start in (utc, tokyo):
        result = PLAIN.add_work_time(start, H)
        assert result == at(3, MON, 9, 30)
        assert result.tzinfo == SH
        assert (result.hour, result.minute) == (9, 30)


def test_calendar_in_another_zone():
    # given a calendar kept in Europe/Berlin and a start given in Shanghai time (16:00 = 09:00 Berlin, CET)
    berlin = ZoneInfo("Europe/Berlin")
    cal = WorkCalendar(tz=berlin)
    result = cal.add_work_time(at(3, MON, 16, 0), H)
    # then the office hours are Berlin's
    assert result == datetime.datetime(2026, 3, 2, 10, 0, tzinfo=berlin)
    assert result.tzinfo == berlin


def test_daylight_saving_change_counts_elapsed_time():
    # given Berlin switches to summer time on Sunday 29 March 2026 at 02:00 (clocks jump to 03:00)
    berlin = ZoneInfo("Europe/Berlin")
    cal = WorkCalendar(periods=((T(0, 0), T(23, 59)),), weekend=frozenset(), tz=berlin)
    start = datetime.datetime(2026, 3, 29, 1, 0, tzinfo=berlin)
    # when two working hours are added across the jump
    result = cal.add_work_time(start, 2 * H)
    # then two real hours have passed: 01:00 CET + 2 h = 04:00 CEST
    assert result == datetime.datetime(2026, 3, 29, 4, 0, tzinfo=berlin)
    assert result - start == 3 * H  # same-zone subtraction is wall-clock; the instants are 2 h apart
    assert result.astimezone(datetime.UTC) - start.astimezone(datetime.UTC) == 2 * H
    assert cal.work_time_between(start, result) == 2 * H
    # and a natural deadline is elapsed time, too
    assert deadline(start, Duration(2, DurationUnit.NATURAL_HOURS), cal) == result


# -- subtract_work_time -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "amount", "expected"),
    [
        (at(3, MON, 9, 30), H, at(3, MON, 8, 30)),
        (at(3, MON, 14, 30), 2 * H, at(3, MON, 11, 0)),  # across lunch
        (at(3, MON, 13, 30), 3.5 * H, at(3, MON, 8, 30)),  # exactly the morning: the period's start
        (at(3, TUE, 9, 0), H, at(3, MON, 17, 0)),  # across the night
        (at(3, NEXT_MON, 9, 0), 1.5 * H, at(3, FRI, 16, 30)),  # across the weekend
        (at(3, SAT, 12, 0), H, at(3, FRI, 16, 30)),  # from a rest day
        (at(3, MON, 12, 45), H, at(3, MON, 11, 0)),  # from lunch
    ],
)
def test_subtract_work_time(end, amount, expected):
    assert PLAIN.subtract_work_time(end, amount) == expected


def test_subtract_work_time_zero_and_negative():
    assert PLAIN.subtract_work_time(at(3, SAT, 12, 0), datetime.timedelta(0)) == at(3, SAT, 12, 0)
    with pytest.raises(ValueError, match="must not be negative"):
        PLAIN.subtract_work_time(at(3, MON, 9), -M)


def test_subtract_work_time_over_national_day():
    assert CN.subtract_work_time(at(10, 8, 9, 0), H) == at(9, 30, 17, 0)


# -- work_time_between --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (at(3, MON, 9), at(3, MON, 9), datetime.timedelta(0)),
        (at(3, MON, 10), at(3, MON, 9), datetime.timedelta(0)),  # b before a
        (at(3, MON, 8, 30), at(3, MON, 17, 30), 7.5 * H),
        (at(3, MON, 0, 0), at(3, TUE, 0, 0), 7.5 * H),
        (at(3, MON, 12, 0), at(3, MON, 13, 30), datetime.timedelta(0)),  # lunch
        (at(3, MON, 11, 0), at(3, MON, 14, 0), 1.5 * H),
        (at(3, MON, 17, 30), at(3, TUE, 8, 30), datetime.timedelta(0)),  # night
        (at(3, FRI, 17, 0), at(3, NEXT_MON, 9, 0), H),  # weekend
        (at(3, SAT, 0, 0), at(3, NEXT_MON, 0, 0), datetime.timedelta(0)),
        (at(3, MON, 0, 0), at(3, NEXT_MON, 0, 0), 37.5 * H),
        (at(3, MON, 9, 0, 0, 1), at(3, MON, 9, 0, 0, 3), datetime.timedelta(microseconds=2)),
    ],
)
def test_work_time_between(a, b, expected):
    assert PLAIN.work_time_between(a, b) == expected


def test_work_time_between_china_2026():
    # 30 September and 8 October; 1–7 October are 国庆节
    assert CN.work_time_between(at(9, 30, 0, 0), at(10, 9, 0, 0)) == 15 * H
    # Saturday 19 September is a rest day, Sunday 20 September is worked
    assert CN.work_time_between(at(9, 19, 0, 0), at(9, 21, 0, 0)) == 7.5 * H
    # the whole of 2026: 365 days − 104 weekend days − 19 holiday weekdays + 6 调休 days = 248 working days
    assert CN.work_time_between(at(1, 1), datetime.datetime(2027, 1, 1, tzinfo=SH)) == 248 * 7.5 * H


def test_work_time_between_mixed_zones():
    # given a in UTC and b in Shanghai: 01:00 UTC = 09:00 Shanghai
    a = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)
    assert PLAIN.work_time_between(a, at(3, MON, 10, 0)) == H


def test_work_time_is_consistent_with_add_and_subtract_over_random_starts():
    """Property: for many seeded random starts (on and off the hour, holidays included) and amounts,
    adding then measuring gives the amount back, and subtracting mirrors adding."""
    rng = random.Random(20260302)
    year_start = at(1, 1)
    for _ in range(600):
        start = year_start + datetime.timedelta(minutes=rng.randrange(0, 360 * 24 * 60), seconds=rng.randrange(60))
        amount = datetime.timedelta(minutes=rng.randrange(1, 200 * 60))
        # when working time is added
        end = CN.add_work_time(start, amount)
        # then exactly that much working time lies between, and the end is inside office hours (or at a close)
        assert CN.work_time_between(start, end) == amount, (start, amount)
        assert in_office_or_at_period_end(CN, end), (start, amount, end)
        assert end > start
        # and subtracting it from the end never goes back before the start
        back = CN.subtract_work_time(end, amount)
        assert CN.work_time_between(back, end) == amount, (start, amount)
        assert start <= back
        assert CN.work_time_between(start, back) == datetime.timedelta(0)
        # and the working time up to any later moment, added again, reaches no later than that moment
        later = start + datetime.timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
        reached = CN.add_work_time(start, CN.work_time_between(start, later))
        assert reached <= later
        assert CN.work_time_between(reached, later) == datetime.timedelta(0)


# -- add_work_days ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (at(3, FRI, 10, 0), 1, at(3, NEXT_MON, 17, 30)),  # counted from the day after receipt
        (at(3, MON, 10, 0), 1, at(3, TUE, 17, 30)),
        (at(3, MON, 0, 0), 1, at(3, TUE, 17, 30)),  # before hours: still from the next day
        (at(3, MON, 8, 0), 1, at(3, TUE, 17, 30)),
        (at(3, MON, 17, 30), 1, at(3, TUE, 17, 30)),
        (at(3, MON, 20, 0), 1, at(3, TUE, 17, 30)),  # after hours
        (at(3, MON, 23, 59, 59), 1, at(3, TUE, 17, 30)),
        (at(3, FRI, 20, 0), 1, at(3, NEXT_MON, 17, 30)),
        (at(3, SAT, 10, 0), 1, at(3, NEXT_MON, 17, 30)),  # reported on the weekend
        (at(3, SUN, 10, 0), 1, at(3, NEXT_MON, 17, 30)),
        (at(3, MON, 10, 0), 7, at(3, 11, 17, 30)),  # Tue 3 … Wed 11 March
        (at(3, MON, 10, 0), 15, at(3, 23, 17, 30)),
        (at(3, FRI, 10, 0), 7, at(3, 17, 17, 30)),
        (at(3, FRI, 10, 0), 15, at(3, 27, 17, 30)),
        # n = 0, "当日": the working day of the next working moment
        (at(3, MON, 10, 0), 0, at(3, MON, 17, 30)),
        (at(3, MON, 7, 0), 0, at(3, MON, 17, 30)),
        (at(3, MON, 17, 29), 0, at(3, MON, 17, 30)),
        (at(3, MON, 17, 30), 0, at(3, TUE, 17, 30)),
        (at(3, FRI, 18, 0), 0, at(3, NEXT_MON, 17, 30)),
        (at(3, SAT, 10, 0), 0, at(3, NEXT_MON, 17, 30)),
    ],
)
def test_add_work_days(start, n, expected):
    result = PLAIN.add_work_days(start, n)
    assert result == expected
    assert result.tzinfo == SH


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 7 working days from Wednesday 30 September: Oct 8, 9, 10 (Saturday worked), 12, 13, 14, 15
        (at(9, 30, 10, 0), 7, at(10, 15, 17, 30)),
        (at(9, 30, 10, 0), 1, at(10, 8, 17, 30)),
        (at(10, 3, 10, 0), 1, at(10, 8, 17, 30)),  # reported during the holiday
        (at(10, 7, 23, 0), 1, at(10, 8, 17, 30)),  # the last night of the holiday
        (at(10, 9, 10, 0), 1, at(10, 10, 17, 30)),  # Friday → the Saturday worked
        (at(9, 19, 10, 0), 1, at(9, 20, 17, 30)),  # Saturday → the Sunday worked
        (at(9, 18, 10, 0), 2, at(9, 21, 17, 30)),  # Sun 20 (worked), Mon 21
        # 15 working days from Friday 13 February: Feb 14 (Saturday worked), 24, 25, 26, 27, 28 (Saturday worked),
        # March 2, 3, 4, 5, 6, 9, 10, 11, 12
        (at(2, 13, 10, 0), 15, at(3, 12, 17, 30)),
        (at(4, 30, 10, 0), 1, at(5, 6, 17, 30)),  # 劳动节 1–5 May
        (at(5, 8, 10, 0), 1, at(5, 9, 17, 30)),  # the Saturday worked after 劳动节
        (at(12, 31, 10, 0), 1, datetime.datetime(2027, 1, 1, 17, 30, tzinfo=SH)),  # 2027 is not in the constants
        (at(10, 3, 10, 0), 0, at(10, 8, 17, 30)),
    ],
)
def test_add_work_days_china_2026(start, n, expected):
    assert CN.add_work_days(start, n) == expected


def test_add_work_days_counts_local_dates():
    # given Monday 18:00 UTC, which is already Tuesday 02:00 in Shanghai
    start = datetime.datetime(2026, 3, 2, 18, 0, tzinfo=datetime.UTC)
    # then the first working day after receipt is Wednesday
    assert PLAIN.add_work_days(start, 1) == at(3, WED, 17, 30)


@pytest.mark.parametrize(("n", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_add_work_days_refuses_bad_counts(n, error):
    with pytest.raises(error):
        PLAIN.add_work_days(at(3, MON, 10), n)


# -- efficiency and calendars without working time ----------------------------------------------------------------


@dataclass(frozen=True)
class CountingCalendar(WorkCalendar):
    calls: list[datetime.date] = field(default_factory=list, compare=False, hash=False)

    def is_workday(self, day: datetime.date) -> bool:
        self.calls.append(day)
        return super().is_workday(day)


def test_long_amounts_walk_by_day_not_by_minute():
    cal = CountingCalendar()
    # 200 working hours (27 working days) look at about 40 days
    assert cal.add_work_time(at(3, MON, 9, 0), 200 * H) == at(4, 7, 15, 30)
    assert len(cal.calls) == 37
    cal.calls.clear()
    # 15 working days look at 21 days
    assert cal.add_work_days(at(3, FRI, 10, 0), 15) == at(3, 27, 17, 30)
    assert len(cal.calls) == 21
    cal.calls.clear()
    assert cal.work_time_between(at(3, MON), at(4, 7, 15, 30)) == 200.5 * H  # Monday from 00:00, so 0.5 h more
    assert len(cal.calls) == 37


def test_calendar_without_working_days_gives_up():
    # given every day is a rest day
    cal = WorkCalendar(weekend=frozenset(range(7)))
    # then every walk forward or backward stops with ValueError instead of looping forever
    with pytest.raises(ValueError, match="no working day within 3700 days"):
        cal.add_work_time(at(3, MON, 9), H)
    with pytest.raises(ValueError, match="no working day within 3700 days"):
        cal.subtract_work_time(at(3, MON, 9), H)
    with pytest.raises(ValueError, match="no working day within 3700 days"):
        cal.add_work_days(at(3, MON, 9), 1)
    with pytest.raises(ValueError, match="no working day within 3700 days"):
        cal.next_work_moment(at(3, MON, 9))
    # and measuring simply finds no working time
    assert cal.work_time_between(at(3, MON), at(3, NEXT_MON)) == datetime.timedelta(0)


def test_calendar_running_out_of_listed_workdays_gives_up():
    # given only two listed days are worked
    cal = WorkCalendar(weekend=frozenset(range(7)), workdays=frozenset({D(2026, 3, 7), D(2026, 3, 8)}))
    # then the listed days count, and asking for more than they hold fails
    assert cal.add_work_days(at(3, MON, 9), 2) == at(3, SUN, 17, 30)
    assert cal.add_work_time(at(3, MON, 9), 15 * H) == at(3, SUN, 17, 30)
    with pytest.raises(ValueError, match="no working day"):
        cal.add_work_days(at(3, MON, 9), 3)


def test_a_long_gap_between_working_days_is_not_an_error():
    # given a single working day 3,000 days after a start on a calendar otherwise all rest
    far = D(2026, 3, 2) + datetime.timedelta(days=3000)
    cal = WorkCalendar(weekend=frozenset(range(7)), workdays=frozenset({far}))
    # then it is found
    assert cal.add_work_days(at(3, MON, 9), 1) == datetime.datetime.combine(far, T(17, 30), tzinfo=SH)


# -- naive datetimes ----------------------------------------------------------------------------------------------

NAIVE = datetime.datetime(2026, 3, 2, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: PLAIN.next_work_moment(NAIVE),
        lambda: PLAIN.add_work_time(NAIVE, H),
        lambda: PLAIN.add_work_time(NAIVE, datetime.timedelta(0)),
        lambda: PLAIN.subtract_work_time(NAIVE, H),
        lambda: PLAIN.work_time_between(NAIVE, at(3, MON, 10)),
        lambda: PLAIN.work_time_between(at(3, MON, 8), NAIVE),
        lambda: PLAIN.add_work_days(NAIVE, 1),
        lambda: PLAIN.add_work_days(NAIVE, 0),
        lambda: PLAIN.is_workday(NAIVE),
        lambda: deadline(NAIVE, Duration(1, DurationUnit.NATURAL_HOURS), PLAIN),
        lambda: deadline(NAIVE, Duration(1, DurationUnit.WORK_HOURS), PLAIN),
        lambda: compute_deadlines(NAIVE, default_policy(Priority.NORMAL), PLAIN),
        lambda: sla_state(at(3, MON, 10), NAIVE, started=at(3, MON, 8)),
        lambda: sla_state(NAIVE, at(3, MON, 9), started=at(3, MON, 8)),
        lambda: sla_state(at(3, MON, 10), at(3, MON, 9), started=NAIVE),
        lambda: sla_state(None, NAIVE, started=at(3, MON, 8)),
        lambda: resume_deadline(NAIVE, at(3, MON, 9), at(3, MON, 10), DurationUnit.WORK_HOURS, PLAIN),
        lambda: resume_deadline(at(3, MON, 9), NAIVE, at(3, MON, 10), DurationUnit.NATURAL_HOURS, PLAIN),
        lambda: resume_deadline(at(3, MON, 9), at(3, MON, 9), NAIVE, DurationUnit.NATURAL_HOURS, PLAIN),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call()


def test_non_datetimes_are_refused():
    with pytest.raises(TypeError, match="must be a datetime"):
        PLAIN.add_work_time(D(2026, 3, 2), H)  # type: ignore[arg-type]


# -- Duration and deadline ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(1, DurationUnit.WORK_HOURS), "1工作小时"),
        (Duration(7, DurationUnit.WORK_DAYS), "7工作日"),
        (Duration(2, DurationUnit.NATURAL_HOURS), "2小时"),
        (Duration(15, DurationUnit.NATURAL_MINUTES), "15分钟"),
        (Duration(3, DurationUnit.NATURAL_DAYS), "3自然日"),
        (Duration(0, DurationUnit.WORK_DAYS), "0工作日"),
    ],
)
def test_duration_text(duration, text):
    assert str(duration) == text


def test_duration_accepts_unit_codes_and_refuses_bad_amounts():
    assert Duration(7, "work_days") == Duration(7, DurationUnit.WORK_DAYS)  # type: ignore[arg-type]
    assert Duration(7, "work_days").unit is DurationUnit.WORK_DAYS  # type: ignore[arg-type]
    assert Duration(1, DurationUnit.WORK_HOURS).is_work_time is True
    assert Duration(1, DurationUnit.WORK_DAYS).is_work_time is True
    assert Duration(1, DurationUnit.NATURAL_DAYS).is_work_time is False
    with pytest.raises(ValueError, match="must not be negative"):
        Duration(-1, DurationUnit.NATURAL_HOURS)
    with pytest.raises(TypeError):
        Duration(1.5, DurationUnit.NATURAL_HOURS)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Duration(1, "weeks")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (at(3, FRI, 17, 50), Duration(15, DurationUnit.NATURAL_MINUTES), at(3, FRI, 18, 5)),
        (at(3, FRI, 23, 30), Duration(2, DurationUnit.NATURAL_HOURS), at(3, SAT, 1, 30)),
        (at(3, FRI, 10, 0), Duration(3, DurationUnit.NATURAL_DAYS), at(3, 9, 10, 0)),
        (at(3, FRI, 17, 0), Duration(1, DurationUnit.WORK_HOURS), at(3, NEXT_MON, 9, 0)),
        (at(3, FRI, 10, 0), Duration(1, DurationUnit.WORK_DAYS), at(3, NEXT_MON, 17, 30)),
        (at(3, SAT, 10, 0), Duration(0, DurationUnit.WORK_HOURS), at(3, SAT, 10, 0)),
        (at(3, SAT, 10, 0), Duration(0, DurationUnit.NATURAL_MINUTES), at(3, SAT, 10, 0)),
    ],
)
def test_deadline(start, duration, expected):
    result = deadline(start, duration, PLAIN)
    assert result == expected
    assert result.tzinfo == SH


def test_natural_deadlines_ignore_the_calendar():
    # 24 natural hours from the evening before 国庆节 end during the holiday
    assert deadline(at(9, 30, 20, 0), Duration(24, DurationUnit.NATURAL_HOURS), CN) == at(10, 1, 20, 0)


# -- policies -----------------------------------------------------------------------------------------------------


def test_default_policies_exactly():
    natural_min, natural_hour = DurationUnit.NATURAL_MINUTES, DurationUnit.NATURAL_HOURS
    work_hour, work_day = DurationUnit.WORK_HOURS, DurationUnit.WORK_DAYS
    assert dict(DEFAULT_POLICIES) == {
        "emergency": Policy(
            Duration(15, natural_min), Duration(15, natural_min), Duration(1, natural_hour), Duration(2, natural_hour)
        ),
        "urgent": Policy(
            Duration(30, natural_min), Duration(1, natural_hour), Duration(4, natural_hour), Duration(24, natural_hour)
        ),
        "normal": Policy(
            Duration(1, work_hour), Duration(2, work_hour), Duration(24, natural_hour), Duration(7, work_day)
        ),
        "complex": Policy(
            Duration(1, work_hour), Duration(2, work_hour), Duration(24, natural_hour), Duration(15, work_day)
        ),
    }
    assert set(DEFAULT_POLICIES) == set(Priority.values)


def test_default_policies_are_read_only():
    with pytest.raises(TypeError):
        DEFAULT_POLICIES["normal"] = DEFAULT_POLICIES["urgent"]  # type: ignore[index]


def test_default_policy_lookup():
    assert default_policy(Priority.NORMAL) is DEFAULT_POLICIES["normal"]
    assert default_policy("complex") is DEFAULT_POLICIES["complex"]
    with pytest.raises(ValueError):
        default_policy("whenever")


def test_policy_for_phase():
    policy = default_policy(Priority.COMPLEX)
    assert policy.for_phase(SlaPhase.DISPATCH) == Duration(1, DurationUnit.WORK_HOURS)
    assert policy.for_phase(SlaPhase.ACCEPT) == Duration(2, DurationUnit.WORK_HOURS)
    assert policy.for_phase("plan") == Duration(24, DurationUnit.NATURAL_HOURS)
    assert policy.for_phase(SlaPhase.RESOLVE) == Duration(15, DurationUnit.WORK_DAYS)


# Reported Friday 6 March 2026 at 16:00, dispatched 20 minutes later (NORMAL/COMPLEX: at 17:00).
@pytest.mark.parametrize(
    ("priority", "dispatched_at", "expected"),
    [
        (
            Priority.EMERGENCY,
            at(3, FRI, 16, 10),
            Deadlines(
                dispatch_due=at(3, FRI, 16, 15),
                resolve_due=at(3, FRI, 18, 0),
                accept_due=at(3, FRI, 16, 25),
                plan_due=at(3, FRI, 17, 10),
            ),
        ),
        (
            Priority.URGENT,
            at(3, FRI, 16, 20),
            Deadlines(
                dispatch_due=at(3, FRI, 16, 30),
                resolve_due=at(3, SAT, 16, 0),  # 24 natural hours: the weekend does not stop it
                accept_due=at(3, FRI, 17, 20),
                plan_due=at(3, FRI, 20, 20),
            ),
        ),
        (
            Priority.NORMAL,
            at(3, FRI, 17, 0),
            Deadlines(
                dispatch_due=at(3, FRI, 17, 0),  # 1 working hour from 16:00
                resolve_due=at(3, 17, 17, 30),  # 7 working days: Mar 9–13, 16, 17
                accept_due=at(3, NEXT_MON, 10, 0),  # 2 working hours: 17:00–17:30, then 08:30–10:00
                plan_due=at(3, SAT, 17, 0),  # 24 natural hours
            ),
        ),
        (
            Priority.COMPLEX,
            at(3, FRI, 17, 0),
            Deadlines(
                dispatch_due=at(3, FRI, 17, 0),
                resolve_due=at(3, 27, 17, 30),  # 15 working days: Mar 9–13, 16–20, 23–27
                accept_due=at(3, NEXT_MON, 10, 0),
                plan_due=at(3, SAT, 17, 0),
            ),
        ),
    ],
)
def test_compute_deadlines_per_priority(priority, dispatched_at, expected):
    policy = default_policy(priority)
    reported_at = at(3, FRI, 16, 0)
    # when the deadlines are computed at the report and after the dispatch
    at_report = compute_deadlines(reported_at, policy, CN)
    after_dispatch = compute_deadlines(reported_at, policy, CN, dispatched_at=dispatched_at)
    # then
    assert at_report == Deadlines(dispatch_due=expected.dispatch_due, resolve_due=expected.resolve_due)
    assert at_report.accept_due is None
    assert at_report.plan_due is None
    assert after_dispatch == expected
    assert sla.accept_due(dispatched_at, policy, CN) == expected.accept_due
    assert sla.plan_due(dispatched_at, policy, CN) == expected.plan_due


def test_compute_deadlines_normal_over_national_day():
    # given an ordinary matter reported on the last afternoon before 国庆节
    policy = default_policy(Priority.NORMAL)
    result = compute_deadlines(at(9, 30, 17, 0), policy, CN, dispatched_at=at(9, 30, 17, 20))
    # then
    assert result == Deadlines(
        dispatch_due=at(10, 8, 9, 0),  # 30 minutes on 30 September, 30 minutes on 8 October
        resolve_due=at(10, 15, 17, 30),  # Oct 8, 9, 10 (Saturday worked), 12, 13, 14, 15
        accept_due=at(10, 8, 10, 20),  # 10 minutes on 30 September, 1 h 50 min on 8 October
        plan_due=at(10, 1, 17, 20),
    )


def test_deadlines_for_phase():
    result = compute_deadlines(at(3, FRI, 16, 0), default_policy(Priority.EMERGENCY), CN)
    assert result.for_phase(SlaPhase.DISPATCH) == at(3, FRI, 16, 15)
    assert result.for_phase("resolve") == at(3, FRI, 18, 0)
    assert result.for_phase(SlaPhase.ACCEPT) is None
    assert result.for_phase(SlaPhase.PLAN) is None


# -- sla_state ----------------------------------------------------------------------------------------------------


# A clock started 08:00 and due 16:00: span 8 h, so "due soon" is the last 2 h (a quarter).
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(3, MON, 7, 0), SlaState.ON_TIME),  # before it started
        (at(3, MON, 8, 0), SlaState.ON_TIME),
        (at(3, MON, 13, 59, 59, 999999), SlaState.ON_TIME),
        (at(3, MON, 14, 0), SlaState.DUE_SOON),  # exactly 2 h left
        (at(3, MON, 15, 59), SlaState.DUE_SOON),
        (at(3, MON, 16, 0), SlaState.DUE_SOON),  # at the deadline: not yet overdue
        (at(3, MON, 16, 0, 0, 1), SlaState.OVERDUE),
        (at(3, TUE, 9, 0), SlaState.OVERDUE),
    ],
)
def test_sla_state_long_clock(now, expected):
    assert sla_state(at(3, MON, 16, 0), now, started=at(3, MON, 8, 0)) is expected


# A clock of 1 h: a quarter is 15 minutes, so the 30-minute minimum applies.
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(3, MON, 10, 29, 59), SlaState.ON_TIME),
        (at(3, MON, 10, 30), SlaState.DUE_SOON),
        (at(3, MON, 11, 0), SlaState.DUE_SOON),
        (at(3, MON, 11, 0, 1), SlaState.OVERDUE),
    ],
)
def test_sla_state_short_clock_uses_the_thirty_minute_minimum(now, expected):
    assert sla_state(at(3, MON, 11, 0), now, started=at(3, MON, 10, 0)) is expected


def test_sla_state_at_the_crossover_of_quarter_and_minimum():
    # a 2-hour clock: a quarter is exactly 30 minutes
    due, started = at(3, MON, 12, 0), at(3, MON, 10, 0)
    assert sla_state(due, at(3, MON, 11, 29, 59, 999999), started=started) is SlaState.ON_TIME
    assert sla_state(due, at(3, MON, 11, 30), started=started) is SlaState.DUE_SOON
    # a clock due before it started (a resumed, already overdue one) still gets the 30-minute window
    assert sla_state(at(3, MON, 10, 0), at(3, MON, 9, 30), started=at(3, MON, 11, 0)) is SlaState.DUE_SOON
    assert sla_state(at(3, MON, 10, 0), at(3, MON, 9, 29), started=at(3, MON, 11, 0)) is SlaState.ON_TIME


def test_sla_state_stopped():
    due, started = at(3, MON, 16, 0), at(3, MON, 8, 0)
    assert sla_state(due, at(3, TUE, 9, 0), started=started, stopped=True) is SlaState.STOPPED  # even if late
    assert sla_state(due, at(3, MON, 9, 0), started=started, stopped=True) is SlaState.STOPPED
    assert sla_state(None, at(3, MON, 9, 0), started=started) is SlaState.STOPPED


def test_sla_state_compares_instants_across_zones():
    # given a due time in UTC (08:00 UTC = 16:00 Shanghai)
    due = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    assert sla_state(due, at(3, MON, 16, 0), started=at(3, MON, 8, 0)) is SlaState.DUE_SOON
    assert sla_state(due, at(3, MON, 16, 1), started=at(3, MON, 8, 0)) is SlaState.OVERDUE
    assert sla_state(due, at(3, MON, 13, 0), started=at(3, MON, 8, 0)) is SlaState.ON_TIME


def test_sla_state_on_a_work_day_clock_measures_natural_time():
    # given a 7-working-day clock from Friday 16:00 (due Tuesday 17 March 17:30, 11 days 1.5 h later)
    started = at(3, FRI, 16, 0)
    due = deadline(started, Duration(7, DurationUnit.WORK_DAYS), CN)
    assert due == at(3, 17, 17, 30)
    # then the due-soon window is a quarter of the natural span: 2 days 18 h 22.5 min
    assert sla_state(due, at(3, 14, 23, 7, 29), started=started) is SlaState.ON_TIME
    assert sla_state(due, at(3, 14, 23, 7, 30), started=started) is SlaState.DUE_SOON


# -- resume_deadline ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", [DurationUnit.NATURAL_MINUTES, DurationUnit.NATURAL_HOURS, DurationUnit.NATURAL_DAYS])
def test_resume_natural_clock_keeps_the_time_left(unit):
    # given due 18:00, suspended at 17:00 with 1 h left, resumed the next morning at 09:00
    result = resume_deadline(at(3, MON, 18, 0), at(3, MON, 17, 0), at(3, TUE, 9, 0), unit, PLAIN)
    # then 1 natural hour is left
    assert result == at(3, TUE, 10, 0)
    assert result.tzinfo == SH


def test_resume_natural_clock_overdue_stays_overdue_by_the_same_amount():
    # given due 16:00, suspended at 17:00 (1 h late), resumed two days later at 09:00
    result = resume_deadline(at(3, MON, 16, 0), at(3, MON, 17, 0), at(3, WED, 9, 0), "hours", PLAIN)
    # then it is 1 h late at the resumption
    assert result == at(3, WED, 8, 0)


def test_resume_natural_clock_immediately_is_unchanged():
    assert resume_deadline(at(3, MON, 18), at(3, MON, 17), at(3, MON, 17), "minutes", PLAIN) == at(3, MON, 18)


def test_resume_work_hours_clock_keeps_the_working_time_left():
    # given due Monday 11:00, suspended Monday 09:30 (1.5 working hours left), resumed Wednesday 16:30
    result = resume_deadline(at(3, MON, 11, 0), at(3, MON, 9, 30), at(3, WED, 16, 30), DurationUnit.WORK_HOURS, PLAIN)
    # then 1 h on Wednesday and 0.5 h on Thursday
    assert result == at(3, 5, 9, 0)


def test_resume_work_days_clock_keeps_the_working_time_left():
    # given due Tuesday 17 March 17:30, suspended Thursday 12 March 10:00: 6 h that day + 3 whole days = 28.5 h
    due = at(3, 17, 17, 30)
    assert PLAIN.work_time_between(at(3, 12, 10, 0), due) == 28.5 * H
    # when resumed Monday 23 March at 10:00 (same time of day)
    result = resume_deadline(due, at(3, 12, 10, 0), at(3, 23, 10, 0), DurationUnit.WORK_DAYS, PLAIN)
    # then it ends at closing time three working days later
    assert result == at(3, 26, 17, 30)


def test_resume_work_clock_suspended_and_resumed_outside_office_hours():
    # given suspended Friday 20:00 with Monday's 7.5 h left (due Monday 17:30), resumed Saturday 10:00
    result = resume_deadline(at(3, NEXT_MON, 17, 30), at(3, FRI, 20), at(3, SAT, 10), DurationUnit.WORK_DAYS, PLAIN)
    # then nothing was used: still due Monday 17:30
    assert result == at(3, NEXT_MON, 17, 30)


def test_resume_work_clock_across_national_day():
    # given due Wednesday 30 September 17:30, suspended 30 September 15:30 (2 h left), resumed 1 October
    result = resume_deadline(at(9, 30, 17, 30), at(9, 30, 15, 30), at(10, 1, 9, 0), DurationUnit.WORK_HOURS, CN)
    # then the 2 h are worked on 8 October
    assert result == at(10, 8, 10, 30)


def test_resume_work_clock_overdue_stays_overdue_by_the_same_working_time():
    # given due Monday 9 March 17:30, suspended Tuesday 10 March 10:00: overdue by 1.5 working hours
    due, suspended, resumed = at(3, 9, 17, 30), at(3, 10, 10, 0), at(3, 16, 9, 0)
    assert PLAIN.work_time_between(due, suspended) == 1.5 * H
    # when resumed Monday 16 March 09:00
    result = resume_deadline(due, suspended, resumed, DurationUnit.WORK_HOURS, PLAIN)
    # then the new deadline is 1.5 working hours before: 0.5 h on Monday morning, 1 h on Friday afternoon
    assert result == at(3, 13, 16, 30)
    assert PLAIN.work_time_between(result, resumed) == 1.5 * H
    assert sla_state(result, resumed, started=resumed) is SlaState.OVERDUE


def test_resume_work_clock_overdue_without_working_time_is_due_at_resumption():
    # given due Friday 17:30, suspended Friday 19:00 (late, but no working time passed), resumed Monday 10:00
    result = resume_deadline(at(3, FRI, 17, 30), at(3, FRI, 19), at(3, NEXT_MON, 10), DurationUnit.WORK_DAYS, PLAIN)
    # then it is due at the resumption and overdue from the next instant
    assert result == at(3, NEXT_MON, 10)
    assert sla_state(result, at(3, NEXT_MON, 10, 0, 0, 1), started=result) is SlaState.OVERDUE


def test_resume_work_clock_suspended_exactly_at_the_deadline():
    result = resume_deadline(at(3, MON, 11), at(3, MON, 11), at(3, WED, 14), DurationUnit.WORK_HOURS, PLAIN)
    assert result == at(3, WED, 14)


def test_resume_before_suspension_is_refused():
    with pytest.raises(ValueError, match="before suspended"):
        resume_deadline(at(3, WED, 18), at(3, MON, 17), at(3, MON, 16), DurationUnit.NATURAL_HOURS, PLAIN)


def test_resume_refuses_unknown_units():
    with pytest.raises(ValueError):
        resume_deadline(at(3, WED, 18), at(3, MON, 17), at(3, MON, 18), "weeks", PLAIN)


# -- the 2026 calendar of mainland China ---------------------------------------------------------------------------


def dates(first: D, last: D) -> set[D]:
    return {first + datetime.timedelta(days=i) for i in range((last - first).days + 1)}


def test_cn_holidays_2026_exactly():
    assert (
        dates(D(2026, 1, 1), D(2026, 1, 3))
        | dates(D(2026, 2, 15), D(2026, 2, 23))
        | dates(D(2026, 4, 4), D(2026, 4, 6))
        | dates(D(2026, 5, 1), D(2026, 5, 5))
        | dates(D(2026, 6, 19), D(2026, 6, 21))
        | dates(D(2026, 9, 25), D(2026, 9, 27))
        | dates(D(2026, 10, 1), D(2026, 10, 7))
    ) == CN_HOLIDAYS_2026
    assert len(CN_HOLIDAYS_2026) == 33


def test_cn_workdays_2026_exactly_and_all_on_weekends():
    assert {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    } == CN_WORKDAYS_2026
    assert all(day.weekday() >= 5 for day in CN_WORKDAYS_2026)
    assert not CN_HOLIDAYS_2026 & CN_WORKDAYS_2026


def test_china_calendar_defaults():
    cal = china_calendar()
    assert cal.holidays == CN_HOLIDAYS_2026
    assert cal.workdays == CN_WORKDAYS_2026
    assert cal.periods == WorkCalendar().periods
    assert cal.weekend == frozenset({5, 6})
    assert cal.tz == SH


def test_china_calendar_extras_win_over_the_built_in_dates():
    # given the admin adds a local holiday and cancels one 调休 Saturday and one holiday
    cal = china_calendar(
        extra_holidays=[D(2026, 3, 9), D(2026, 10, 10)],
        extra_workdays=[D(2026, 10, 7), D(2026, 3, 7)],
    )
    # then
    assert cal.is_workday(D(2026, 3, 9)) is False  # added holiday
    assert cal.is_workday(D(2026, 10, 10)) is False  # 调休 Saturday cancelled
    assert cal.is_workday(D(2026, 10, 7)) is True  # holiday turned into a working day
    assert cal.is_workday(D(2026, 3, 7)) is True  # extra Saturday worked
    assert D(2026, 10, 10) not in cal.workdays
    assert D(2026, 10, 7) not in cal.holidays
    assert cal.is_workday(D(2026, 10, 1)) is False  # the rest is untouched
    assert cal.is_workday(D(2026, 9, 20)) is True


def test_china_calendar_contradictory_extras_are_refused():
    with pytest.raises(ValueError, match="both holiday and workday"):
        china_calendar(extra_holidays=[D(2026, 3, 9)], extra_workdays=[D(2026, 3, 9)])
