"""What the import readers share: a skipped record with its named reason, and date sanity."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as date_parser

from pipeline.extraction.dates import LARGEST_UTC_OFFSET, utc_offset_minutes

# Reasons a person should look at (bad input), as opposed to ordinary filtering (off_topic,
# not_html, not_response, already_imported ...), which is only counted.
PROBLEM_REASONS = frozenset({
    "torn_gzip_member", "corrupt_gzip_member", "oversized_gzip_member", "bad_record_header",
    "bad_payload", "bad_target_uri", "bad_capture_date", "date_out_of_range", "bad_encoding",
    "bad_json", "not_an_object", "missing_field", "bad_date", "not_a_url", "missing_columns",
    "unreadable_file", "no_outlet",
})


@dataclass(frozen=True)
class Skipped:
    """A record or row that was not imported, why, and where it is in its file."""

    reason: str
    position: int  # byte offset (WARC) or line number (CSV, JSONL, text)
    detail: str | None = None

    @property
    def is_problem(self) -> bool:
        return self.reason in PROBLEM_REASONS


@dataclass(frozen=True)
class DateRange:
    """Dates an import accepts: none before `earliest`, none more than a day in the future."""

    earliest: date = date(1990, 1, 1)
    now: datetime | None = None  # default: the current time

    def problem(self, moment: datetime) -> str | None:
        """Why `moment` (aware) is absurd for a news story, or None when it is plausible."""
        now = self.now or datetime.now(UTC)
        if moment < datetime.combine(self.earliest, datetime.min.time(), UTC):
            return f"{moment:%Y-%m-%d} is before {self.earliest:%Y-%m-%d}"
        if moment > now + timedelta(days=1):
            return f"{moment:%Y-%m-%d} is in the future"
        return None


_GDELT_FORMATS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
# A date that states no zone is read as UTC in this zone, so that what is stored as the listing
# date's offset can stay "none stated" (null), as for feeds (stated_offset_minutes).
UNSTATED_UTC = timezone(timedelta(0), "UTC (no offset stated)")
# RFC 822's zone names, which dateutil does not know (it would read them as UTC).
_ZONE_NAMES = {name: hours * 3600 for name, hours in {
    "UT": 0, "GMT": 0, "UTC": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7}.items()}


def parse_date(text: str) -> datetime | None:
    """An aware datetime from an ISO date, a GDELT stamp (YYYYMMDD[HHMMSS]), an RFC 822 date or
    other common forms, at the offset the text states, so the story's day can be taken on the
    publisher's clock.

    A date without a zone means UTC (`UNSTATED_UTC`). None when the text is not a date, or
    states an offset no clock has.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) in (8, 12, 14):  # GDELT SQLDATE / DATEADDED / DATE (UTC)
        try:
            moment = datetime.strptime(text, _GDELT_FORMATS[len(text)])
        except ValueError:
            return None
        return moment.replace(tzinfo=UTC)
    moment = _read_date(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UNSTATED_UTC)
    try:
        offset = moment.utcoffset()
    except ValueError:  # dateutil keeps offsets of a day or more, which datetime then refuses
        return None
    return moment if offset is not None and abs(offset) <= LARGEST_UTC_OFFSET else None


def _read_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return date_parser.parse(text, tzinfos=_ZONE_NAMES)
    except (ValueError, OverflowError):
        return None


def stated_offset_minutes(moment: datetime | None) -> int | None:
    """The UTC offset a parsed date stated, in minutes east of UTC; None when it stated none."""
    if moment is None or moment.tzinfo is UNSTATED_UTC:
        return None
    return utc_offset_minutes(moment)


def numbered_rows(reader: csv.reader) -> Iterator[tuple[int, list[str]] | Skipped]:
    """The non-blank rows left in `reader`, each with the line it starts on; a row the csv
    module cannot parse is a `bad_row` and reading goes on (one bad quote loses one row)."""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = reader.line_num
            yield Skipped("bad_row", start, str(error))
            continue
        line = reader.line_num
        if cells and any(cell.strip() for cell in cells):
            yield start, cells
