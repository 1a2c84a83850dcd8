"""Visit frequency and due dates, at the boundaries."""

import datetime

import pytest

from gongzhi.care import rules

D = datetime.date


@pytest.mark.parametrize(
    ("risk", "last", "due"),
    [
        ("high", D(2026, 11, 1), D(2026, 11, 8)),
        ("key", D(2026, 11, 1), D(2026, 12, 1)),
        ("ordinary", D(2026, 11, 1), D(2027, 1, 30)),
        ("high", None, D(2026, 10, 8)),  # never visited: counted from the opening date
    ],
)
def test_next_due(risk, last, due):
    assert rules.next_due(D(2026, 10, 1), last, risk) == due


def test_configured_intervals_win():
    assert rules.next_due(D(2026, 10, 1), None, "high", {"high": 3, "key": 10, "ordinary": 20}) == D(2026, 10, 4)


@pytest.mark.parametrize(
    ("today", "days"), [(D(2026, 11, 7), 0), (D(2026, 11, 8), 0), (D(2026, 11, 9), 1), (D(2026, 12, 8), 30)]
)
def test_overdue_days(today, days):
    assert rules.overdue_days(D(2026, 11, 8), today) == days
