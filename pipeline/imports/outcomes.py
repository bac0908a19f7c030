"""What the import readers share: a skipped record with its named reason, and date sanity."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as date_parser

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


def parse_date(text: str) -> datetime | None:
    """An aware datetime from an ISO date, a GDELT stamp (YYYYMMDD[HHMMSS]) or common forms, at
    the offset the text states, so the story's day can be taken on the publisher's clock.

    A date without a zone means UTC. None when the text is not a date.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) in (8, 12, 14):  # GDELT SQLDATE / DATEADDED / DATE
        try:
            moment = datetime.strptime(text, _GDELT_FORMATS[len(text)])
        except ValueError:
            return None
        return moment.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = date_parser.parse(text)
        except (ValueError, OverflowError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
