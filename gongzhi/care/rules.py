"""Visit frequency by risk level, and when a visit is due. Pure functions; time is an argument.

Defaults from the seeds: high risk weekly, key monthly, ordinary quarterly (S2 二, S3 四: the
paired party member visits weekly). Each deployment may change them (settings
GONGZHI_CARE_VISIT_DAYS).
"""

from __future__ import annotations

import datetime

DEFAULT_INTERVAL_DAYS = {"high": 7, "key": 30, "ordinary": 90}


def interval_days(risk_level: str, intervals: dict[str, int] | None = None) -> int:
    return (intervals or DEFAULT_INTERVAL_DAYS)[risk_level]


def next_due(
    opened: datetime.date, last_visit: datetime.date | None, risk_level: str, intervals: dict[str, int] | None = None
) -> datetime.date:
    """The date by which the next visit must have happened: one interval after the last visit,
    or after the file was opened when nobody has visited yet."""
    return (last_visit or opened) + datetime.timedelta(days=interval_days(risk_level, intervals))


def overdue_days(due: datetime.date, today: datetime.date) -> int:
    """Days past the due date (0 when not overdue; due today is not overdue)."""
    return max(0, (today - due).days)
