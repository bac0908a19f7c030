"""Politeness per host: robots.txt Crawl-delay, Retry-After, and a breaker for failing hosts.

- Crawl-delay from robots.txt becomes a floor under the host's download-slot delay, which
  AutoThrottle (`PoliteAutoThrottle`) may raise but never lower past.
- A 429/503 with Retry-After raises the slot delay to the wait asked for, so the retry (and every
  other request to that host) waits; a wait longer than `FRAMEWATCH_MAX_RETRY_AFTER` is not
  retried and the host is skipped for the rest of the run.
- A host whose last `FRAMEWATCH_HOST_MAX_FAILURES` URLs all failed for good (5xx, 429,
  timeouts, refused connections, after their retries) is skipped for the rest of the run. From
  the second such URL on, each doubles the host's delay first (from
  `FRAMEWATCH_HOST_BACKOFF_SECONDS`). Counting URLs rather than attempts keeps one bad page
  retried three times from condemning a host whose other pages are fine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

MIN_DELAY_META = "fw_min_delay"
FAILURE_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


class HostSkipped(IgnoreRequest):
    """A request not sent because its host failed too often (or asked us to stay away)."""


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


@dataclass
class HostState:
    floor: float = 0.0  # Crawl-delay from robots.txt
    failures: int = 0
    raised_delay: bool = False  # slot delay raised by Retry-After or back-off, to undo on success
    skipped_reason: str | None = None


class PolitenessMiddleware:
    """Downloader middleware: Crawl-delay floors, Retry-After waits, failing-host breaker."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.base_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.max_failures = settings.getint("FRAMEWATCH_HOST_MAX_FAILURES", 5)
        self.max_retries = settings.getint("RETRY_TIMES") if settings.getbool("RETRY_ENABLED") else 0
        self.backoff = settings.getfloat("FRAMEWATCH_HOST_BACKOFF_SECONDS", 1.0)
        self.max_backoff = settings.getfloat("FRAMEWATCH_HOST_MAX_BACKOFF_SECONDS", 60.0)
        self.max_retry_after = settings.getfloat("FRAMEWATCH_MAX_RETRY_AFTER", 120.0)
        self.user_agent = settings["USER_AGENT"]
        # Off only for benchmarks against our own demo site.
        self.obey_crawl_delay = settings.getbool("FRAMEWATCH_OBEY_CRAWL_DELAY", True)
        self.hosts: dict[str, HostState] = {}
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolitenessMiddleware:
        return cls(crawler)

    def _host(self, request: Request) -> tuple[str, HostState]:
        key = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        return key, self.hosts.setdefault(key, HostState())

    def _slot(self, key: str) -> Slot | None:
        engine = self.crawler.engine
        return engine.downloader.slots.get(key) if engine is not None else None

    def _set_delay(self, key: str, state: HostState, delay: float) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(key)
        per_slot = downloader.per_slot_settings.setdefault(key, {})
        # Random jitter would shorten some gaps below a wait the host asked for (Crawl-delay,
        # Retry-After) or our back-off; it returns once the host is back to its normal delay.
        exact = bool(state.floor) or delay > max(self.base_delay, state.floor)
        jitter = 0.0 if exact else getattr(downloader, "_jitter", 0.0)
        if slot is not None:
            slot.delay = delay
            slot.jitter = jitter
        # A slot dropped by Scrapy's idle-slot cleanup is rebuilt from these settings.
        per_slot["delay"] = max(delay, state.floor)
        per_slot["jitter"] = jitter

    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        if not delay or not self.obey_crawl_delay:
            return
        key, state = self._host(request)
        state.floor = float(delay)
        logger.info("robots.txt of %s asks for Crawl-delay %.2fs", key, state.floor)
        slot = self._slot(key)
        self._set_delay(key, state, max(state.floor, slot.delay if slot else self.base_delay))

    def process_request(self, request: Request) -> None:
        key, state = self._host(request)
        if state.skipped_reason:
            raise HostSkipped(state.skipped_reason)
        if state.floor:
            request.meta[MIN_DELAY_META] = state.floor
            slot = self._slot(key)
            if slot is not None and slot.delay < state.floor:
                slot.delay = state.floor

    def process_response(self, request: Request, response: Response) -> Response:
        key, state = self._host(request)
        if response.status not in FAILURE_STATUSES:
            self._recovered(key, state)
            return response
        wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is not None and response.status in (429, 503):
            request.meta["fw_retry_after"] = wait
            if wait > self.max_retry_after:
                request.meta["dont_retry"] = True
                self._skip(key, state, f"host asked to wait {wait:.0f}s (Retry-After), more than "
                                       f"the {self.max_retry_after:.0f}s this crawl waits")
                return response
            slot = self._slot(key)
            self._set_delay(key, state, max(wait, state.floor, slot.delay if slot else 0.0))
            state.raised_delay = True
        self._failed(key, state, f"HTTP {response.status}", self._final_attempt(request))
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if isinstance(exception, IgnoreRequest):
            return
        key, state = self._host(request)
        self._failed(key, state, type(exception).__name__, self._final_attempt(request))

    def _final_attempt(self, request: Request) -> bool:
        """Whether RetryMiddleware will give up on this request after this failure."""
        if request.meta.get("dont_retry"):
            return True
        limit = request.meta.get("max_retry_times", self.max_retries)
        return request.meta.get("retry_times", 0) >= limit

    def _recovered(self, key: str, state: HostState) -> None:
        state.failures = 0
        if state.raised_delay:
            state.raised_delay = False
            self._set_delay(key, state, max(self.base_delay, state.floor))

    def _failed(self, key: str, state: HostState, what: str, final: bool) -> None:
        if not final or state.skipped_reason:
            return
        state.failures += 1
        if state.failures >= self.max_failures:
            self._skip(key, state, f"the last {state.failures} URLs of host {key} all failed "
                                   f"(last: {what}); skipped for the rest of this run")
        elif state.failures >= 2:
            slot = self._slot(key)
            current = slot.delay if slot else self.base_delay
            backoff = min(max(current * 2, self.backoff), self.max_backoff)
            logger.info("host %s failed %d times in a row: delay now %.2fs", key, state.failures,
                        backoff)
            self._set_delay(key, state, max(backoff, state.floor))
            state.raised_delay = True

    def _skip(self, key: str, state: HostState, reason: str) -> None:
        if state.skipped_reason:
            return
        logger.warning("skipping %s: %s", key, reason)
        state.skipped_reason = reason
        self.crawler.stats.inc_value("framewatch/hosts_skipped")
        # Requests already past this middleware wait in the host's download slot: fail them too.
        slot = self._slot(key)
        if slot is None:
            return
        queued, slot.queue = list(slot.queue), type(slot.queue)()
        for _request, waiting in queued:
            waiting.errback(Failure(HostSkipped(reason)))


class PoliteAutoThrottle(AutoThrottle):
    """AutoThrottle that never lowers a host's delay below its robots.txt Crawl-delay."""

    def _response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        super()._response_downloaded(response, request, spider)
        floor = request.meta.get(MIN_DELAY_META)
        if floor:
            _, slot = self._get_slot(request, spider)
            if slot is not None and slot.delay < floor:
                slot.delay = floor
