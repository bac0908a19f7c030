"""Read URL lists: Media Cloud story exports, GDELT event/GKG files, any CSV with a `url` column,
or plain text with one URL per line."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.imports.outcomes import DateRange, Skipped, numbered_rows, parse_date


@dataclass(frozen=True)
class Layout:
    """Where a known export keeps the story URL, its date, title and outlet (column names)."""

    name: str
    url: str
    dates: tuple[str, ...]
    title: str | None = None
    outlet: str | None = None
    marker: str | None = None  # a column the layout must also have to be recognised


# Recognised by header, first match wins (column names compared case-insensitively).
LAYOUTS = (
    Layout("mediacloud", "url", ("publish_date", "indexed_date", "collect_date"), "title", "media_name",
           marker="media_name"),
    Layout("gdelt-events", "sourceurl", ("dateadded", "sqldate")),
    Layout("gdelt-gkg", "documentidentifier", ("date", "v2.1date"), None, "sourcecommonname"),
    Layout("gdelt-gkg", "v2documentidentifier", ("v2.1date", "date"), None, "v2sourcecommonname"),
    Layout("csv", "url", ("publish_date", "published_at", "published", "date"), "title", "outlet"),
)
# Headerless GDELT 2.0 tab-separated exports, recognised by their number of columns:
# events (61 columns: DATEADDED is column 59, SOURCEURL 60) and GKG 2.1 (27 columns: DATE 1,
# SourceCommonName 3, DocumentIdentifier 4).
HEADERLESS_GDELT = {61: ("gdelt-events", 60, 59, None), 27: ("gdelt-gkg", 4, 1, 3)}


@dataclass(frozen=True)
class ListedUrl:
    """One story URL of a list, with what the list said of it."""

    line: int
    url: str
    published: datetime | None  # aware, at the stated offset; a fallback for pages that give no date
    title: str | None = None
    outlet: str | None = None
    date_problem: Skipped | None = None  # a date the list gave that could not be used


def _is_url(text: str) -> bool:
    lowered = text.lower()
    return lowered.startswith(("http://", "https://")) and " " not in text and len(text) > 10 and "." in text


def _listed(line: int, url: str, raw_date: str | None, title: str | None, outlet: str | None,
            dates: DateRange) -> ListedUrl | Skipped:
    url = url.strip()
    if not _is_url(url):
        return Skipped("not_a_url", line, url[:120] or "empty")
    published, problem = None, None
    if raw_date and raw_date.strip():
        published = parse_date(raw_date)
        if published is None:
            problem = Skipped("bad_date", line, f"not a date: {raw_date.strip()[:60]!r}")
        else:
            absurd = dates.problem(published)
            if absurd:
                published, problem = None, Skipped("date_out_of_range", line, absurd)
    return ListedUrl(line, url, published, (title or "").strip() or None,
                     (outlet or "").strip() or None, problem)


def detect_layout(first_line: str) -> tuple[str, Layout | None, list[str]]:
    """(format, layout, header) of a list from its first line: csv with a known header,
    headerless gdelt, or text."""
    delimiter = "\t" if "\t" in first_line else ","
    header = [cell.strip().strip('"').lower() for cell in first_line.rstrip("\r\n").split(delimiter)]
    for layout in LAYOUTS:
        if layout.url in header and (layout.marker is None or layout.marker in header):
            return delimiter, layout, header
    if delimiter == "\t" and len(header) in HEADERLESS_GDELT:
        return "gdelt-headerless", None, header
    return "text", None, header


def read_url_list(
    path: str | Path, *, encoding: str = "utf-8-sig", dates: DateRange | None = None
) -> Iterator[ListedUrl | Skipped]:
    """Every story URL of a list file, or why a line was skipped (with its line number)."""
    dates = dates or DateRange()
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle:
        first = handle.readline()
        mode, layout, header = detect_layout(first)
        handle.seek(0)
        if mode == "text":
            yield from _text_lines(handle, dates)
        elif mode == "gdelt-headerless":
            yield from _headerless_gdelt(handle, len(header), dates)
        else:
            assert layout is not None
            yield from _csv_lines(handle, mode, layout, dates)


def _bad_encoding(line: int, text: str) -> Skipped | None:
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return Skipped("bad_encoding", line, "undecodable bytes (give the file's encoding with --encoding)")
    return None


def _text_lines(handle, dates: DateRange) -> Iterator[ListedUrl | Skipped]:
    for number, raw in enumerate(handle, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        yield _bad_encoding(number, text) or _listed(number, text, None, None, None, dates)


def _headerless_gdelt(handle, columns: int, dates: DateRange) -> Iterator[ListedUrl | Skipped]:
    _, url_at, date_at, outlet_at = HEADERLESS_GDELT[columns]
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        bad = _bad_encoding(number, raw)
        if bad:
            yield bad
            continue
        cells = raw.rstrip("\r\n").split("\t")
        if len(cells) != columns:
            yield Skipped("missing_field", number, f"{len(cells)} columns where GDELT has {columns}")
            continue
        outlet = cells[outlet_at] if outlet_at is not None else None
        yield _listed(number, cells[url_at], cells[date_at], None, outlet, dates)


def _csv_lines(handle, delimiter: str, layout: Layout, dates: DateRange) -> Iterator[ListedUrl | Skipped]:
    reader = csv.reader(handle, delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    url_at = index[layout.url]
    date_at = next((index[name] for name in layout.dates if name in index), None)
    title_at = index.get(layout.title) if layout.title else None
    outlet_at = index.get(layout.outlet) if layout.outlet else None
    for numbered in numbered_rows(reader):
        if isinstance(numbered, Skipped):
            yield numbered
            continue
        start, cells = numbered
        bad = _bad_encoding(start, "".join(cells))
        if bad:
            yield bad
            continue
        if len(cells) <= url_at:
            yield Skipped("missing_field", start, f"{len(cells)} fields, no {layout.url!r}")
            continue
        yield _listed(start, cells[url_at], _cell(cells, date_at), _cell(cells, title_at),
                      _cell(cells, outlet_at), dates)


def _cell(cells: list[str], at: int | None) -> str | None:
    return cells[at] if at is not None and at < len(cells) else None
