"""Stream the HTML responses out of WARC files, skipping off-topic news before any HTML parsing.

Files may be gzip-per-record (`.warc.gz`, the CC-NEWS layout) or plain (`.warc`). They are read
member by member (gzip) or record by record (plain), so memory stays flat however large the file.
A damaged stretch (a torn or corrupt gzip member, a record whose header is not WARC) is skipped
with a named reason and its byte offset, and reading resumes at the next intact record.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.imports.outcomes import DateRange, Skipped, parse_date

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK_BYTES = 1 << 20
# A gzip member this large is not one record: a whole file compressed as one stream, which
# cannot be read record by record (recompress it: `warcio recompress in.warc.gz out.warc.gz`).
MAX_MEMBER_BYTES = 256 << 20
_HTML_TYPES = (b"html", b"xhtml")
_PLAIN_RECORD_START = re.compile(rb"(?:^|\r?\n)WARC/1\.[01]\r?\n")
# As pipeline.relevance: short all-capital acronyms match as written, other terms in any case.
_CASE_SENSITIVE_MAX_LETTERS = 3


@dataclass(frozen=True)
class WarcPage:
    """One HTML response record: what it says and where it lies in its file."""

    url: str
    record_id: str
    offset: int
    captured_at: datetime  # aware UTC (WARC-Date)
    http_status: int
    reason_phrase: str
    http_headers: tuple[tuple[str, str], ...]
    content_type: str
    body: bytes  # the payload, transfer- and content-encoding removed


class TopicPrefilter:
    """Whether raw page bytes name any topic term: a cheap test made before any HTML parsing.

    It mirrors the relevance stage's term rules (whole words; short acronyms such as "AI" in
    capitals only; a space also matches a hyphen) on bytes, with ASCII word boundaries, so it
    keeps every page whose text names a term (and a few more whose markup does).
    """

    def __init__(self, terms: Iterable[str]) -> None:
        parts = []
        for term in dict.fromkeys(t.strip() for t in terms if t.strip()):
            body = rb"[\s\-]+".join(re.escape(word.encode("utf-8")) for word in term.split())
            letters = [ch for ch in term if ch.isalpha()]
            acronym = len(letters) <= _CASE_SENSITIVE_MAX_LETTERS and all(ch.isupper() for ch in letters)
            parts.append(body if acronym else b"(?i:" + body + b")")
        if not parts:
            raise ValueError("the topic has no terms to pre-filter on")
        self._pattern = re.compile(rb"(?<!\w)(?:" + b"|".join(parts) + rb")(?!\w)")

    def __call__(self, body: bytes) -> bool:
        return self._pattern.search(body) is not None


def _find_next(handle: BinaryIO, start: int, pattern: re.Pattern[bytes], overlap: int = 16) -> int | None:
    """File offset of the next match of `pattern` at or after `start`, or None."""
    handle.seek(start)
    base = start
    tail = b""
    while True:
        chunk = handle.read(CHUNK_BYTES)
        if not chunk:
            return None
        window = tail + chunk
        match = pattern.search(window)
        if match:
            return base - len(tail) + match.start()
        tail = window[-overlap:]
        base += len(chunk)


_MAGIC = re.compile(re.escape(GZIP_MAGIC))


def _gzip_members(handle: BinaryIO) -> Iterator[tuple[int, bytes] | Skipped]:
    """(offset, decompressed bytes) of each gzip member in turn, or a Skipped for a bad stretch.

    After a corrupt member, reading resumes at the next gzip header; a stretch of failed
    restarts counts as one problem (a gzip header can also occur by chance inside
    compressed data).
    """
    position = 0
    pending = handle.read(CHUNK_BYTES)
    resyncing = False
    while pending:
        start = position
        decompressor = zlib.decompressobj(wbits=31)
        output: list[bytes] = []
        size = 0
        failure: str | None = None
        while True:
            try:
                piece = decompressor.decompress(pending)
            except zlib.error as error:
                failure = f"corrupt_gzip_member:{error}"
                break
            output.append(piece)
            size += len(piece)
            if decompressor.eof:
                used = len(pending) - len(decompressor.unused_data)
                position += used
                pending = decompressor.unused_data or handle.read(CHUNK_BYTES)
                break
            if size > MAX_MEMBER_BYTES:
                yield Skipped("oversized_gzip_member", start,
                              f"a gzip member larger than {MAX_MEMBER_BYTES >> 20} MiB: the file is "
                              "not compressed record by record (try `warcio recompress`)")
                return
            position += len(pending)
            pending = handle.read(CHUNK_BYTES)
            if not pending:
                if not resyncing:
                    yield Skipped("torn_gzip_member", start,
                                  f"the file ends inside a gzip member ({position - start} bytes)")
                return
        if failure is None:
            resyncing = False
            yield start, b"".join(output)
            continue
        if not resyncing:
            yield Skipped("corrupt_gzip_member", start, failure.partition(":")[2])
        resyncing = True
        found = _find_next(handle, start + 1, _MAGIC)
        if found is None:
            return
        handle.seek(found)
        position = found
        pending = handle.read(CHUNK_BYTES)


def _records(data: bytes, base: int) -> Iterator[tuple[int, object] | Skipped]:
    """(offset, warcio record) of the records in one decompressed member."""
    iterator = ArchiveIterator(io.BytesIO(data), no_record_parse=False)
    try:
        for record in iterator:
            yield base, record
    except ArchiveLoadFailed as error:
        yield Skipped("bad_record_header", base, _short(str(error)))


def _plain_records(handle: BinaryIO) -> Iterator[tuple[int, object] | Skipped]:
    """(offset, warcio record) of an uncompressed WARC file, resuming after a bad header."""
    base = 0
    while True:
        handle.seek(base)
        iterator = ArchiveIterator(handle)
        try:
            for record in iterator:
                # `offset` is the file position where the record being yielded starts
                yield iterator.offset, record
            return
        except ArchiveLoadFailed as error:
            failed_at = max(iterator.offset, base)
            yield Skipped("bad_record_header", failed_at, _short(str(error)))
            found = _find_next(handle, failed_at + 1, _PLAIN_RECORD_START)
            if found is None:
                return
            # the match may begin with the line break that ends the previous record
            handle.seek(found)
            head = handle.read(2)
            base = found + (2 if head == b"\r\n" else 1 if head[:1] == b"\n" else 0)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _page_or_skip(
    offset: int, record: object, keep: Callable[[bytes], bool], dates: DateRange
) -> WarcPage | Skipped:
    """Judge one record, cheapest tests first; the body is read only for HTML responses."""
    rec_type = record.rec_type  # type: ignore[attr-defined]
    if rec_type != "response":
        return Skipped("not_response", offset, rec_type)
    headers = record.rec_headers  # type: ignore[attr-defined]
    url = (headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not url.lower().startswith(("http://", "https://")):
        return Skipped("bad_target_uri", offset, _short(url) or "no WARC-Target-URI")
    http = record.http_headers  # type: ignore[attr-defined]
    if http is None:
        return Skipped("not_http", offset, url)
    try:
        status = int(http.get_statuscode() or 0)
    except ValueError:
        status = 0
    if status != 200:
        return Skipped("not_ok_status", offset, f"HTTP {status or '?'}")
    content_type = http.get_header("Content-Type") or ""
    if not any(kind in content_type.lower().encode() for kind in _HTML_TYPES):
        return Skipped("not_html", offset, _short(content_type) or "no Content-Type")
    captured = parse_date(headers.get_header("WARC-Date") or "")
    if captured is None:
        return Skipped("bad_capture_date", offset, _short(headers.get_header("WARC-Date") or "no WARC-Date"))
    absurd = dates.problem(captured)
    if absurd:
        return Skipped("date_out_of_range", offset, f"capture date {absurd}")
    try:
        body = record.content_stream().read()  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - any decoding failure of one payload skips it
        return Skipped("bad_payload", offset, _short(f"{type(error).__name__}: {error}"))
    if not keep(body):
        return Skipped("off_topic", offset)
    return WarcPage(
        url=url,
        record_id=headers.get_header("WARC-Record-ID") or f"<urn:framewatch:offset:{offset}>",
        offset=offset,
        captured_at=captured,
        http_status=status,
        reason_phrase=http.statusline.partition(" ")[2] or "OK",
        http_headers=tuple(http.headers),
        content_type=content_type,
        body=body,
    )


def read_warc(
    path: str | Path, keep: Callable[[bytes], bool], dates: DateRange | None = None
) -> Iterator[WarcPage | Skipped]:
    """Every response record of a WARC file: a WarcPage for an on-topic HTML page, else why not.

    `keep(body)` is the topic pre-filter. Raises OSError only when the file cannot be opened.
    """
    dates = dates or DateRange()
    with open(path, "rb") as handle:
        gzipped = handle.read(3) == GZIP_MAGIC
        handle.seek(0)
        if not gzipped:
            for item in _plain_records(handle):
                yield item if isinstance(item, Skipped) else _page_or_skip(*item, keep, dates)
            return
        for member in _gzip_members(handle):
            if isinstance(member, Skipped):
                yield member
                continue
            offset, data = member
            for item in _records(data, offset):
                yield item if isinstance(item, Skipped) else _page_or_skip(*item, keep, dates)
