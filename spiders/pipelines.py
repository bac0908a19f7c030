"""Item pipelines: archive each fetched exchange to WARC, then record its status in the warehouse."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pipeline.archive import WarcArchive, recover_open_files, sha256_hex
from spiders.items import ARTICLE, DiscoveredLink, FetchOutcome
from spiders.store import CrawlStore, crawl_store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Write every exchange an outcome carries to the run's WARC files (before it is indexed)."""

    def __init__(self, archive: WarcArchive, store: CrawlStore) -> None:
        self.archive = archive
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        archive_dir = settings["FRAMEWATCH_ARCHIVE_DIR"]
        # With a shared frontier other crawlers' files are open right now: theirs are recovered
        # by whoever reclaims a dead crawler's work (spiders/frontier.py).
        if not settings.getbool("FRAMEWATCH_SHARED_FRONTIER"):
            for path in recover_open_files(archive_dir):
                logger.warning("recovered WARC file left open by an interrupted crawl: %s", path)
        label = settings.get("FRAMEWATCH_WARC_LABEL") or settings["FRAMEWATCH_RUN_ID"]
        archive = WarcArchive(archive_dir, label,
                              max_bytes=settings.getint("FRAMEWATCH_WARC_MAX_BYTES"),
                              software="framewatch (Scrapy)", operator=settings["USER_AGENT"])
        store = crawl_store(crawler)
        store.add_flush_barrier(archive.sync)
        return cls(archive, store)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchOutcome) and item.exchange is not None and item.record is None:
            if item.url in self.store.logged:
                return item  # the URL already has its status this run: nothing more to keep
            exchange = item.exchange
            item.record = self.archive.write_exchange(
                url=exchange.url, method=exchange.method, request_headers=exchange.request_headers,
                status=exchange.status, reason="", response_headers=exchange.response_headers,
                body=exchange.body, fetched_at=exchange.fetched_at, protocol=exchange.protocol,
                ip_address=exchange.ip_address, truncated=exchange.truncated)
        return item

    def close_spider(self) -> None:
        self.archive.close()


class WarehousePipeline:
    """Give each fetched URL its final status and buffer its rows for the warehouse."""

    def __init__(self, store: CrawlStore) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarehousePipeline:
        return cls(crawl_store(crawler))

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, DiscoveredLink):
            self.store.add_discovered(item)
        elif isinstance(item, FetchOutcome):
            if item.status is None:
                self._settle(item)
            if self.store.record(item):
                self._release_variants(item)
        return item

    def _release_variants(self, outcome: FetchOutcome) -> None:
        """Once the URL holding a story has its status, its parked variants get theirs."""
        canonical = outcome.canonical_url
        if outcome.kind != ARTICLE or not canonical or canonical not in self.store.pending_variants:
            return
        if self.store.claimed.get(canonical) != outcome.url or outcome.status == "duplicate":
            return  # not the holder, or a holder handing the story to the URL it names canonical
        self.store.settle_variants(canonical, outcome.url, outcome.status or "error")

    def _settle(self, outcome: FetchOutcome) -> None:
        """new / changed / unchanged (or duplicate) for a response that came back fine."""
        exchange = outcome.exchange
        assert exchange is not None, f"fetched outcome without a response: {outcome.url}"
        sha = sha256_hex(exchange.body)
        if outcome.kind == ARTICLE and outcome.store_page and outcome.canonical_url:
            holder = self.store.claimed.get(outcome.canonical_url)
            if holder is not None and holder != outcome.url:
                outcome.status = "duplicate"
                outcome.reason = f"same story as {holder} (reached {exchange.url})"
                return
            self.store.claim(outcome.canonical_url, outcome.url)
            previous = (outcome.known_sha256 if outcome.known_checked
                        else self.store.page_sha(outcome.canonical_url))
            self.store.add_page(outcome, sha)
        else:
            previous = outcome.known_sha256 if outcome.known_checked else None
            if not outcome.known_checked:
                stored = self.store.validators(outcome.url)
                previous = stored.content_sha256 if stored else None
        if exchange.status < 300:
            self.store.add_validators(outcome, sha)
        outcome.status = "new" if previous is None else "unchanged" if previous == sha else "changed"
        if exchange.url != outcome.url and not outcome.reason:
            outcome.reason = f"redirected to {exchange.url}"
