"""SLA clocks (时限) on a working calendar. Pure: no database, no clock; the time is always an argument.

Chinese time limits come in two kinds (research anchors on grid governance, §1.6 and §2.1–2.2):

* natural time (自然时): "派遣 within 15 minutes", "水电气热 within 24 hours" — plain elapsed time;
* working time (工作时/工作日): "1 工作小时", "7 个工作日" — only time inside the office hours of a
  working day counts, and "N 个工作日" is counted from the day after receipt (次日起算) and ends when the
  office closes on the N-th working day.

`WorkCalendar` knows the office hours, the weekly rest days, the public holidays (法定节假日, with their
bridged days) and the weekend days worked instead (调休上班). `deadline()` turns a start and a `Duration`
into a due time; `sla_state()` tells where a clock stands at a given `now`; `resume_deadline()` moves a
deadline after a suspension (缓办).

Conventions, all deliberate:

* Every datetime must be timezone-aware (naive ones raise ValueError). Any zone is accepted; results are
  returned in the calendar's zone (`cal.tz`).
* Durations are measured as elapsed (absolute) time: internally all arithmetic is done in UTC, and local
  dates and office hours are turned into instants with `datetime.combine(date, time, tzinfo=tz)`. Asia/Shanghai
  has no daylight-saving time, but nothing here assumes that.
* Office periods are half-open, [start, end): at 12:00 and at 17:30 no work can be done any more, so the next
  working moment after 17:30 is 08:30 on the next working day. A deadline that uses up a period exactly ends
  at the period's end (12:00, 17:30), not at the start of the next one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .choices import DurationUnit, Priority, SlaPhase, SlaState

__all__ = [
    "CN_HOLIDAYS_2026",
    "CN_WORKDAYS_2026",
    "DEFAULT_POLICIES",
    "MAX_IDLE_DAYS",
    "Deadlines",
    "Duration",
    "Policy",
    "WorkCalendar",
    "accept_due",
    "china_calendar",
    "compute_deadlines",
    "deadline",
    "default_policy",
    "plan_due",
    "resume_deadline",
    "sla_state",
]

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
ZERO = datetime.timedelta(0)
SHANGHAI = ZoneInfo("Asia/Shanghai")

#: A calendar walk gives up (ValueError) after this many consecutive days without working time: the calendar
#: then has no working days at all (e.g. every weekday is a rest day and no 调休 day is listed).
MAX_IDLE_DAYS = 3700

WORK_UNITS = frozenset({DurationUnit.WORK_HOURS, DurationUnit.WORK_DAYS})


def _utc(dt: datetime.datetime, name: str = "datetime") -> datetime.datetime:
    """The same instant in UTC; naive datetimes are refused (a deadline without a zone is a bug)."""
    if not isinstance(dt, datetime.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {dt!r}")
    return dt.astimezone(UTC)


def _range(first: datetime.date, last: datetime.date) -> frozenset[datetime.date]:
    return frozenset(first + datetime.timedelta(days=i) for i in range((last - first).days + 1))


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours and working days in one time zone.

    `periods` are the office hours of a working day (local wall-clock times, ordered, not overlapping, each
    within one day); `weekend` the weekday numbers (Monday = 0) that are rest days; `holidays` the dates that
    are rest days although they fall on a weekday (法定节假日 and bridged days; weekend dates may be listed too);
    `workdays` the dates that are working days although they fall on a weekend (调休上班). A date may not be in
    both `holidays` and `workdays`. Sets and lists are accepted and frozen.
    """

    periods: tuple[tuple[datetime.time, datetime.time], ...] = (
        (datetime.time(8, 30), datetime.time(12, 0)),
        (datetime.time(13, 30), datetime.time(17, 30)),
    )
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[datetime.date] = frozenset()
    workdays: frozenset[datetime.date] = frozenset()
    tz: ZoneInfo = field(default=SHANGHAI)

    def __post_init__(self) -> None:
        periods = tuple(tuple(p) for p in self.periods)
        if not periods:
            raise ValueError("a working calendar needs at least one office period")
        previous_end: datetime.time | None = None
        for period in periods:
            if len(period) != 2:
                raise ValueError(f"an office period is a (start, end) pair: {period!r}")
            start, end = period
            if not isinstance(start, datetime.time) or not isinstance(end, datetime.time):
                raise ValueError(f"office periods are pairs of datetime.time: {period!r}")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"office periods are local wall-clock times without tzinfo: {period!r}")
            if not start < end:
                raise ValueError(f"an office period must start before it ends: {start}–{end}")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"office periods must be in order and must not overlap: {start} < {previous_end}")
            previous_end = end
        weekend = frozenset(self.weekend)
        if not all(isinstance(day, int) and 0 <= day <= 6 for day in weekend):
            raise ValueError(f"weekend days are weekday numbers 0 (Monday) to 6 (Sunday): {sorted(weekend)!r}")
        holidays = frozenset(self.holidays)
        workdays = frozenset(self.workdays)
        if not all(isinstance(d, datetime.date) and not isinstance(d, datetime.datetime) for d in holidays | workdays):
            raise ValueError("holidays and workdays are dates")
        both = holidays & workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {', '.join(str(d) for d in sorted(both))}")
        if not isinstance(self.tz, datetime.tzinfo):
            raise ValueError(f"tz must be a time zone: {self.tz!r}")
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "weekend", weekend)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)

    # -- days ------------------------------------------------------------------------------------------------

    def is_workday(self, day: datetime.date) -> bool:
        """Whether `day` is a working day. An aware datetime stands for its local date in `tz`."""
        if isinstance(day, datetime.datetime):
            day = self.local(day).date()
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend

    def local(self, dt: datetime.datetime) -> datetime.datetime:
        """The same instant in the calendar's zone (naive datetimes raise ValueError)."""
        return _utc(dt).astimezone(self.tz)

    def _at(self, day: datetime.date, at: datetime.time) -> datetime.datetime:
        """The instant (UTC) of local wall-clock `at` on `day`."""
        return datetime.datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def _bounds(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The office periods of `day` as UTC instants (whether or not it is a working day)."""
        return [(self._at(day, start), self._at(day, end)) for start, end in self.periods]

    def _idle(self, idle: int) -> int:
        idle += 1
        if idle > MAX_IDLE_DAYS:
            raise ValueError(f"no working day within {MAX_IDLE_DAYS} days: the calendar has no working time")
        return idle

    def end_of_day(self, day: datetime.date) -> datetime.datetime:
        """When the office closes on `day` (the end of its last period), in `tz`."""
        return self._at(day, self.periods[-1][1]).astimezone(self.tz)

    # -- moments and amounts ---------------------------------------------------------------------------------

    def next_work_moment(self, dt: datetime.datetime) -> datetime.datetime:
        """The first working moment at or after `dt`: `dt` itself inside a period ([start, end)), else the start
        of the next period on a working day."""
        moment = _utc(dt)
        day = moment.astimezone(self.tz).date()
        idle = 0
        while True:
            if self.is_workday(day):
                idle = 0
                for start, end in self._bounds(day):
                    if moment < end:
                        return max(start, moment).astimezone(self.tz)
            else:
                idle = self._idle(idle)
            day += ONE_DAY

    def add_work_time(self, start: datetime.datetime, amount: datetime.timedelta) -> datetime.datetime:
        """The moment when `amount` of working time has passed since `start`.

        Only time inside office periods on working days counts; a start outside working time begins counting at
        the next working moment. An amount of zero returns `start` unchanged (in `tz`): nothing is owed, so it is
        due at once, even at night. A result that uses up a period exactly is that period's end. Negative amounts
        raise ValueError. Walks the calendar one day at a time.
        """
        moment = _utc(start, "start")
        if amount < ZERO:
            raise ValueError(f"amount of working time must not be negative: {amount}")
        if amount == ZERO:
            return moment.astimezone(self.tz)
        remaining = amount
        day = moment.astimezone(self.tz).date()
        idle = 0
        while True:
            if self.is_workday(day):
                idle = 0
                for period_start, period_end in self._bounds(day):
                    begin = max(period_start, moment)
                    if begin < period_end:
                        available = period_end - begin
                        if remaining <= available:
                            return (begin + remaining).astimezone(self.tz)
                        remaining -= available
            else:
                idle = self._idle(idle)
            day += ONE_DAY

    def subtract_work_time(self, end: datetime.datetime, amount: datetime.timedelta) -> datetime.datetime:
        """The latest moment from which `amount` of working time passes until `end` (the mirror of
        `add_work_time`). Zero returns `end` unchanged; a result that uses up a period exactly is the period's
        start. Negative amounts raise ValueError."""
        moment = _utc(end, "end")
        if amount < ZERO:
            raise ValueError(f"amount of working time must not be negative: {amount}")
        if amount == ZERO:
            return moment.astimezone(self.tz)
        remaining = amount
        day = moment.astimezone(self.tz).date()
        idle = 0
        while True:
            if self.is_workday(day):
                idle = 0
                for period_start, period_end in reversed(self._bounds(day)):
                    finish = min(period_end, moment)
                    if period_start < finish:
                        available = finish - period_start
                        if remaining <= available:
                            return (finish - remaining).astimezone(self.tz)
                        remaining -= available
            else:
                idle = self._idle(idle)
            day -= ONE_DAY

    def work_time_between(self, a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
        """The working time inside [a, b]; zero when b <= a. For amount > 0,
        `work_time_between(s, add_work_time(s, amount)) == amount`."""
        first, last = _utc(a, "a"), _utc(b, "b")
        if last <= first:
            return ZERO
        total = ZERO
        day = first.astimezone(self.tz).date()
        last_day = last.astimezone(self.tz).date()
        while day <= last_day:
            if self.is_workday(day):
                for period_start, period_end in self._bounds(day):
                    begin, finish = max(period_start, first), min(period_end, last)
                    if begin < finish:
                        total += finish - begin
            day += ONE_DAY
        return total

    def add_work_days(self, start: datetime.datetime, n: int) -> datetime.datetime:
        """Deadline of "n 个工作日", counted from the day after receipt (次日起算).

        For n >= 1: when the office closes (end of the last period) on the n-th working day strictly after the
        local date of `start`, whatever the hour of `start` and whether or not its day is a working day; e.g.
        reported Friday 10:00 (or Friday 20:00, or Saturday) with 1 working day → Monday 17:30.
        For n == 0 ("当日"): when the office closes on the working day of `next_work_moment(start)` — the same day
        if reported during office hours, else the next working day. Negative n raises ValueError.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int: {n!r}")
        if n < 0:
            raise ValueError(f"number of working days must not be negative: {n}")
        if n == 0:
            return self.end_of_day(self.next_work_moment(start).date())
        day = self.local(start).date()
        counted = idle = 0
        while counted < n:
            day += ONE_DAY
            if self.is_workday(day):
                counted += 1
                idle = 0
            else:
                idle = self._idle(idle)
        return self.end_of_day(day)


@dataclass(frozen=True)
class Duration:
    """A time limit: an amount (>= 0) in a unit, e.g. `Duration(7, DurationUnit.WORK_DAYS)` is "7工作日"."""

    amount: int
    unit: DurationUnit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"amount must be an int: {self.amount!r}")
        if self.amount < 0:
            raise ValueError(f"a time limit must not be negative: {self.amount}")
        object.__setattr__(self, "unit", DurationUnit(self.unit))

    @property
    def is_work_time(self) -> bool:
        """Counted on the working calendar (工作小时, 工作日) rather than in natural time."""
        return self.unit in WORK_UNITS

    def __str__(self) -> str:
        return f"{self.amount}{_UNIT_TEXT[self.unit]}"


