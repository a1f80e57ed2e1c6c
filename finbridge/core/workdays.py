"""Working days on the official Chinese calendar, adjusted working weekends included.

Backed by the chinese-calendar package, which carries the State Council's holiday notices.
"""

from __future__ import annotations

import datetime

import chinese_calendar


def is_workday(day: datetime.date) -> bool:
    """True when `day` is an official working day (an adjusted working Saturday counts)."""
    return bool(chinese_calendar.is_workday(day))


def add_workdays(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Number of working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + datetime.timedelta(days=n)))
