"""Clean stage: archived HTML -> article rows (text, metadata, duplicates, relevance).

Reads the pages the crawl stored (core.pages, pointing into the WARC archive) that have no
article row yet or whose HTML changed, and writes core.articles. Each batch is one transaction,
so a run killed midway loses nothing and the next run continues with the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from pipeline import archive
from pipeline.dedupe import Copy, IndexRow, StoryGroups, StoryLink, choose_original
from pipeline.distributed.units import Unit, make_units
from pipeline.extraction.article import ExtractedArticle, extract_article
from pipeline.extraction.dates import utc_offset_minutes
from pipeline.relevance import RelevanceModel
from pipeline.stages.embedding_cache import EmbeddingCache
from warehouse.claims import WorkClaims
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION = "framewatch-extract/2"
# Two batches extracted ahead, so the extraction workers never wait for the main process to
# finish a batch's relevance and writes. Smaller batches give the relevance model's embedding
# workers too little to share per call (measured: 32 pages a batch, 26 pages/s; 64, 29).
BATCH_SIZE = 64
BATCHES_AHEAD = 2
# The last batch's relevance and writes run in the main process after the workers have
# finished, with one core idle. Batches halve towards the end (never below this many pages),
# so that this tail is a few pages rather than up to a full batch.
MIN_TAIL_BATCH = 8

@dataclass(frozen=True)
class PendingPage:
    canonical_url: str
    source_id: str
    url: str
    content_type: str | None
    content_sha256: str
    warc_file: str
    warc_offset: int
    listing_published: datetime | None
    first_seen: datetime | None
    fetched_at: datetime
    listing_offset_minutes: int | None = None  # the UTC offset the listing stated its date at


@dataclass
class CleanSummary:
    pages: int = 0
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    in_scope: int = 0
    units: int = 0  # units of work done (processing on Dask)
    units_held_elsewhere: int = 0  # units another live worker holds: their pages wait for a later run

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "pages": self.pages, "ok": self.ok, "failed": self.failed,
            "duplicates": self.duplicates, "in_scope": self.in_scope,
        }
        if self.units or self.units_held_elsewhere:
            result.update(units=self.units, units_held_elsewhere=self.units_held_elsewhere)
        return result


def article_id_for(canonical_url: str) -> str:
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def _as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; the warehouse keeps naive timestamps that mean UTC."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _as_utc(value).replace(tzinfo=None)


def _listing_date(page: PendingPage) -> datetime | None:
    """The listing's date at the offset the listing stated (UTC when none): a page dated by its
    feed keeps the publisher's day and week."""
    published = _as_utc(page.listing_published)
    if published is None or not page.listing_offset_minutes:
        return published
    return published.astimezone(timezone(timedelta(minutes=page.listing_offset_minutes)))


def extract_page(archive_dir: str, page: PendingPage) -> ExtractedArticle:
    """Read one archived page and extract it (runs in a worker process)."""
    _, _, body = archive.read_record(archive_dir, page.warc_file, page.warc_offset)
    return extract_article(
        body,
        page.url,
        content_type=page.content_type,
        feed_date=_listing_date(page),
    )


class _Extractor:
    """Extraction in worker processes, ahead of the main process.

    While the main process judges relevance (the model) and writes batch k, the workers already
    extract the next batches, so both cores stay busy.
    """

    def __init__(self, archive_dir: Path, workers: int) -> None:
        self.archive_dir = str(archive_dir)
        self.pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None

    def submit(self, pages: Sequence[PendingPage]) -> list[Future[ExtractedArticle]] | Sequence[PendingPage]:
        if self.pool is None:
            return pages
        return [self.pool.submit(extract_page, self.archive_dir, page) for page in pages]

    def collect(self, submitted: list[Future[ExtractedArticle]] | Sequence[PendingPage]) -> list[ExtractedArticle]:
        if self.pool is None:
            return [extract_page(self.archive_dir, page) for page in submitted]  # type: ignore[arg-type]
        return [future.result() for future in submitted]  # type: ignore[union-attr]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _published(page: PendingPage, extracted: ExtractedArticle) -> tuple[datetime | None, str]:
    """The article's date and where it came from; the crawl date when nothing else says."""
    if extracted.published is not None:  # aware, at the publisher's offset
        return extracted.published, extracted.date_source
    first_seen = page.first_seen or page.fetched_at
    return _as_utc(first_seen), "crawl"