_UNIT_TEXT: Mapping[DurationUnit, str] = {
    DurationUnit.NATURAL_MINUTES: "分钟",
    DurationUnit.NATURAL_HOURS: "小时",
    DurationUnit.NATURAL_DAYS: "自然日",
    DurationUnit.WORK_HOURS: "工作小时",
    DurationUnit.WORK_DAYS: "工作日",
}

_NATURAL_STEP: Mapping[DurationUnit, datetime.timedelta] = {
    DurationUnit.NATURAL_MINUTES: datetime.timedelta(minutes=1),
    DurationUnit.NATURAL_HOURS: datetime.timedelta(hours=1),
    DurationUnit.NATURAL_DAYS: datetime.timedelta(days=1),
}


def deadline(start: datetime.datetime, duration: Duration, cal: WorkCalendar) -> datetime.datetime:
    """When a clock of `duration` started at `start` is due, in `cal.tz`.

    Natural minutes, hours and days are elapsed time (a day is 24 hours; the calendar is not consulted);
    working hours go through `cal.add_work_time`, working days through `cal.add_work_days`.
    """
    if duration.unit == DurationUnit.WORK_HOURS:
        return cal.add_work_time(start, datetime.timedelta(hours=duration.amount))
    if duration.unit == DurationUnit.WORK_DAYS:
        return cal.add_work_days(start, duration.amount)
    return (_utc(start, "start") + duration.amount * _NATURAL_STEP[duration.unit]).astimezone(cal.tz)


