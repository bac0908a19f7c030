"""Newsroom time zones and byline date formats, with daylight-saving rules written out.

The rules are computed here rather than read from the system tz database so the corpus is the
same on every machine.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone

# zone key -> (standard offset hours, summer offset hours or None, standard label, summer label,
#              first and last local hour at which the newsroom publishes)
ZONES: dict[str, tuple[int, int | None, str, str, int, int]] = {
    "US_EASTERN": (-5, -4, "ET", "ET", 7, 18),
    "CENTRAL_EUROPE": (1, 2, "CET", "CEST", 8, 21),
    "BEIJING": (8, None, "", "", 8, 23),
    "SINGAPORE": (8, None, "SGT", "SGT", 8, 23),
    "UTC": (0, None, "UTC", "UTC", 6, 21),
}
# Newsroom hours are chosen so the local calendar day equals the UTC day: a byline that shows
# only a local date still puts the story in the right ISO week.


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=n - 1)


def _last_sunday(year: int, month: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _is_summer(moment_utc: datetime, zone: str) -> bool:
    year = moment_utc.year
    if (
        zone == "US_EASTERN"
    ):  # second Sunday of March 07:00 UTC to first Sunday of November 06:00 UTC
        start = datetime.combine(_nth_sunday(year, 3, 2), time(7), UTC)
        end = datetime.combine(_nth_sunday(year, 11, 1), time(6), UTC)
    elif zone == "CENTRAL_EUROPE":  # last Sunday of March to last Sunday of October, 01:00 UTC
        start = datetime.combine(_last_sunday(year, 3), time(1), UTC)
        end = datetime.combine(_last_sunday(year, 10), time(1), UTC)
    else:
        return False
    return start <= moment_utc < end


def local_time(moment_utc: datetime, zone: str) -> tuple[datetime, str]:
    """The moment in the zone's local time (aware, fixed offset) and its label ("CET", "ET", "")."""
    standard, summer, standard_label, summer_label, _, _ = ZONES[zone]
    in_summer = summer is not None and _is_summer(moment_utc, zone)
    hours = summer if in_summer and summer is not None else standard
    label = summer_label if in_summer else standard_label
    return moment_utc.astimezone(timezone(timedelta(hours=hours))), label


def publish_moment(rng: random.Random, day: date, zone: str) -> datetime:
    """A UTC publication moment on `day` during the zone's newsroom hours."""
    _, _, _, _, first_hour, last_hour = ZONES[zone]
    local_clock = time(rng.randint(first_hour, last_hour), rng.randint(0, 59))
    noon = datetime.combine(day, time(12), UTC)
    offset = local_time(noon, zone)[0].utcoffset() or timedelta(0)
    moment = datetime.combine(day, local_clock, timezone(offset)).astimezone(UTC)
    return moment.replace(second=rng.randint(0, 59))


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Month and day names come from tables, not strftime, which follows the process locale.
_AP_MONTHS = (
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)


def ap_style(moment_utc: datetime, zone: str) -> str:
    """'Nov. 12, 2026, 9:05 a.m. ET' (US newspaper style)."""
    local, label = local_time(moment_utc, zone)
    hour = local.hour % 12 or 12
    meridiem = "a.m." if local.hour < 12 else "p.m."
    return f"{_AP_MONTHS[local.month - 1]} {local.day}, {local.year}, {hour}:{local.minute:02d} {meridiem} {label}"


def long_date(moment_utc: datetime, zone: str) -> str:
    """'November 12, 2026'."""
    local, _ = local_time(moment_utc, zone)
    return f"{_MONTHS[local.month - 1]} {local.day}, {local.year}"


def european(moment_utc: datetime, zone: str) -> str:
    """'12 November 2026, 15:05 CET'."""
    local, label = local_time(moment_utc, zone)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} {label}"


def numeric(moment_utc: datetime, zone: str) -> str:
    """'2026-11-12 22:05' (no zone label, as state-media sites print it)."""
    local, _ = local_time(moment_utc, zone)
    return local.strftime("%Y-%m-%d %H:%M")


def business(moment_utc: datetime, zone: str) -> str:
    """'Thu, Nov 12, 2026 · 10:05 pm SGT'."""
    local, label = local_time(moment_utc, zone)
    hour = local.hour % 12 or 12
    meridiem = "am" if local.hour < 12 else "pm"
    day_name = _DAY_ABBREVIATIONS[local.weekday()]
    month = _MONTHS[local.month - 1][:3]
    return f"{day_name}, {month} {local.day}, {local.year} \u00b7 {hour}:{local.minute:02d} {meridiem} {label}"


def wire_style(moment_utc: datetime, zone: str) -> str:
    """'November 12, 2026 2:05 PM UTC'."""
    local, label = local_time(moment_utc, zone)
    hour = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return f"{long_date(moment_utc, zone)} {hour}:{local.minute:02d} {meridiem} {label}"


def iso_local(moment_utc: datetime, zone: str) -> str:
    return local_time(moment_utc, zone)[0].isoformat()


def iso_utc(moment_utc: datetime) -> str:
    return moment_utc.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
