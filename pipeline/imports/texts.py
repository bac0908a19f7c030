"""Read licensed text exports (LexisNexis, Factiva, ProQuest ... as JSONL or CSV) row by row."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.imports.outcomes import DateRange, Skipped, numbered_rows, parse_date

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
# Articles are long: the csv module's default field limit (128 KiB) would cut a book review.
csv.field_size_limit(min(sys.maxsize, 64 << 20))


@dataclass(frozen=True)
class TextColumns:
    """Which field of the input holds what (`--title-field` etc. on the command line)."""

    title: str = "title"
    text: str = "text"
    date: str = "date"
    outlet: str = "outlet"
    url: str = "url"


@dataclass(frozen=True)
class TextRow:
    """One article of a text export."""

    line: int
    title: str | None
    text: str
    published: datetime  # aware, at the offset the row stated (none stated: UTC)
    outlet: str | None
    url: str | None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text.strip() or None


def _has_surrogates(values: Any) -> bool:
    return any(isinstance(v, str) and any("\udc80" <= ch <= "\udcff" for ch in v) for v in values)


def row_from_fields(
    line: int, record: dict[str, Any], columns: TextColumns, dates: DateRange
) -> TextRow | Skipped:
    """A TextRow from one record, or the first reason it cannot be one."""
    text = _clean(record.get(columns.text))
    if text is None:
        return Skipped("missing_field", line, f"no {columns.text!r}")
    raw_date = _clean(record.get(columns.date))
    if raw_date is None:
        return Skipped("missing_field", line, f"no {columns.date!r}")
    published = parse_date(raw_date)
    if published is None:
        return Skipped("bad_date", line, f"{columns.date!r} is not a date: {raw_date[:60]!r}")
    absurd = dates.problem(published)
    if absurd:
        return Skipped("date_out_of_range", line, absurd)
    url = _clean(record.get(columns.url))
    if url is not None and not url.lower().startswith(("http://", "https://")):
        return Skipped("not_a_url", line, f"{columns.url!r} is not an http(s) URL: {url[:80]!r}")
    outlet = _clean(record.get(columns.outlet))
    if outlet is None and url is None:
        return Skipped("no_outlet", line, f"neither {columns.outlet!r} nor {columns.url!r}")
    return TextRow(line, _clean(record.get(columns.title)), text, published, outlet, url)


def _jsonl_rows(path: Path, columns: TextColumns, encoding: str,
                dates: DateRange) -> Iterator[TextRow | Skipped]:
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as error:
                yield Skipped("bad_encoding", number, f"not {encoding}: {error.reason} at byte {error.start}")
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield Skipped("bad_json", number, error.msg)
                continue
            if not isinstance(record, dict):
                yield Skipped("not_an_object", number, f"a JSON {type(record).__name__}, not an object")
                continue
            yield row_from_fields(number, record, columns, dates)


def _csv_rows(path: Path, columns: TextColumns, encoding: str,
              dates: DateRange) -> Iterator[TextRow | Skipped]:
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Skipped("missing_columns", 1, f"unreadable header: {error}")
            return
        header = [name.strip() for name in header]
        required = [columns.text, columns.date]
        missing = [name for name in required if name not in header]
        if missing:
            yield Skipped("missing_columns", 1,
                          f"no column {', '.join(repr(m) for m in missing)} "
                          f"(columns: {', '.join(header)[:200]}); map them with --text-field/--date-field")
            return
        if _has_surrogates(header):
            yield Skipped("bad_encoding", 1, f"the header is not {encoding}")
            return
        for numbered in numbered_rows(reader):
            if isinstance(numbered, Skipped):
                yield numbered
                continue
            start, values = numbered
            if _has_surrogates(values):
                yield Skipped("bad_encoding", start, f"not {encoding} (give the file's encoding with --encoding)")
                continue
            if len(values) != len(header):
                yield Skipped("missing_field" if len(values) < len(header) else "bad_row", start,
                              f"{len(values)} fields where the header has {len(header)}")
                continue
            yield row_from_fields(start, dict(zip(header, values, strict=True)), columns, dates)


def read_texts(
    path: str | Path,
    columns: TextColumns | None = None,
    *,
    encoding: str = "utf-8-sig",
    dates: DateRange | None = None,
) -> Iterator[TextRow | Skipped]:
    """Every row of a JSONL or CSV text export as a TextRow, or why it was skipped (with its line)."""
    path = Path(path)
    columns = columns or TextColumns()
    dates = dates or DateRange()
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _jsonl_rows(path, columns, encoding, dates)
    else:
        yield from _csv_rows(path, columns, encoding, dates)