@dataclass(frozen=True)
class Policy:
    """时限标准: the four clocks of a case. Dispatch and resolve run from the report, accept and plan from the
    dispatch."""

    dispatch: Duration
    accept: Duration
    plan: Duration
    resolve: Duration

    def for_phase(self, phase: SlaPhase | str) -> Duration:
        duration: Duration = getattr(self, SlaPhase(phase).value)
        return duration


def _d(amount: int, unit: DurationUnit) -> Duration:
    return Duration(amount, unit)


_MIN, _HOUR = DurationUnit.NATURAL_MINUTES, DurationUnit.NATURAL_HOURS
_WORK_HOUR, _WORK_DAY = DurationUnit.WORK_HOURS, DurationUnit.WORK_DAYS

#: The built-in time limits per priority (keyed by the Priority value), used when no SlaPolicy row applies.
#: Emergencies 2 h and 水电气热 24 h in natural time; ordinary 7 and complex 15 working days; dispatch within one
#: working hour and a plan within 24 hours (anchors §1.6, §2.2). Read-only.
DEFAULT_POLICIES: Mapping[str, Policy] = MappingProxyType(
    {
        Priority.EMERGENCY.value: Policy(_d(15, _MIN), _d(15, _MIN), _d(1, _HOUR), _d(2, _HOUR)),
        Priority.URGENT.value: Policy(_d(30, _MIN), _d(1, _HOUR), _d(4, _HOUR), _d(24, _HOUR)),
        Priority.NORMAL.value: Policy(_d(1, _WORK_HOUR), _d(2, _WORK_HOUR), _d(24, _HOUR), _d(7, _WORK_DAY)),
        Priority.COMPLEX.value: Policy(_d(1, _WORK_HOUR), _d(2, _WORK_HOUR), _d(24, _HOUR), _d(15, _WORK_DAY)),
    }
)


