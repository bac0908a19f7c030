"""Scrapy settings for a framewatch crawl, derived from the framewatch Settings (no globals).

Scale-out: the spider keeps no state Scrapy's scheduler must share besides its requests, so
scrapy-redis can take over scheduling and de-duplication by setting `SCHEDULER`,
`DUPEFILTER_CLASS` and `REDIS_URL` (CrawlSettings.scheduler / dupefilter / redis_url when the
settings carry them, or the `scrapy_overrides` of `pipeline.crawl.run_crawl`).
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


def scrapy_settings(settings: Settings, *, run_id: str, sources_path: str | Path) -> dict[str, Any]:
    """The Scrapy settings dict of one crawl run."""
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
        "FRAMEWATCH_DB_PATH": str(settings.db_path),
        "FRAMEWATCH_ARCHIVE_DIR": str(settings.archive_path),
        "FRAMEWATCH_WARC_MAX_BYTES": crawl.warc_max_bytes,
        "FRAMEWATCH_MAX_PAGES_PER_SOURCE": crawl.max_pages_per_source,
    }
    # Politeness limits and the scale-out switches (empty strings leave Scrapy's defaults).
    for field, key in (("scheduler", "SCHEDULER"), ("dupefilter", "DUPEFILTER_CLASS"),
                       ("redis_url", "REDIS_URL"),
                       ("host_max_failures", "FRAMEWATCH_HOST_MAX_FAILURES"),
                       ("max_retry_after", "FRAMEWATCH_MAX_RETRY_AFTER")):
        value = getattr(crawl, field)
        if value:
            values[key] = value
    return values
