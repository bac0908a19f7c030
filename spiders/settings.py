"""Scrapy settings for a framewatch crawl, derived from the framewatch Settings (no globals).

Scale-out: with `[crawl] frontier = "redis"` the crawl's requests, duplicate filter and crawl
state live in Redis (scrapy-redis, extended in `spiders/frontier.py`), so that crawler processes
on several machines split one run; each crawler then has an id that names its WARC files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.settings import default_settings

from pipeline.settings import Settings

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's robots.txt middleware, extended to archive and log each robots.txt fetch.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.RecordingRobotsTxtMiddleware": 100,
    # After RetryMiddleware (550) on the way in, before it on the way out: sees every attempt.
    "spiders.politeness.PolitenessMiddleware": 560,
    "spiders.middlewares.ConditionalGetMiddleware": 570,
}
SPIDER_MIDDLEWARES = {"spiders.incremental.IncrementalMiddleware": 950}
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "spiders.politeness.PoliteAutoThrottle": 0,
    "spiders.store.CrawlStore": 100,
}
# Scrapy components this crawl never enables: the control ports (no commands from the network)
# and cookies (COOKIES_ENABLED is off). Scrapy imports every component its settings name, even
# one disabled with None, and these imports (aiohttp, tldextract) cost a fifth of a second at
# every start; left out of the *_BASE dicts, they are not imported at all.
UNUSED_COMPONENTS = frozenset({
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
})
ITEM_PIPELINES = {
    "spiders.pipelines.ArchivePipeline": 100,
    "spiders.pipelines.WarehousePipeline": 200,
}


def _without_unused(components: dict[str, int]) -> dict[str, int]:
    return {path: order for path, order in components.items() if path not in UNUSED_COMPONENTS}


def _warehouse_spec(settings: Settings) -> str:
    target = settings.warehouse_target
    return target.spec() if hasattr(target, "spec") else str(target)


def scrapy_settings(settings: Settings, *, run_id: str, sources_path: str | Path,
                    crawler_id: str = "") -> dict[str, Any]:
    """The Scrapy settings dict of one crawl run (of one of its crawlers, with a shared frontier)."""
    crawl = settings.crawl
    values: dict[str, Any] = {
        "BOT_NAME": "framewatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle_target_concurrency,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": crawl.max_page_bytes // 2,
        # Keep a cut-short body (flagged "dataloss") so it is archived and logged as truncated.
        "DOWNLOAD_FAIL_ON_DATALOSS": False,
        "REDIRECT_MAX_TIMES": 5,
        # Every response reaches a callback, which gives each HTTP status its fetch-log status.
        "HTTPERROR_ALLOW_ALL": True,
        # A dropped over-long URL would leave its URL without a status.
        "URLLENGTH_LIMIT": 0,
        "COOKIES_ENABLED": False,
        # No control ports: a research crawl takes no commands from the network.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        # Scrapy starts CONCURRENT_ITEMS asyncio workers for every callback's output; our
        # pipelines are synchronous, so the default 100 only costs CPU (most of it, measured).
        "CONCURRENT_ITEMS": 8,
        # A lint for spider authors: Scrapy reads and parses a callback's source to look for
        # `return value` in a generator, and its cache (weak references to bound methods)
        # keeps missing: 16 parses for 80 responses in an unchanged re-crawl, a sixth of its
        # crawling CPU. Our callbacks are covered by tests instead.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "LOG_LEVEL": crawl.log_level,
        "LOGSTATS_INTERVAL": 30.0,
        "DOWNLOADER_MIDDLEWARES_BASE": _without_unused(default_settings.DOWNLOADER_MIDDLEWARES_BASE),
        "EXTENSIONS_BASE": _without_unused(default_settings.EXTENSIONS_BASE),
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        "SPIDER_MIDDLEWARES": dict(SPIDER_MIDDLEWARES),
        "EXTENSIONS": dict(EXTENSIONS),
        "ITEM_PIPELINES": dict(ITEM_PIPELINES),
        "FRAMEWATCH_RUN_ID": run_id,
        "FRAMEWATCH_SOURCES_PATH": str(sources_path),
        # The file, or a lake's location as one string (warehouse.db.as_target reads both).
        "FRAMEWATCH_DB_PATH": _warehouse_spec(settings),
        "FRAMEWATCH_ARCHIVE_DIR": str(settings.archive_path),
        "FRAMEWATCH_WARC_MAX_BYTES": crawl.warc_max_bytes,
        "FRAMEWATCH_MAX_PAGES_PER_SOURCE": crawl.max_pages_per_source,
        "FRAMEWATCH_RETRY_BACKOFF_HOURS": crawl.retry_backoff_hours,
        "FRAMEWATCH_RETRY_GIVE_UP_AFTER": crawl.retry_give_up_after,
    }
    # Politeness limits (zero leaves the spider's defaults).
    for field, key in (("host_max_failures", "FRAMEWATCH_HOST_MAX_FAILURES"),
                       ("max_retry_after", "FRAMEWATCH_MAX_RETRY_AFTER")):
        value = getattr(crawl, field)
        if value:
            values[key] = value
    if crawl.frontier == "redis":
        values.update(shared_frontier_settings(settings, run_id=run_id, crawler_id=crawler_id))
    return values


def shared_frontier_settings(settings: Settings, *, run_id: str, crawler_id: str) -> dict[str, Any]:
    """What one crawler of a crawl split through Redis adds to the Scrapy settings."""
    from pipeline.frontier import CrawlKeys

    if not crawler_id:
        raise ValueError("a crawler of a shared frontier needs a crawler id")
    keys = CrawlKeys(run_id)
    extensions = {("spiders.frontier.SharedCrawlStore" if path == "spiders.store.CrawlStore"
                   else path): order for path, order in EXTENSIONS.items()}
    return {
        "SCHEDULER": "spiders.frontier.FrontierScheduler",
        "DUPEFILTER_CLASS": "spiders.frontier.FrontierDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        # A crawler that finishes must not wipe the queue and filter the others still use.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "REDIS_URL": settings.crawl.redis_url,
        "EXTENSIONS": extensions,
        "DOWNLOADER_MIDDLEWARES": {**DOWNLOADER_MIDDLEWARES,
                                   # sees a redirect before RedirectMiddleware (600) follows it
                                   "spiders.frontier.SharedRedirectFilter": 610},
        "FRAMEWATCH_CRAWLER_ID": crawler_id,
        # One archive folder for the crawl; file names unique per crawler.
        "FRAMEWATCH_WARC_LABEL": f"{run_id}-{crawler_id}",
        "FRAMEWATCH_SHARED_FRONTIER": True,
        # Crawlers take turns at a DuckDB file: a batch may wait for the others' batches, and
        # each batch opens the warehouse anew, so batches are fewer and larger.
        "FRAMEWATCH_DB_WAIT_SECONDS": 120.0,
        "FRAMEWATCH_STORE_FLUSH_SECONDS": 5.0,
        "FRAMEWATCH_FRONTIER_LEASE_SECONDS": settings.crawl.frontier_lease_seconds,
        "FRAMEWATCH_FRONTIER_TTL_SECONDS": int(settings.crawl.frontier_ttl_hours * 3600),
    }