def default_policy(priority: Priority | str) -> Policy:
    """The built-in policy of a priority; an unknown priority raises ValueError."""
    return DEFAULT_POLICIES[Priority(priority).value]


@dataclass(frozen=True)
class Deadlines:
    """The due times of a case's clocks; accept and plan are None until the case is dispatched."""

    dispatch_due: datetime.datetime
    resolve_due: datetime.datetime
    accept_due: datetime.datetime | None = None
    plan_due: datetime.datetime | None = None

    def for_phase(self, phase: SlaPhase | str) -> datetime.datetime | None:
        due: datetime.datetime | None = getattr(self, f"{SlaPhase(phase).value}_due")
        return due


def accept_due(dispatched_at: datetime.datetime, policy: Policy, cal: WorkCalendar) -> datetime.datetime:
    """签收时限: counted from the dispatch."""
    return deadline(dispatched_at, policy.accept, cal)


def plan_due(dispatched_at: datetime.datetime, policy: Policy, cal: WorkCalendar) -> datetime.datetime:
    """方案时限: counted from the dispatch."""
    return deadline(dispatched_at, policy.plan, cal)


def compute_deadlines(
    reported_at: datetime.datetime,
    policy: Policy,
    cal: WorkCalendar,
    *,
    dispatched_at: datetime.datetime | None = None,
) -> Deadlines:
    """Dispatch and resolve deadlines from the report; accept and plan ones from `dispatched_at` when given."""
    return Deadlines(
        dispatch_due=deadline(reported_at, policy.dispatch, cal),
        resolve_due=deadline(reported_at, policy.resolve, cal),
        accept_due=None if dispatched_at is None else accept_due(dispatched_at, policy, cal),
        plan_due=None if dispatched_at is None else plan_due(dispatched_at, policy, cal),
    )


DUE_SOON_SHARE = 4  # the last quarter of a clock's span …
DUE_SOON_MINIMUM = datetime.timedelta(minutes=30)  # … but at least the last 30 minutes


def sla_state(
    due: datetime.datetime | None,
    now: datetime.datetime,
    *,
    started: datetime.datetime,
    stopped: bool = False,
) -> SlaState:
    """Where a clock stands at `now`.

    * STOPPED when the clock is stopped (its phase is done, or the case is suspended) or has no deadline;
    * OVERDUE when `now` is after `due` (at `due` exactly it is not yet overdue);
    * DUE_SOON when the time left, `due - now`, is at most the larger of a quarter of the clock's span
      (`due - started`) and 30 minutes — both measured in natural time, also for working-time clocks;
    * ON_TIME otherwise.
    """
    current = _utc(now, "now")
    started_at = _utc(started, "started")
    if stopped or due is None:
        return SlaState.STOPPED
    due_at = _utc(due, "due")
    if current > due_at:
        return SlaState.OVERDUE
    window = max((due_at - started_at) / DUE_SOON_SHARE, DUE_SOON_MINIMUM)
    if due_at - current <= window:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


