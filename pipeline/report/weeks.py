"""ISO weeks as 'YYYY-Www' strings: parse, step, and the last complete week before a moment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> date:
    """The Monday of an ISO week 'YYYY-Www'; a clear ValueError for anything else."""
    match = _WEEK.match(week or "")
    if not match:
        raise ValueError(f"week {week!r} is not an ISO week like 2026-W47")
    year, number = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as error:
        raise ValueError(f"week {week!r} does not exist: {error}") from error


def week_of(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def shift_week(week: str, weeks: int) -> str:
    return week_of(parse_week(week) + timedelta(weeks=weeks))


def week_range(last_week: str, count: int) -> list[str]:
    """The `count` weeks ending with `last_week`, oldest first."""
    if count < 1:
        raise ValueError(f"a window needs at least one week, got {count}")
    return [shift_week(last_week, -offset) for offset in range(count - 1, -1, -1)]


def week_bounds(week: str) -> tuple[date, date]:
    """First (Monday) and last (Sunday) day of the week."""
    monday = parse_week(week)
    return monday, monday + timedelta(days=6)


def last_complete_week(now: datetime | None = None) -> str:
    """The latest ISO week that ended before `now` (UTC): any day minus 7 days lies in it."""
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC)
    return week_of(now.date() - timedelta(days=7))
