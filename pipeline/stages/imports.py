"""Import stage: back-fill the warehouse from WARC archives, URL lists and text exports.

- WARC: each on-topic HTML response is copied into framewatch's own archive (so `reprocess`
  keeps working when the imported file moves) and stored as a page with its provenance; the
  clean and frame stages then treat it like a crawled page.
- URL lists: the listed stories of followed sources are fetched by the crawler (politeness,
  robots.txt, WARC archive) and nothing else; the list's dates are a fallback date source.
- Texts: articles without HTML go straight through de-duplication and relevance (the clean
  stage's own code) into core.articles, marked as imported; framing picks them up.

Every record or row that is not imported is counted under a named reason in
core.import_counts; bad input is also listed, with its position, in core.import_problems.
Writes are keyed by canonical URL (and WARC-Record-ID), so importing a file again adds nothing,
and a URL the warehouse already holds is never replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.archive import WarcArchive, sha256_hex
from pipeline.imports import (
    DateRange,
    HostMap,
    ListedUrl,
    Skipped,
    TextColumns,
    TextRow,
    TopicPrefilter,
    WarcPage,
    derived_source_id,
    read_texts,
    read_url_list,
    read_warc,
)
from pipeline.imports.outcomes import stated_offset_minutes
from pipeline.imports.sources import host_homepage
from pipeline.seeds import Source
from pipeline.urls import canonical_url, site_key
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

_QUERIES = named_queries("imports")
WARC_BATCH = 200
TEXT_BATCH = 64
# Problems listed per input file and reason; the counts stay exact beyond it.
MAX_PROBLEM_ROWS = 1000
IMPORTED = "imported"
PROGRESS_EVERY = 5000  # records or rows between progress lines
UNKNOWN_HOSTS = ("keep", "skip")


def new_import_run_id(kind: str) -> str:
    return datetime.now(UTC).strftime(f"import-{kind}-%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class ImportSummary:
    """What one import run did: per input file, how many records ended how; the first problems."""

    import_run_id: str
    kind: str
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def imported(self) -> int:
        return sum(c[IMPORTED] for c in self.counts.values())

    def totals(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counter in self.counts.values():
            total.update(counter)
        return dict(sorted(total.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_run_id": self.import_run_id, "kind": self.kind, "imported": self.imported,
            "totals": self.totals(),
            "files": {name: dict(sorted(c.items())) for name, c in self.counts.items()},
            "problems": self.problems, **self.extra,
        }


class _Ledger:
    """Counts and problem rows of one import run, written with each batch's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, summary: ImportSummary) -> None:
        self.con = con
        self.summary = summary
        self._counts: Counter[tuple[str, str]] = Counter()
        self._problems: list[tuple[Any, ...]] = []
        self._listed: Counter[tuple[str, str]] = Counter()

    def count(self, input_file: str, outcome: str, n: int = 1) -> None:
        self._counts[(input_file, outcome)] += n
        self.summary.counts.setdefault(input_file, Counter())[outcome] += n

    def skip(self, input_file: str, skipped: Skipped, position_kind: str) -> None:
        self.count(input_file, skipped.reason)
        if skipped.is_problem:
            self.problem(input_file, skipped, position_kind)

    def problem(self, input_file: str, skipped: Skipped, position_kind: str) -> None:
        key = (input_file, skipped.reason)
        self._listed[key] += 1
        if self._listed[key] > MAX_PROBLEM_ROWS:
            return
        self._problems.append((self.summary.import_run_id, input_file, position_kind,
                               skipped.position, skipped.reason, skipped.detail))
        if len(self.summary.problems) < 50:
            self.summary.problems.append({"file": input_file, position_kind: skipped.position,
                                          "reason": skipped.reason, "detail": skipped.detail})

    def write(self) -> None:
        """Insert the pending counts and problems (inside the caller's transaction)."""
        run_id = self.summary.import_run_id
        if self._counts:
            self.con.executemany(_QUERIES["add_count"], [
                (run_id, input_file, outcome, n) for (input_file, outcome), n in self._counts.items()])
        if self._problems:
            self.con.executemany(_QUERIES["add_problem"], self._problems)
        self._counts.clear()
        self._problems.clear()