def resume_deadline(
    due: datetime.datetime,
    suspended_at: datetime.datetime,
    resumed_at: datetime.datetime,
    unit: DurationUnit | str,
    cal: WorkCalendar,
) -> datetime.datetime:
    """The new deadline of a clock when a suspended (缓办) case resumes: the clock goes on with what was left.

    Natural units: due + (resumed_at − suspended_at), i.e. the natural time left at suspension from
    `resumed_at`; a clock already overdue at suspension stays overdue by the same natural time.
    Working units (工作小时, 工作日): the working time left at suspension, `work_time_between(suspended_at, due)`,
    is added to `resumed_at` with `add_work_time` (so a clock with nothing left is due at `resumed_at`). A clock
    already overdue at suspension stays overdue by the same *working* time:
    `subtract_work_time(resumed_at, work_time_between(due, suspended_at))` — the latest moment that is that much
    working time before the resumption (suspended after hours on the due day, it is due at `resumed_at`).
    `resumed_at` before `suspended_at` raises ValueError.
    """
    due_at = _utc(due, "due")
    suspended = _utc(suspended_at, "suspended_at")
    resumed = _utc(resumed_at, "resumed_at")
    if resumed < suspended:
        raise ValueError(f"resumed ({resumed_at}) before suspended ({suspended_at})")
    if DurationUnit(unit) not in WORK_UNITS:
        return (due_at + (resumed - suspended)).astimezone(cal.tz)
    if suspended <= due_at:
        return cal.add_work_time(resumed, cal.work_time_between(suspended, due_at))
    return cal.subtract_work_time(resumed, cal.work_time_between(due_at, suspended))


# -- the 2026 calendar of mainland China -----------------------------------------------------------------------
# 国务院办公厅关于2026年部分节假日安排的通知, as best known when this was written: CHECK IT AGAINST THE PUBLISHED
# NOTICE before relying on it. Deployments keep the calendar in the admin (节假日与调休, CalendarDay) and pass it
# through `china_calendar(extra_holidays=..., extra_workdays=...)`; these constants are only the default.
# Holidays list every day of each block, weekend days included (harmless: they are rest days anyway).
_D = datetime.date
CN_HOLIDAYS_2026: frozenset[datetime.date] = (
    _range(_D(2026, 1, 1), _D(2026, 1, 3))  # 元旦: Thu 1 – Sat 3 January
    | _range(_D(2026, 2, 15), _D(2026, 2, 23))  # 春节: Sun 15 – Mon 23 February (9 days)
    | _range(_D(2026, 4, 4), _D(2026, 4, 6))  # 清明节: Sat 4 – Mon 6 April
    | _range(_D(2026, 5, 1), _D(2026, 5, 5))  # 劳动节: Fri 1 – Tue 5 May
    | _range(_D(2026, 6, 19), _D(2026, 6, 21))  # 端午节: Fri 19 – Sun 21 June
    | _range(_D(2026, 9, 25), _D(2026, 9, 27))  # 中秋节: Fri 25 – Sun 27 September
    | _range(_D(2026, 10, 1), _D(2026, 10, 7))  # 国庆节: Thu 1 – Wed 7 October
)
CN_WORKDAYS_2026: frozenset[datetime.date] = frozenset(
    {
        _D(2026, 1, 4),  # Sunday, for 元旦
        _D(2026, 2, 14),  # Saturday, for 春节
        _D(2026, 2, 28),  # Saturday, for 春节
        _D(2026, 5, 9),  # Saturday, for 劳动节
        _D(2026, 9, 20),  # Sunday, for 国庆节
        _D(2026, 10, 10),  # Saturday, for 国庆节
    }
)


def china_calendar(
    extra_holidays: Iterable[datetime.date] = (),
    extra_workdays: Iterable[datetime.date] = (),
) -> WorkCalendar:
    """The default mainland calendar (08:30–12:00, 13:30–17:30, Monday to Friday, Asia/Shanghai) with the 2026
    holidays and 调休 days. The extras (e.g. the admin's CalendarDay rows) win over the built-in dates: an extra
    holiday removes a built-in workday and vice versa; a date in both extras raises ValueError."""
    holidays, workdays = frozenset(extra_holidays), frozenset(extra_workdays)
    return WorkCalendar(
        holidays=(CN_HOLIDAYS_2026 - workdays) | holidays,
        workdays=(CN_WORKDAYS_2026 - holidays) | workdays,
    )
