"""The crawl's warehouse connection: run state read at start, buffered writes flushed in batches.

One Scrapy extension owns the DuckDB connection for the whole run (DuckDB allows one writing
process). Middlewares and pipelines reach it with `crawler.get_extension(CrawlStore)`.

Writes are buffered and flushed together every `FRAMEWATCH_STORE_FLUSH_SECONDS` or
`FRAMEWATCH_STORE_BATCH` rows, in one transaction, after the WARC files are fsynced: an index row
never names bytes that are not on disk, and a killed crawl loses at most the last batch of rows
(whose URLs the next run simply fetches again).
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from pipeline.urls import robots_url
from spiders.items import ARTICLE, DiscoveredLink, FetchOutcome, utc_now
from warehouse.db import backend_of, connect
from warehouse.queries import named_queries

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from pipeline.seeds import Source

logger = logging.getLogger(__name__)

_QUERIES = named_queries("pages")

# Statuses after which a URL's story is held by this run (a later variant is a duplicate).
HOLDING_STATUSES = ("new", "changed", "unchanged", "not_modified")
# Outcomes that settle a URL for good: a later run does not retry it from the backlog.
SETTLED_STATUSES = ("new", "changed", "unchanged", "not_modified", "robots_denied", "not_html",
                    "not_found", "too_large", "redirect_loop", "given_up")
# Failures that a later run may not meet again, so the URL is retried, less often each time
# (spiders/incremental.py): its own slowness or breakage, not the host's (rate_limited, a host
# skipped for the run) nor a refusal (blocked, robots_denied).
RETRIED_FAILURES = ("timeout", "connection_error", "server_error", "redirect_loop", "truncated")
# Statuses of runs that did not try a URL because of its earlier failures.
NOT_TRIED = ("backing_off", "given_up")


@dataclass(frozen=True)
class KnownPage:
    """What core.pages holds for a canonical URL."""

    fetched_at: datetime
    content_sha256: str


@dataclass(frozen=True)
class FailureStreak:
    """An article URL's failed runs in a row (RETRIED_FAILURES), the last one's status and time."""

    failures: int
    last_status: str
    last_failed: datetime


@dataclass(frozen=True)
class Validators:
    """What core.http_validators holds for a URL."""

    etag: str | None
    last_modified: str | None
    content_sha256: str | None


_FETCH_COLUMNS = ("run_id", "url", "source_id", "canonical_url", "kind", "status", "http_status",
                  "reason", "bytes", "elapsed_ms", "warc_record_id", "fetched_at")
_WARC_COLUMNS = ("record_id", "run_id", "url", "warc_file", "warc_offset", "warc_length",
                 "http_status", "content_type", "payload_digest", "fetched_at")
_PAGE_COLUMNS = ("canonical_url", "source_id", "url", "http_status", "content_type",
                 "content_sha256", "warc_record_id", "fetched_at", "run_id")
_VALIDATOR_COLUMNS = ("url", "etag", "last_modified", "last_status", "content_sha256",
                      "last_fetched")
_SOURCE_COLUMNS = ("source_id", "name", "homepage", "country", "language", "kind", "updated_at")
_DISCOVERED_COLUMNS = ("canonical_url", "source_id", "first_url", "discovered_via",
                       "listing_title", "listing_published", "listing_updated", "first_seen",
                       "last_seen", "published_offset_minutes")

_BATCH_TABLES = {"warc_records": _WARC_COLUMNS, "fetch_log": _FETCH_COLUMNS, "pages": _PAGE_COLUMNS,
                 "http_validators": _VALIDATOR_COLUMNS, "discovered": _DISCOVERED_COLUMNS,
                 "sources": _SOURCE_COLUMNS}


def _column_types(con: Any) -> dict[tuple[str, str], str]:
    """(table, column) -> SQL type of the core tables the store writes in batches."""
    rows = con.execute(_QUERIES["column_types"], [list(_BATCH_TABLES)]).fetchall()
    return {(table, column): data_type for table, column, data_type in rows}


def _batch_select(table: str, columns: tuple[str, ...], types: dict[tuple[str, str], str]) -> str:
    """`(select unnest(?::type[]) as column, ...)`: a batch passed as one list parameter per
    column, in `columns` order, as the source of a MERGE (pages.sql).

    Lists unnested side by side load a batch in one statement without pyarrow (whose import,
    and the pandas it pulls in, cost more than a whole unchanged re-crawl's writes). Built here
    rather than kept in pages.sql: the column types are read from the live schema.
    """
    missing = [column for column in columns if (table, column) not in types]
    if missing:
        raise RuntimeError(f"core.{table} has no column {', '.join(missing)}: the warehouse "
                           "schema and spiders/store.py disagree")
    unnested = ", ".join(f"unnest(?::{types[(table, column)]}[]) as {column}"
                         for column in columns)
    return f"(select {unnested})"


class CrawlStore:
    """Warehouse access for one crawl run (extension; opened with the crawler)."""

    # This store holds the warehouse open for writing for its whole run, so any other run still
    # marked 'running' when it opens is dead. A store that writes in short sessions, sharing the
    # warehouse with live crawls, cannot conclude that and sets this False.
    closes_dead_runs = True

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.run_id: str = settings["FRAMEWATCH_RUN_ID"]
        self.seeds_path: str = settings.get("FRAMEWATCH_SOURCES_PATH", "")
        self.batch_size = settings.getint("FRAMEWATCH_STORE_BATCH", 500)
        self.flush_seconds = settings.getfloat("FRAMEWATCH_STORE_FLUSH_SECONDS", 2.0)
        self.con = connect(settings["FRAMEWATCH_DB_PATH"],
                           wait_seconds=settings.getfloat("FRAMEWATCH_DB_WAIT_SECONDS", 30.0))
        types = _column_types(self.con)
        self._select = {table: _batch_select(table, columns, types)
                        for table, columns in _BATCH_TABLES.items()}
        # Validators of the URLs every run fetches (listings, robots.txt), read in one query at
        # the start; each is handed out once, later lookups read the warehouse as before.
        self._known_validators: dict[str, Validators | None] = {}
        self._barriers: list[Callable[[], None]] = []
        self._fetch_rows: list[tuple[Any, ...]] = []
        self._warc_rows: list[tuple[Any, ...]] = []
        self._page_rows: dict[str, tuple[Any, ...]] = {}
        self._validator_rows: dict[str, tuple[Any, ...]] = {}
        self._discovered: dict[str, tuple[Any, ...]] = {}
        self._loop = None
        self.logged: dict[str, str] = {}  # URL -> its status in this run
        self.claimed: dict[str, str] = {}
        # Variants met while their story's fetch is still in flight: logged once it settles
        # (the page may yet name one of them as its canonical URL and hand the story over).
        self.pending_variants: dict[str, dict[str, str | None]] = {}
        self.fetch_count: Counter[str] = Counter()
        self.status_count: Counter[str] = Counter()
        # The run's status and its run_totals rows (warehouse/queries/crawl.sql), read just before the warehouse is closed.
        self.totals: dict[str, Any] | None = None
        self._start_run()
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStore:
        return cls(crawler)

    # -- run lifecycle -------------------------------------------------------------------

    def _start_run(self) -> None:
        """Close runs left running by dead crawls, record this run as running and reload what
        an earlier attempt of it already did."""
        dead_runs = self._close_dead_runs() if self.closes_dead_runs else []
        for run_id, last_seen in dead_runs:
            logger.warning("crawl run %s was left running by a crawl that died (last write %s): "
                           "closed as interrupted", run_id, f"{last_seen:%Y-%m-%d %H:%M:%S}")
        self._record_start()
        # Read once: only URLs whose latest attempts failed, a short list even for a big outlet.
        self.failure_streaks: dict[str, FailureStreak] = {
            url: FailureStreak(failures, status, last_failed)
            for url, failures, status, last_failed in self.con.execute(
                _QUERIES["failure_streaks"],
                {"failing": list(RETRIED_FAILURES), "not_tried": list(NOT_TRIED)}).fetchall()}
        rows = self.con.execute(_QUERIES["run_fetches"], [self.run_id]).fetchall()
        for url, canonical, kind, status, source_id, record_id in rows:
            self.logged[url] = status
            self.status_count[status] += 1
            if kind != ARTICLE:
                continue
            if canonical and status in HOLDING_STATUSES:
                self.claimed.setdefault(canonical, url)
            # what counted against max_pages: every article request sent
            sent = status not in ("duplicate", "filtered", "unchanged") or record_id is not None
            if sent and source_id:
                self.fetch_count[source_id] += 1
        if rows:
            logger.info("resuming run %s: %d URLs already have a status", self.run_id, len(rows))

    def _close_dead_runs(self) -> list[tuple[str, datetime]]:
        """Close the runs left running by dead crawls; return them with their last write."""
        self.con.execute("begin transaction")
        try:
            dead_runs = self.con.execute(_QUERIES["dead_runs"], {"run": self.run_id}).fetchall()
            if dead_runs:
                self.con.execute(_QUERIES["interrupt_dead_runs"], {"run": self.run_id})
            self.con.execute("commit")
        except Exception:
            self.con.execute("rollback")
            raise
        return dead_runs

    def _record_start(self) -> None:
        """Record the run as running (a resumed run keeps its first start time)."""
        self.con.execute(_QUERIES["start_run"], [self.run_id, utc_now(), self.seeds_path])

    def mirror_sources(self, sources: Iterable[Source]) -> None:
        """Copy the outlets of sources.toml into core.sources (insert or update), in one statement."""
        now = utc_now()
        rows = [(source.id, source.name, source.homepage, source.country, source.language,
                 source.kind, now) for source in sources]
        if not rows:
            return
        self.con.execute(_QUERIES["upsert_sources"].format(select=self._select["sources"]),
                         _column_lists(_SOURCE_COLUMNS, rows))

    def prefetch_validators(self, urls: Iterable[str]) -> None:
        """Read the stored validators of these URLs in one query (see `validators`)."""
        wanted = sorted(set(urls) - self._known_validators.keys())
        if not wanted:
            return
        found = {url: Validators(etag, last_modified, sha) for url, etag, last_modified, sha
                 in self.con.execute(_QUERIES["validators_of"], [wanted]).fetchall()}
        for url in wanted:
            self._known_validators[url] = found.get(url)

    def _spider_opened(self, spider: Any) -> None:
        sources = getattr(spider, "sources", {}).values()
        self.mirror_sources(sources)
        self.prefetch_validators(url for source in sources for url in _fetched_every_run(source))
        self._loop = create_looping_call(self.flush)
        self._loop.start(self.flush_seconds, now=False)

    def _spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        for canonical in list(self.pending_variants):  # holders that never reported back
            holder = self.claimed.get(canonical, "")
            self.settle_variants(canonical, holder, self.logged.get(holder, "without a status"))
        self.flush()
        status = "finished" if reason == "finished" else "failed"
        message = ", ".join(f"{key}={value}" for key, value in sorted(self.status_count.items()))
        if status == "failed":
            message = f"stopped early ({reason}); {message}"
        self.con.execute(_QUERIES["finish_run"], [status, utc_now(), message, self.run_id])
        self.totals = {"status": status,
                       "rows": self.con.execute(named_queries("crawl")["run_totals"],
                                                 [self.run_id]).fetchall()}
        if backend_of(self.con) == "duckdb":  # a lake's CHECKPOINT is maintenance, not a flush
            self.con.execute("checkpoint")
        self.con.close()
        logger.info("run %s %s: %s", self.run_id, status, message)

    # -- reads -----------------------------------------------------------------------------

    def known_pages(self, canonical_urls: list[str]) -> dict[str, KnownPage]:
        """Stored pages for these canonical URLs (one query for the whole list)."""
        if not canonical_urls:
            return {}
        rows = self.con.execute(_QUERIES["known_pages"], [canonical_urls]).fetchall()
        return {url: KnownPage(fetched_at, sha) for url, fetched_at, sha in rows}

    def backlog(self, source_ids: list[str], *, days: float, limit: int) -> list[tuple[Any, ...]]:
        """Recently discovered articles of these sources that no run has stored yet and that
        may succeed on a retry: (source_id, url, via, title, published, updated,
        published_offset_minutes), newest first."""
        if not source_ids or limit <= 0:
            return []
        since = utc_now() - timedelta(days=days)
        return self.con.execute(_QUERIES["backlog"], {
            "since": since, "sources": source_ids, "settled": list(SETTLED_STATUSES),
            "limit": limit}).fetchall()

    def page_sha(self, canonical_url: str) -> str | None:
        pending = self._page_rows.get(canonical_url)
        if pending is not None:
            return pending[5]
        row = self.con.execute(_QUERIES["page_sha"], [canonical_url]).fetchone()
        return row[0] if row else None

    def validators(self, url: str) -> Validators | None:
        if url in self._known_validators:
            # Handed out once: a URL looked up again reads what this run has written since.
            return self._known_validators.pop(url)
        row = self.con.execute(_QUERIES["validators"], [url]).fetchone()
        return Validators(*row) if row else None

    # -- writes ----------------------------------------------------------------------------

    def add_flush_barrier(self, barrier: Callable[[], None]) -> None:
        """Call `barrier` (e.g. fsync the WARC file) before each batch is committed."""
        self._barriers.append(barrier)

    def claim(self, canonical_url: str, url: str) -> None:
        self.claimed.setdefault(canonical_url, url)

    def park_variant(self, canonical_url: str, url: str, source_id: str | None) -> None:
        self.pending_variants.setdefault(canonical_url, {})[url] = source_id

    def take_over(self, canonical_url: str, url: str) -> None:
        """`url`, named canonical by the page fetched for the story so far, now holds it."""
        self.claimed[canonical_url] = url
        self.pending_variants.get(canonical_url, {}).pop(url, None)

    def settle_variants(self, canonical_url: str, holder: str, holder_status: str) -> None:
        """Log the parked variants of a story whose holder has its final status."""
        for url, source_id in self.pending_variants.pop(canonical_url, {}).items():
            suffix = "" if holder_status in HOLDING_STATUSES else f", which ended {holder_status}"
            self.record(FetchOutcome(url=url, source_id=source_id, kind=ARTICLE,
                                     status="duplicate", canonical_url=canonical_url,
                                     reason=f"variant of {holder}{suffix}"))

    def record(self, outcome: FetchOutcome) -> bool:
        """Buffer the fetch-log (and archive index) rows of an outcome; False if the URL has one."""
        if outcome.url in self.logged:
            logger.debug("second outcome for %s ignored (%s)", outcome.url, outcome.status)
            return False
        self.logged[outcome.url] = outcome.status or "error"
        self.status_count[outcome.status or "error"] += 1
        exchange, record = outcome.exchange, outcome.record
        if record is not None and exchange is not None:
            self._warc_rows.append((record.record_id, self.run_id, exchange.url, record.warc_file,
                                    record.offset, record.length, exchange.status,
                                    exchange.header("Content-Type"), record.payload_digest,
                                    exchange.fetched_at))
        self._fetch_rows.append((
            self.run_id, outcome.url, outcome.source_id, outcome.canonical_url, outcome.kind,
            outcome.status, outcome.http_status, outcome.reason or None,
            len(exchange.body) if exchange is not None else None, outcome.elapsed_ms,
            record.record_id if record else None, outcome.fetched_at))
        self._maybe_flush()
        return True

    def add_page(self, outcome: FetchOutcome, content_sha256: str) -> None:
        exchange, record = outcome.exchange, outcome.record
        assert exchange is not None and record is not None and outcome.canonical_url
        self._page_rows[outcome.canonical_url] = (
            outcome.canonical_url, outcome.source_id, exchange.url, exchange.status,
            exchange.header("Content-Type"), content_sha256, record.record_id,
            exchange.fetched_at, self.run_id)

    def add_validators(self, outcome: FetchOutcome, content_sha256: str) -> None:
        exchange = outcome.exchange
        assert exchange is not None
        self._validator_rows[outcome.url] = (
            outcome.url, exchange.header("ETag"), exchange.header("Last-Modified"),
            exchange.status, content_sha256, exchange.fetched_at)

    def add_discovered(self, link: DiscoveredLink) -> None:
        previous = self._discovered.get(link.canonical_url)
        if previous is None:
            self._discovered[link.canonical_url] = (
                link.canonical_url, link.source_id, link.url, link.via, link.title,
                link.published, link.updated, link.seen_at, link.seen_at,
                link.published_offset_minutes)
        else:  # listed twice this run (feed and sitemap): fill in what the first lacked
            updated = max((d for d in (previous[6], link.updated) if d), default=None)
            # The date and the offset it was stated with come from the same listing; a listing
            # giving the same date with its offset completes one that gave none (as the merge
            # into core.discovered does: pages.sql upsert_discovered).
            if previous[5] is None:
                published, offset = link.published, link.published_offset_minutes
            elif previous[5] == link.published and previous[9] is None:
                published, offset = previous[5], link.published_offset_minutes
            else:
                published, offset = previous[5], previous[9]
            self._discovered[link.canonical_url] = (
                *previous[:4], previous[4] or link.title, published, updated, previous[7],
                link.seen_at, offset)
        self._maybe_flush()

    def _pending(self) -> int:
        return (len(self._fetch_rows) + len(self._page_rows) + len(self._validator_rows)
                + len(self._discovered))

    def _maybe_flush(self) -> None:
        if self._pending() >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Commit every buffered row in one transaction (after the archive is on disk)."""
        if not self._pending():
            return
        for barrier in self._barriers:
            barrier()
        batches = [
            ("insert_warc_records", "warc_records", self._warc_rows),
            ("insert_fetch_log", "fetch_log", self._fetch_rows),
            ("upsert_pages", "pages", list(self._page_rows.values())),
            ("upsert_http_validators", "http_validators", list(self._validator_rows.values())),
            ("upsert_discovered", "discovered", list(self._discovered.values())),
        ]
        self.con.execute("begin transaction")
        try:
            for query, table, rows in batches:
                if rows:
                    self.con.execute(_QUERIES[query].format(select=self._select[table]),
                                     _column_lists(_BATCH_TABLES[table], rows))
            self.con.execute("commit")
        except Exception:
            # A failed commit has ended the transaction already: keep the commit's own error
            # (a lake's conflict, which the shared crawl store retries), not rollback's.
            with contextlib.suppress(Exception):
                self.con.execute("rollback")
            raise
        self._fetch_rows.clear()
        self._warc_rows.clear()
        self._page_rows.clear()
        self._validator_rows.clear()
        self._discovered.clear()


def _column_lists(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column: the parameters of a `_batch_select` statement."""
    return [[row[i] for row in rows] for i in range(len(columns))]


def _fetched_every_run(source: Source) -> Iterator[str]:
    """The listing URLs of a source and the robots.txt of their hosts: what every run fetches."""
    listings = [*source.feeds, *source.news_sitemaps, *source.sitemaps, *source.sections]
    yield from listings
    for url in {robots_url(url) for url in (source.homepage, *listings)}:
        if url:
            yield url


def crawl_store(crawler: Crawler) -> CrawlStore:
    """The run's CrawlStore extension (one per crawl process)."""
    store = crawler.get_extension(CrawlStore)
    if store is None:
        raise RuntimeError("spiders.store.CrawlStore must be enabled in EXTENSIONS")
    return store


class UsesCrawlStore:
    """Base of components that read the run's state through the CrawlStore extension.

    The store is looked up on first use: extensions are created after downloader middlewares.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._store: CrawlStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def store(self) -> CrawlStore:
        if self._store is None:
            self._store = crawl_store(self.crawler)
        return self._store