class _Stories:
    """The story of every cleaned article (`pipeline.dedupe.StoryGroups`), kept in step with
    the warehouse.

    The stored articles are loaded into the groups first. After each batch, every article
    whose story changed (a new copy, an earlier original, two stories joined by a copy of both)
    gets its duplicate columns again: the batch's rows before they are written, stored ones by
    an update when their link changed. So the warehouse holds the same answer whatever order
    and batches the pages were cleaned in (a stored link left by an older rule is corrected
    when its story is first touched).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, exclude: set[str]) -> None:
        queries = named_queries("clean")
        self.wire_sources = {
            source for source, kind in con.execute(queries["source_kinds"]).fetchall()
            if kind == "wire"
        }
        self.groups = StoryGroups(original_of=_original)
        self.stored: dict[str, StoryLink] = {}  # what core.articles says of each article
        self.cleaned: set[str] = set()  # articles cleaned in this run
        for r in con.execute(queries["stored_stories"]).fetchall():
            if r[0] in exclude:
                continue
            row = IndexRow(r[0], np.asarray(r[1], dtype=np.uint64), r[2], r[3], r[4], r[5])
            self.groups.add(row, Copy(r[0], r[6], bool(r[8])))
            self.stored[r[0]] = StoryLink(r[7], r[9], r[10])
        self.touched: set[str] = set(self.stored)

    def add(self, row: dict[str, Any], text: str) -> None:
        """Join the row's text to its story and fill the columns that describe the text."""
        article_id = row["article_id"]
        copy = Copy(article_id, row["published_at"], row["source_id"] in self.wire_sources)
        stored = self.groups.add_text(copy, text, source_id=row["source_id"])
        row.update(
            text_fingerprint=stored.fingerprint,
            minhash=[int(v) for v in stored.signature],
            shingle_count=stored.shingle_count,
            wire_credit=stored.wire_credit,
        )
        self.touched.add(article_id)
        self.cleaned.add(article_id)

    def settle(self, rows: Sequence[dict[str, Any]]) -> list[tuple[str, StoryLink]]:
        """Fill the duplicate columns of the batch's rows; the stored articles whose link changed."""
        links: dict[str, StoryLink] = {}
        for article_id in sorted(self.touched):
            if article_id not in links:
                links.update(self.groups.links(article_id))
        self.touched.clear()
        batch = {row["article_id"] for row in rows}
        for row in rows:
            link = links.get(row["article_id"])
            if link is not None:
                row.update(duplicate_of=link.duplicate_of, duplicate_kind=link.kind,
                           duplicate_similarity=link.similarity)
        changed = [(article_id, link) for article_id, link in sorted(links.items())
                   if article_id not in batch and self.stored.get(article_id) != link]
        self.stored.update(links)
        return changed

    def kinds(self) -> dict[str, int]:
        """How many articles cleaned in this run are copies, by kind, as their stories stand."""
        counts: dict[str, int] = {}
        for article_id in self.cleaned:
            kind = self.stored[article_id].kind
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
        return counts


def write_links(con: duckdb.DuckDBPyConnection, changed: Sequence[tuple[str, StoryLink]]) -> None:
    """Rewrite the duplicate columns of stored articles whose story changed."""
    if changed:
        con.executemany(named_queries("clean")["set_story_link"],
                        [[link.duplicate_of, link.kind, link.similarity, article_id]
                         for article_id, link in changed])


def _original(copies: Sequence[Copy]) -> str:
    """The original of a story's copies; a date without a time (midnight) compares by day only.

    Many pages give only the day of publication: such a copy is not earlier than a copy
    published at 13:45 the same day, so on a day some copy gives without a time, every copy
    of that day counts from midnight (and on a tie the wire outlet's copy is the original).
    """
    def day_only(copy: Copy) -> bool:
        return copy.published_at is not None and copy.published_at.time() == time(0)

    undated_days = {copy.published_at.date() for copy in copies if day_only(copy)}
    return choose_original(
        replace(c, published_at=datetime.combine(c.published_at.date(), time(0)))
        if c.published_at is not None and c.published_at.date() in undated_days else c
        for c in copies
    )


