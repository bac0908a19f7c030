"""Read and check the schedule file (`seeds/schedule.toml`): when each flow runs, as cron in a timezone.

The format, with the defaults a missing key takes:

```toml
[schedule]
timezone = "UTC"               # IANA time zone the cron times are read in

[crawl]                        # crawl every source
enabled = true
cron = "0 */6 * * *"           # every 6 hours, on the hour
process_after = true           # clean and frame right after each crawl, in the same flow run

[process]                      # clean and frame on a schedule of their own
enabled = false                # (useful when crawls run elsewhere, or with process_after = false)
cron = "30 */6 * * *"

[report]                       # the weekly framing-trend report
enabled = true
cron = "0 6 * * 1"             # Mondays 06:00
week = ""                      # empty: the last complete ISO week at run time
```

Every problem in the file is collected and reported at once, each naming the file, the key and
what is wrong (`SeedError` / `SeedErrors` from `pipeline.seeds`).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import SeedError
from pipeline.seeds import SeedProblems, check_keys, optional, read_toml

DEFAULT_SCHEDULE_FILE = Path(__file__).resolve().parents[1] / "seeds" / "schedule.toml"

JOBS = ("crawl", "process", "report")
_DEFAULT_CRON = {"crawl": "0 */6 * * *", "process": "30 */6 * * *", "report": "0 6 * * 1"}
_DEFAULT_ENABLED = {"crawl": True, "process": False, "report": True}
_JOB_KEYS = {
    "crawl": ("enabled", "cron", "process_after"),
    "process": ("enabled", "cron"),
    "report": ("enabled", "cron", "week"),
}
_ISO_WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")


@dataclass(frozen=True)
class ScheduledJob:
    """One job of the schedule: which flow runs, on which cron expression."""

    job: str  # crawl | process | report
    cron: str
    process_after: bool = False  # crawl only: clean and frame in the same flow run
    week: str = ""  # report only: a fixed ISO week ("" = last complete week at run time)

    @property
    def deployment_name(self) -> str:
        return f"framewatch-{self.job}"


@dataclass(frozen=True)
class ScheduleConfig:
    """The enabled jobs of a schedule file and the time zone their cron times are read in."""

    path: Path
    timezone: str
    jobs: tuple[ScheduledJob, ...]

    def job(self, name: str) -> ScheduledJob | None:
        return next((job for job in self.jobs if job.job == name), None)


def check_cron(expression: str) -> str | None:
    """Why a cron expression is not one Prefect accepts, or None when it is fine."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    if len(expression.split()) != 5:
        return (f"expected 5 fields (minute hour day-of-month month day-of-week), got "
                f"{len(expression.split())} in {expression!r}")
    try:
        CronSchedule(cron=expression)
    except ValidationError as error:
        return f"not a valid cron expression: {expression!r} ({error.errors()[0]['msg']})"
    return None


def _check_timezone(name: str, problems: SeedProblems, key: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.add(key, f"unknown time zone {name!r} (use an IANA name such as 'UTC' or "
                          "'Europe/Berlin')")


def _parse_job(name: str, table: Any, problems: SeedProblems) -> ScheduledJob | None:
    if not isinstance(table, dict):
        problems.add(name, f"expected a table [{name}], got {type(table).__name__}")
        return None
    check_keys(table, _JOB_KEYS[name], problems, name)
    enabled = optional(table, "enabled", bool, problems, name, _DEFAULT_ENABLED[name])
    cron = optional(table, "cron", str, problems, name, _DEFAULT_CRON[name])
    process_after = optional(table, "process_after", bool, problems, name, True)
    week = table.get("week", "")
    if not isinstance(week, str):
        problems.add(f"{name}.week", f"expected a string like '2026-W47', got {week!r}")
        week = ""
    elif week and not _ISO_WEEK.fullmatch(week):
        problems.add(f"{name}.week", f"expected an ISO week like '2026-W47' or '', got {week!r}")
    if cron is not None:
        problem = check_cron(cron)
        if problem:
            problems.add(f"{name}.cron", problem)
            cron = None
    if not enabled or cron is None or enabled is None:
        return None
    return ScheduledJob(job=name, cron=cron, process_after=bool(process_after) and name == "crawl",
                        week=week if name == "report" else "")


def parse_schedule(table: dict[str, Any], path: str | Path) -> ScheduleConfig:
    """Check a parsed schedule file; raise SeedError(s) naming every problem."""
    problems = SeedProblems(path)
    check_keys(table, ("schedule", *JOBS), problems)
    head = table.get("schedule", {})
    timezone = "UTC"
    if not isinstance(head, dict):
        problems.add("schedule", "expected a table [schedule]")
    else:
        check_keys(head, ("timezone",), problems, "schedule")
        timezone = optional(head, "timezone", str, problems, "schedule", "UTC") or "UTC"
        _check_timezone(timezone, problems, "schedule.timezone")
    jobs = []
    for name in JOBS:
        job = _parse_job(name, table.get(name, {}), problems)
        if job is not None:
            jobs.append(job)
    if not problems.errors and not jobs:
        problems.add("(file)", "no job is enabled: set enabled = true in [crawl], [process] or "
                               "[report]")
    problems.raise_if_any()
    return ScheduleConfig(path=Path(path), timezone=timezone, jobs=tuple(jobs))


def load_schedule(path: str | Path | None = None) -> ScheduleConfig:
    """Read the schedule file (default: seeds/schedule.toml) and check it."""
    path = Path(path) if path else DEFAULT_SCHEDULE_FILE
    table = read_toml(path)
    return parse_schedule(table, path)


__all__ = ["DEFAULT_SCHEDULE_FILE", "ScheduleConfig", "ScheduledJob", "SeedError", "check_cron",
           "load_schedule", "parse_schedule"]