@dataclass(frozen=True)
class ResolvedSource:
    source_id: str
    derived: tuple[str, str, str] | None = None  # (source_id, name, homepage) to insert


class _Sources:
    """Which source each story belongs to; sources derived for unfollowed hosts/outlets."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sources: Sequence[Source]) -> None:
        self.con = con
        self.map = HostMap(sources)
        self._written: set[str] = set()
        now = _now()
        if sources:
            con.executemany(_QUERIES["upsert_followed_source"], [
                (s.id, s.name, s.homepage, s.country, s.language, s.kind, now) for s in sources])

    def for_url(self, url: str, keep_unknown: bool) -> ResolvedSource | None:
        return _resolve(self.map, url, keep_unknown)

    def for_text(self, row: TextRow) -> ResolvedSource:
        if row.outlet:
            source = self.map.by_outlet(row.outlet)
            if source is not None:
                return ResolvedSource(source.id)
        if row.url:
            source = self.map.by_url(row.url)
            if source is not None:
                return ResolvedSource(source.id)
        if row.outlet:
            sid = derived_source_id("text", row.outlet)
            return ResolvedSource(sid, (sid, row.outlet, None))  # type: ignore[arg-type]
        resolved = self.for_url(row.url or "", keep_unknown=True)
        assert resolved is not None  # read_texts requires an outlet or an http(s) URL
        return resolved

    def write(self, resolved: Iterable[ResolvedSource]) -> None:
        """Insert derived sources not yet written (inside the caller's transaction)."""
        now = _now()
        for item in resolved:
            if item.derived and item.source_id not in self._written:
                sid, name, homepage = item.derived
                self.con.execute(_QUERIES["insert_derived_source"], [sid, name, homepage, now])
                self._written.add(item.source_id)


def _stored(con: duckdb.DuckDBPyConnection, canonicals: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """canonical URL -> (WARC record id, import path) for those the warehouse already holds."""
    if not canonicals:
        return {}
    rows = con.execute(_QUERIES["stored_urls"], [canonicals]).fetchall()
    return {url: (record_id, path) for url, record_id, path in rows}


class _Run:
    """core.import_runs bookkeeping: a row at the start, its outcome at the end."""

    def __init__(self, con: duckdb.DuckDBPyConnection, summary: ImportSummary, inputs: list[str],
                 options: dict[str, Any]) -> None:
        self.con = con
        self.summary = summary
        con.execute(_QUERIES["interrupt_running_imports"], [_now()])
        con.execute(_QUERIES["start_import_run"], [summary.import_run_id, summary.kind, _now(),
                                                    inputs, json.dumps(options, default=str)])

    def finish(self, status: str, message: str) -> None:
        self.con.execute(_QUERIES["finish_import_run"],
                         [status, _now(), message[:2000], self.summary.import_run_id])

    @contextmanager
    def recorded(self, archive: WarcArchive | None = None) -> Iterator[None]:
        """Close the archive and record the run as finished, or as failed with its error."""
        try:
            yield
        except BaseException as error:
            if archive is not None:
                archive.close()
            self.finish("failed", f"{type(error).__name__}: {error}; {_message(self.summary)}")
            raise
        if archive is not None:
            archive.close()
        self.finish("finished", _message(self.summary))


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column: the parameters of a batch insert."""
    return [list(column) for column in zip(*rows, strict=True)]


def _in_transaction(con: duckdb.DuckDBPyConnection, write: Callable[[], None]) -> None:
    con.execute("begin transaction")
    try:
        write()
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _message(summary: ImportSummary) -> str:
    return ", ".join(f"{k}={v}" for k, v in summary.totals().items())


# -- WARC ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    input_file: str
    page: WarcPage
    canonical: str
    source: ResolvedSource


def import_warc(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    archive_dir: Path,
    sources: Sequence[Source],
    topic_terms: Sequence[str],
    unknown_hosts: str = "keep",
    warc_max_bytes: int = 500_000_000,
    dates: DateRange | None = None,
    run_id: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Import the on-topic HTML pages of WARC files as pages (see the module docstring)."""
    if unknown_hosts not in UNKNOWN_HOSTS:
        raise ValueError(f"unknown_hosts={unknown_hosts!r}: choose keep or skip")
    summary = ImportSummary(run_id or new_import_run_id("warc"), "warc")
    inputs = [str(p) for p in paths]
    run = _Run(con, summary, inputs, {"unknown_hosts": unknown_hosts})
    ledger = _Ledger(con, summary)
    known = _Sources(con, sources)
    prefilter = TopicPrefilter(topic_terms)
    archive = WarcArchive(archive_dir, summary.import_run_id, max_bytes=warc_max_bytes,
                          software="framewatch import warc")
    with run.recorded(archive):
        for path in paths:
            name = str(path)
            batch: list[_Candidate] = []
            seen = 0
            try:
                for item in read_warc(path, prefilter, dates):
                    seen += 1
                    if isinstance(item, Skipped):
                        ledger.skip(name, item, "offset")
                    else:
                        candidate = _candidate(name, item, known, unknown_hosts == "keep", ledger)
                        if candidate is not None:
                            batch.append(candidate)
                    if len(batch) >= WARC_BATCH:
                        _store_warc_batch(con, archive, batch, ledger, known)
                        batch = []
                    if progress and seen % PROGRESS_EVERY == 0:
                        progress(name, seen)
            except OSError as error:
                ledger.skip(name, Skipped("unreadable_file", 0, f"{type(error).__name__}: {error}"),
                            "offset")
            _store_warc_batch(con, archive, batch, ledger, known)
            if progress:
                progress(name, seen)
    return summary


def _candidate(input_file: str, page: WarcPage, known: _Sources, keep_unknown: bool,
               ledger: _Ledger) -> _Candidate | None:
    source = known.for_url(page.url, keep_unknown)
    if source is None:
        ledger.count(input_file, "unknown_host")
        return None
    try:
        canonical = canonical_url(page.url)
    except ValueError as error:
        ledger.skip(input_file, Skipped("bad_target_uri", page.offset, str(error)), "offset")
        return None
    return _Candidate(input_file, page, canonical, source)


def _store_warc_batch(con: duckdb.DuckDBPyConnection, archive: WarcArchive,
                      batch: list[_Candidate], ledger: _Ledger, known: _Sources) -> None:
    """Archive and store the new pages of a batch, in one transaction with the batch's counts."""
    fresh: list[_Candidate] = []
    if batch:
        earlier = {row[0] for row in con.execute(
            _QUERIES["imported_record_ids"], [[c.page.record_id for c in batch]]).fetchall()}
        stored = _stored(con, sorted({c.canonical for c in batch}))
        taken: set[str] = set()
        for candidate in batch:
            if candidate.page.record_id in earlier:
                ledger.count(candidate.input_file, "already_imported")
            elif candidate.canonical in stored:
                ledger.count(candidate.input_file, "url_already_stored")
            elif candidate.canonical in taken:
                ledger.count(candidate.input_file, "repeated_url")
            else:
                taken.add(candidate.canonical)
                fresh.append(candidate)
    rows = []
    for candidate in fresh:
        page = candidate.page
        record = archive.write_exchange(
            url=page.url, method="GET", request_headers=[], status=page.http_status,
            reason=page.reason_phrase, response_headers=page.http_headers, body=page.body,
            fetched_at=page.captured_at)
        rows.append((candidate, record))
    archive.sync()  # the archive's bytes are on disk before any row names them
    run_id = ledger.summary.import_run_id

    def write() -> None:
        known.write(c.source for c, _ in rows)
        if rows:
            now = _now()
            warc_rows, page_rows, story_rows = [], [], []
            for candidate, record in rows:
                page = candidate.page
                captured = _naive(page.captured_at)
                warc_rows.append((record.record_id, run_id, page.url, record.warc_file, record.offset,
                                  record.length, page.http_status, page.content_type,
                                  record.payload_digest, captured))
                page_rows.append((candidate.canonical, candidate.source.source_id, page.url,
                                  page.http_status, page.content_type, sha256_hex(page.body),
                                  record.record_id, captured, run_id))
                story_rows.append((candidate.canonical, run_id, "warc", candidate.source.source_id,
                                   candidate.input_file, page.record_id, page.offset, captured, now))
                ledger.count(candidate.input_file, IMPORTED)
            # one statement per table and batch: column lists zipped by unnest (imports.sql)
            con.execute(_QUERIES["insert_warc_records"], _columns(warc_rows))
            con.execute(_QUERIES["insert_pages"], _columns(page_rows))
            con.execute(_QUERIES["insert_imported_stories"], _columns(story_rows))
        ledger.write()

    _in_transaction(con, write)


# -- WARC on Dask ----------------------------------------------------------------------------

DASK_STAGE = "import-warc"


@dataclass
class ScannedFile:
    """What one WARC file holds: its pages to store, its counted skips and its problems."""

    path: str
    candidates: list[_Candidate]
    counts: Counter[str]
    problems: list[Skipped]


def scan_warc_file(path: str, topic_terms: Sequence[str], sources: Sequence[Source],
                   keep_unknown: bool, dates: DateRange | None = None) -> ScannedFile:
    """Pure (runs on a Dask worker): read one file through the pre-filter, map hosts to sources."""
    host_map = HostMap(sources)
    keep = TopicPrefilter(topic_terms)
    scanned = ScannedFile(path, [], Counter(), [])

    def skip(item: Skipped) -> None:
        scanned.counts[item.reason] += 1
        if item.is_problem:
            scanned.problems.append(item)

    try:
        for item in read_warc(path, keep, dates):
            if isinstance(item, Skipped):
                skip(item)
                continue
            source = _resolve(host_map, item.url, keep_unknown)
            if source is None:
                scanned.counts["unknown_host"] += 1
                continue
            try:
                canonical = canonical_url(item.url)
            except ValueError as error:
                skip(Skipped("bad_target_uri", item.offset, str(error)))
                continue
            scanned.candidates.append(_Candidate(path, item, canonical, source))
    except OSError as error:
        skip(Skipped("unreadable_file", 0, f"{type(error).__name__}: {error}"))
    return scanned


def file_unit_id(path: Path) -> str:
    """A WARC file as a unit of work: its absolute path, size and modification time."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def import_warc_on_dask(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    run_units: Callable[[Callable[..., Any], Iterable[tuple[str, tuple]]], Iterable[tuple[str, Any]]],
    claims: Any,
    owner: str,
    lease_seconds: float,
    archive_dir: Path,
    sources: Sequence[Source],
    topic_terms: Sequence[str],
    unknown_hosts: str = "keep",
    warc_max_bytes: int = 500_000_000,
    dates: DateRange | None = None,
    run_id: str | None = None,
) -> ImportSummary:
    """Import WARC files with one unit of work per file on Dask workers (`run_units`, e.g.
    `DaskUnits(client, "import").run`); this process archives and writes each file's pages.

    Each file is a claimed unit (warehouse/claims.py), completed once its pages are written: a
    run killed midway resumes with the files not completed, and what a killed run had already
    written of a file is found by its keys (record id, canonical URL) and not imported twice.
    """
    if unknown_hosts not in UNKNOWN_HOSTS:
        raise ValueError(f"unknown_hosts={unknown_hosts!r}: choose keep or skip")
    summary = ImportSummary(run_id or new_import_run_id("warc"), "warc")
    run = _Run(con, summary, [str(p) for p in paths], {"unknown_hosts": unknown_hosts, "engine": "dask"})
    ledger = _Ledger(con, summary)
    known = _Sources(con, sources)
    archive = WarcArchive(archive_dir, summary.import_run_id, max_bytes=warc_max_bytes,
                          software="framewatch import warc")
    units = {file_unit_id(path): path for path in paths}
    done = claims.completed(DASK_STAGE, list(units))
    for unit in sorted(done):
        ledger.count(str(units[unit]), "file_already_imported")
    held = claims.claim(DASK_STAGE, [u for u in units if u not in done], owner, lease_seconds)
    for unit in sorted(set(units) - done - set(held)):
        ledger.count(str(units[unit]), "file_held_by_another_import")
    _in_transaction(con, ledger.write)
    jobs = ((unit, (str(units[unit]), tuple(topic_terms), list(sources), unknown_hosts == "keep", dates))
            for unit in held)
    with run.recorded(archive):
        for unit, scanned in run_units(scan_warc_file, jobs):
            for reason, n in scanned.counts.items():
                ledger.count(scanned.path, reason, n)
            for problem in scanned.problems:
                ledger.problem(scanned.path, problem, "offset")
            for start in range(0, len(scanned.candidates), WARC_BATCH):
                _store_warc_batch(con, archive, scanned.candidates[start:start + WARC_BATCH], ledger, known)

            def finish(unit: str = unit) -> None:
                ledger.write()
                claims.complete(DASK_STAGE, [unit], owner)

            _in_transaction(con, finish)
    return summary


def _resolve(host_map: HostMap, url: str, keep_unknown: bool) -> ResolvedSource | None:
    source = host_map.by_url(url)
    if source is not None:
        return ResolvedSource(source.id)
    site = site_key(url)
    if not keep_unknown or not site:
        return None
    source_id = derived_source_id("web", site)
    return ResolvedSource(source_id, (source_id, site, host_homepage(url)))


# -- texts -----------------------------------------------------------------------------------


def text_canonical_url(row: TextRow, source_id: str) -> str:
    """The story's identity: its URL, or (without one) a hash of what the row says."""
    if row.url:
        return canonical_url(row.url)
    digest = hashlib.sha256("\x1f".join(
        # In UTC, as before dates kept their offset, so a file imported again gives the same ids.
        [source_id, row.title or "", row.published.astimezone(UTC).isoformat(), row.text]).encode("utf-8")
    ).hexdigest()
    return f"urn:framewatch:text:{digest[:32]}"


def _paragraphs(text: str) -> tuple[str, ...]:
    """Paragraphs of an exported text: blank-line separated, else one per line."""
    blocks = [" ".join(b.split()) for b in text.replace("\r\n", "\n").split("\n\n")]
    blocks = [b for b in blocks if b]
    if len(blocks) <= 1:
        blocks = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return tuple(blocks)


def import_texts(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    sources: Sequence[Source],
    relevance: Any,
    columns: TextColumns | None = None,
    encoding: str = "utf-8-sig",
    dates: DateRange | None = None,
    run_id: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Import the articles of a JSONL/CSV text export through de-duplication and relevance.

    The clean stage's own batch step (`store_extracted`) dedupes, judges and writes them; the
    provenance rows and counts of each batch commit in the same transaction.
    """
    from pipeline.stages.clean import store_extracted

    columns = columns or TextColumns()
    summary = ImportSummary(run_id or new_import_run_id("texts"), "texts")
    name = str(path)
    run = _Run(con, summary, [name], {"columns": columns.__dict__, "encoding": encoding})
    ledger = _Ledger(con, summary)
    known = _Sources(con, sources)
    with run.recorded():
        cleaned = store_extracted(
            con, _text_batches(con, path, name, columns, encoding, dates, ledger, known, summary,
                               progress),
            relevance)
        summary.extra["in_scope"] = cleaned.in_scope
    return summary


def _text_batches(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, columns: TextColumns, encoding: str,
    dates: DateRange | None, ledger: _Ledger, known: _Sources, summary: ImportSummary,
    progress: Callable[[str, int], None] | None,
) -> Iterator[tuple[list[Any], list[Any], Callable[[], None]]]:
    """Batches of (pages, extracted articles, writer of their provenance) for store_extracted.

    Drawn one at a time: each batch's check of stored URLs sees the batches committed before it.
    """
    batch: list[tuple[TextRow, ResolvedSource, str]] = []
    try:
        for item in read_texts(path, columns, encoding=encoding, dates=dates):
            if isinstance(item, Skipped):
                ledger.skip(name, item, "line")
                continue
            source = known.for_text(item)
            try:
                canonical = text_canonical_url(item, source.source_id)
            except ValueError as error:
                ledger.skip(name, Skipped("not_a_url", item.line, str(error)), "line")
                continue
            batch.append((item, source, canonical))
            if len(batch) >= TEXT_BATCH:
                yield _text_batch(con, batch, name, ledger, known, summary)
                batch = []
                done = sum(summary.counts.get(name, Counter()).values())
                if progress and done // PROGRESS_EVERY != (done - TEXT_BATCH) // PROGRESS_EVERY:
                    progress(name, done)
    except (OSError, LookupError) as error:  # LookupError: an unknown --encoding
        ledger.skip(name, Skipped("unreadable_file", 0, f"{type(error).__name__}: {error}"), "line")
    yield _text_batch(con, batch, name, ledger, known, summary)


def _text_batch(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[TextRow, ResolvedSource, str]], name: str,
    ledger: _Ledger, known: _Sources, summary: ImportSummary,
) -> tuple[list[Any], list[Any], Callable[[], None]]:
    from pipeline.extraction.article import ExtractedArticle
    from pipeline.stages.clean import PendingPage

    stored = _stored(con, sorted({canonical for _, _, canonical in batch}))
    fresh, taken = [], set()
    for row, source, canonical in batch:
        if canonical in stored:
            ledger.count(name, "already_imported" if stored[canonical][1] == "texts"
                         else "url_already_stored")
        elif canonical in taken:
            ledger.count(name, "repeated_url")
        else:
            taken.add(canonical)
            fresh.append((row, source, canonical))
    pages, extracted = [], []
    now = _now()
    for row, source, canonical in fresh:
        paragraphs = _paragraphs(row.text)
        text = "\n\n".join(paragraphs)
        pages.append(PendingPage(canonical, source.source_id, row.url or canonical, None,
                                 sha256_hex(text.encode("utf-8")), "", 0,
                                 _naive(row.published), None, now))
        extracted.append(ExtractedArticle(
            status="ok", reason=None, url=row.url, canonical_url=None, title=row.title,
            text=text, paragraphs=paragraphs, authors=(), published=row.published,
            date_source="import", language=None, method="imported-text",
            n_words=len(text.split()), truncated=False, truncation_reason=None))

    def write() -> None:
        known.write(source for _, source, _ in fresh)
        for row, source, canonical in fresh:
            con.execute(_QUERIES["insert_imported_story"], [
                canonical, summary.import_run_id, "texts", source.source_id, name, None,
                None, None, row.line, _naive(row.published), now])
            ledger.count(name, IMPORTED)
        ledger.write()

    return pages, extracted, write


# -- URL lists -------------------------------------------------------------------------------


@dataclass
class UrlJob:
    """A URL import ready for its crawl: the list the spider fetches and what it came from."""

    summary: ImportSummary
    list_path: Path
    listed: dict[str, ListedUrl]  # canonical URL -> list entry
    input_file: str


def prepare_url_import(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    sources: Sequence[Source],
    work_dir: Path,
    encoding: str = "utf-8-sig",
    dates: DateRange | None = None,
    run_id: str | None = None,
) -> UrlJob:
    """Read a URL list, count what cannot be fetched, and write the spider's list (JSON lines)."""
    summary = ImportSummary(run_id or new_import_run_id("urls"), "urls")
    name = str(path)
    _Run(con, summary, [name], {"encoding": encoding})
    ledger = _Ledger(con, summary)
    known = _Sources(con, sources)
    listed: dict[str, ListedUrl] = {}
    source_of: dict[str, str] = {}
    try:
        for item in read_url_list(path, encoding=encoding, dates=dates):
            if isinstance(item, Skipped):
                ledger.skip(name, item, "line")
                continue
            if item.date_problem is not None:
                ledger.problem(name, item.date_problem, "line")
                ledger.count(name, "date_dropped")
            resolved = known.for_url(item.url, keep_unknown=False)
            if resolved is None:
                ledger.count(name, "unknown_host")
                continue
            try:
                canonical = canonical_url(item.url)
            except ValueError as error:
                ledger.skip(name, Skipped("not_a_url", item.line, str(error)), "line")
                continue
            if canonical in listed:
                ledger.count(name, "repeated_url")
                continue
            listed[canonical] = item
            source_of[canonical] = resolved.source_id
    except (OSError, LookupError) as error:
        ledger.skip(name, Skipped("unreadable_file", 0, f"{type(error).__name__}: {error}"), "line")
    stored = _stored(con, sorted(listed))
    for canonical in list(listed):
        if canonical in stored:
            ledger.count(name, "already_imported" if stored[canonical][1] == "urls"
                         else "url_already_stored")
            del listed[canonical]
    _in_transaction(con, ledger.write)
    work_dir.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept for the crawl
        "w", encoding="utf-8", dir=work_dir, prefix=f"{summary.import_run_id}-", suffix=".jsonl",
        delete=False)
    with handle:
        for canonical, item in listed.items():
            handle.write(json.dumps({
                "source_id": source_of[canonical], "url": item.url, "title": item.title,
                "published": _naive(item.published).isoformat() if item.published else None,
                "published_offset_minutes": stated_offset_minutes(item.published)},
                ensure_ascii=False) + "\n")
    return UrlJob(summary, Path(handle.name), listed, name)


def finish_url_import(con: duckdb.DuckDBPyConnection, job: UrlJob, crawl_run_id: str | None,
                      crawl: dict[str, Any] | None, failure: str | None = None) -> ImportSummary:
    """Record which listed stories the crawl stored (and count the rest as not fetched)."""
    summary = job.summary
    ledger = _Ledger(con, summary)
    fetched = {}
    if crawl_run_id and job.listed:
        fetched = dict(con.execute(_QUERIES["url_import_results"],
                                   [crawl_run_id, sorted(job.listed)]).fetchall())
    now = _now()

    def write() -> None:
        for canonical, item in job.listed.items():
            if canonical in fetched:
                con.execute(_QUERIES["insert_imported_story"], [
                    canonical, summary.import_run_id, "urls", fetched[canonical], job.input_file,
                    None, None, None, item.line, _naive(item.published), now])
                ledger.count(job.input_file, IMPORTED)
            else:
                ledger.count(job.input_file, "not_fetched")
        ledger.write()

    _in_transaction(con, write)
    if crawl is not None:
        summary.extra["crawl"] = crawl
    status = "failed" if failure else "finished"
    con.execute(_QUERIES["finish_import_run"],
                [status, _now(), ((failure + "; ") if failure else "") + _message(summary),
                 summary.import_run_id])
    job.list_path.unlink(missing_ok=True)
    return summary