def _earlier(first: Copy, second: Copy) -> str:
    """The original of two copies (see `_original`)."""
    return _original([first, second])


def _article_row(page: PendingPage, extracted: ExtractedArticle, stories: _Stories) -> dict[str, Any]:
    article_id = article_id_for(page.canonical_url)
    published, date_source = _published(page, extracted)
    row: dict[str, Any] = {
        "article_id": article_id,
        "canonical_url": page.canonical_url,
        "source_id": page.source_id,
        "url": page.url,
        "content_sha256": page.content_sha256,
        "extraction_status": extracted.status,
        "extraction_reason": extracted.reason,
        "extraction_method": extracted.method,
        "title": extracted.title,
        "authors": list(extracted.authors),
        "published_at": _naive_utc(published),
        # the publisher's clock: the day and week of the story are taken in it
        "published_offset_minutes": utc_offset_minutes(published) if date_source != "crawl" else None,
        "date_source": date_source,
        "language": extracted.language,
        "text": extracted.text if extracted.status == "ok" else None,
        "n_words": extracted.n_words,
        "truncated": extracted.truncated,
        "text_fingerprint": None,
        "minhash": None,
        "shingle_count": None,
        "duplicate_of": None,
        "duplicate_kind": None,
        "duplicate_similarity": None,
        "wire_credit": None,
        "relevance_score": None,
        "in_scope": False,
        "relevance_evidence": None,
        "cleaned_at": _naive_utc(datetime.now(UTC)),
        "extractor_version": EXTRACTOR_VERSION,
    }
    if extracted.status == "ok":
        stories.add(row, extracted.text)
    return row


_ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()), ("canonical_url", pa.string()), ("source_id", pa.string()),
        ("url", pa.string()), ("content_sha256", pa.string()), ("extraction_status", pa.string()),
        ("extraction_reason", pa.string()), ("extraction_method", pa.string()),
        ("title", pa.string()), ("authors", pa.list_(pa.string())),
        ("published_at", pa.timestamp("us")), ("published_offset_minutes", pa.int32()),
        ("date_source", pa.string()),
        ("language", pa.string()), ("text", pa.string()), ("n_words", pa.int32()),
        ("truncated", pa.bool_()), ("text_fingerprint", pa.string()),
        ("minhash", pa.list_(pa.uint64())), ("shingle_count", pa.int32()),
        ("duplicate_of", pa.string()), ("duplicate_kind", pa.string()),
        ("duplicate_similarity", pa.float64()), ("wire_credit", pa.string()),
        ("relevance_score", pa.float64()), ("in_scope", pa.bool_()),
        ("relevance_evidence", pa.string()), ("cleaned_at", pa.timestamp("us")),
        ("extractor_version", pa.string()),
    ]
)


def write_articles(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace article rows (one transaction, done by the caller)."""
    if not rows:
        return
    table = pa.Table.from_pylist(list(rows), schema=_ARTICLE_SCHEMA)
    columns = ", ".join(_ARTICLE_SCHEMA.names)
    con.register("new_articles", table)
    try:
        con.execute(named_queries("clean")["delete_replaced_articles"])
        # Inline, not in clean.sql: the column list is the Arrow schema's.
        con.execute(f"insert into core.articles ({columns}) select {columns} from new_articles")
    finally:
        con.unregister("new_articles")


def judge_extracted(
    extracted: Sequence[ExtractedArticle], model: RelevanceModel
) -> list[dict[str, Any] | None]:
    """The relevance columns of each extracted article (None for one without text): data in,
    data out, so a Dask worker can judge what it extracted."""
    judged: list[dict[str, Any] | None] = [None] * len(extracted)
    items = [(index, article) for index, article in enumerate(extracted) if article.status == "ok"]
    if not items:
        return judged
    verdicts = model.judge_many([(article.title or "", list(article.paragraphs)) for _, article in items])
    for (index, _), verdict in zip(items, verdicts, strict=True):
        judged[index] = {
            "relevance_score": None if verdict.score is None else float(verdict.score),
            "in_scope": bool(verdict.in_scope),
            "relevance_evidence": json.dumps(
                {
                    "decided_by": verdict.decided_by,
                    "term_hits": verdict.term_hits,
                    "passages": [{"text": text, "score": round(float(score), 4)}
                                 for text, score in verdict.evidence],
                },
                ensure_ascii=False,
            ),
        }
    return judged


def _apply_relevance(rows: Sequence[dict[str, Any]], judged: Sequence[dict[str, Any] | None]) -> None:
    for row, columns in zip(rows, judged, strict=True):
        if columns is not None and row["text"] is not None:
            row.update(columns)


def pending_pages(con: duckdb.DuckDBPyConnection, *, everything: bool = False) -> list[PendingPage]:
    rows = con.execute(named_queries("clean")["pending_pages"], [everything]).fetchall()
    return [PendingPage(*row) for row in rows]


def _batches(items: Sequence[PendingPage], size: int) -> Iterable[Sequence[PendingPage]]:
    """Consecutive batches of at most `size` pages, halving towards the end (see MIN_TAIL_BATCH)."""
    start = 0
    while start < len(items):
        remaining = len(items) - start
        step = min(size, max((remaining + 1) // 2, MIN_TAIL_BATCH))
        if remaining - step < MIN_TAIL_BATCH:  # no batch of a few pages left over at the end
            step = min(size, remaining)
        yield items[start : start + step]
        start += step


def clean_pending(
    con: duckdb.DuckDBPyConnection,
    archive_dir: Path,
    relevance: RelevanceModel,
    *,
    workers: int | None = None,
    everything: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> CleanSummary:
    """Clean every page not yet cleaned (or all of them, with `everything`, for reprocessing)."""
    pages = pending_pages(con, everything=everything)
    workers = workers or min(2, os.cpu_count() or 1)
    summary = CleanSummary()
    redo = {article_id_for(page.canonical_url) for page in pages}
    stories = _Stories(con, exclude=redo)
    batches = list(_batches(pages, batch_size))
    extractor = _Extractor(archive_dir, workers if len(pages) >= 8 else 1)
    try:
        ahead = deque(extractor.submit(batch) for batch in batches[:BATCHES_AHEAD])
        for number, batch in enumerate(batches):
            extracted = extractor.collect(ahead.popleft())
            if number + BATCHES_AHEAD < len(batches):
                ahead.append(extractor.submit(batches[number + BATCHES_AHEAD]))
            _store_batch(con, batch, extracted, stories, relevance, summary)
            if progress:
                progress(summary.pages, len(pages))
            logger.info("cleaned %d/%d pages", summary.pages, len(pages))
    finally:
        extractor.close()
    summary.duplicates = stories.kinds()  # as the stories stand at the end, not batch by batch
    return summary


def _store_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Sequence[PendingPage],
    extracted: Sequence[ExtractedArticle],
    stories: _Stories,
    relevance: RelevanceModel | None,
    summary: CleanSummary,
    also_write: Callable[[], None] | None = None,
    judged: Sequence[dict[str, Any] | None] | None = None,
) -> None:
    """Dedupe and judge one extracted batch, then write it (and `also_write`'s rows) in one
    transaction. `judged`: relevance columns a worker already computed (`judge_extracted`)."""
    rows = [_article_row(page, article, stories) for page, article in zip(batch, extracted, strict=True)]
    changed_links = stories.settle(rows)
    _apply_relevance(rows, judged if judged is not None else judge_extracted(extracted, relevance))
    con.execute("begin transaction")
    try:
        write_articles(con, rows)
        if also_write is not None:  # an import's provenance rows commit with its articles
            also_write()
        write_links(con, changed_links)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    for row in rows:
        summary.pages += 1
        if row["extraction_status"] == "ok":
            summary.ok += 1
            summary.in_scope += int(row["in_scope"])
        else:
            status = row["extraction_status"]
            summary.failed[status] = summary.failed.get(status, 0) + 1


def store_extracted(
    con: duckdb.DuckDBPyConnection,
    batches: Iterable[tuple[Sequence[PendingPage], Sequence[ExtractedArticle], Callable[[], None] | None]],
    relevance: RelevanceModel,
    exclude: set[str] | None = None,
) -> CleanSummary:
    """Dedupe, judge and write articles extracted elsewhere (`framewatch import texts`), batch
    by batch, with the same story index and writes as the clean stage. Each batch's third item
    writes the caller's own rows inside the batch's transaction. Batches are drawn one at a time,
    after the previous one is committed. `exclude`: article ids not to load as stored stories.
    """
    summary = CleanSummary()
    stories = _Stories(con, exclude=exclude or set())
    for pages, extracted, also_write in batches:
        if pages:
            _store_batch(con, pages, extracted, stories, relevance, summary, also_write=also_write)
        elif also_write is not None:
            con.execute("begin transaction")
            try:
                also_write()
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
    return summary


class UnitLostError(Exception):
    """A unit's claim was no longer ours when its result came to be written."""


def page_key(page: PendingPage) -> str:
    """What a page unit holds: the page and the version of its HTML."""
    return f"{page.canonical_url}\0{page.content_sha256}"


class _ModelOnly:
    """The embedding cache's encoder when the vectors come from the workers: its id only."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("the workers embed; the flow only stores their vectors")


def clean_in_units(
    con: duckdb.DuckDBPyConnection,
    run_units: Callable[[Iterable[tuple[Unit[PendingPage], tuple]]], Iterable[tuple[Unit[PendingPage], Any]]],
    unit_arguments: Callable[[Unit[PendingPage]], tuple],
    claims: WorkClaims,
    *,
    owner: str,
    unit_size: int,
    lease_seconds: float,
    claims_share_transaction: bool,
    everything: bool = False,
    salt: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> CleanSummary:
    """The clean stage with extraction and relevance done elsewhere (Dask workers), unit by unit.

    The pending pages are cut into units (pipeline/distributed/units.py) and claimed for `owner`;
    `run_units` runs `pipeline.distributed.worker.clean_unit` on each claimed unit (with
    `unit_arguments(unit)`) and yields the results in any order. Each result is deduplicated
    against the stories here and written with its embeddings in one transaction, keyed by
    article id, and its claim completed: with `claims_share_transaction` (the single file) in
    that same transaction, else (claims in a lake's PostgreSQL) right after it. A unit Dask ran
    twice is written once; a unit already completed or held by a live worker is left alone.
    """
    pages = pending_pages(con, everything=everything)
    units = make_units(pages, unit_size, page_key, salt=salt)
    summary = CleanSummary()
    held = set(claims.claim("clean", [unit.unit_id for unit in units], owner, lease_seconds))
    todo = [unit for unit in units if unit.unit_id in held]
    summary.units_held_elsewhere = len(units) - len(todo)
    total = sum(len(unit.items) for unit in todo)
    stories = _Stories(con, exclude={article_id_for(page.canonical_url) for page in pages})
    done: set[str] = set()
    caches: dict[str, EmbeddingCache] = {}
    try:
        for unit, result in run_units((unit, unit_arguments(unit)) for unit in todo):
            cache = caches.setdefault(result.model_id, EmbeddingCache(con, _ModelOnly(result.model_id)))

            def also_write(unit: Unit[PendingPage] = unit, result: Any = result,
                           cache: EmbeddingCache = cache) -> None:
                cache.store(list(result.embeddings), list(result.embeddings.values()))
                if claims_share_transaction and not claims.complete("clean", [unit.unit_id], owner):
                    raise UnitLostError(unit.unit_id)

            try:
                _store_batch(con, unit.items, result.extracted, stories, None, summary,
                             also_write=also_write, judged=result.judged)
            except UnitLostError:
                logger.warning("clean unit %s was taken over by another worker; not written", unit.unit_id)
                continue
            if not claims_share_transaction:
                claims.complete("clean", [unit.unit_id], owner)
            done.add(unit.unit_id)
            summary.units += 1
            if progress:
                progress(summary.pages, total)
            logger.info("cleaned %d/%d pages (%d/%d units)", summary.pages, total, summary.units, len(todo))
    except BaseException:
        # Give the units not written back at once, so the next run need not wait for the lease.
        claims.release("clean", [unit.unit_id for unit in todo if unit.unit_id not in done], owner)
        raise
    summary.duplicates = stories.kinds()
    return summary
