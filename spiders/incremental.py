"""Spider middleware: decide which discovered article URLs are fetched this run.

Every article request the spider yields passes here, a listing's worth at a time, so the
warehouse is asked once per listing. A request is
- dropped silently when its URL already holds its story this run;
- replaced by a `duplicate` outcome when another URL already holds the same canonical story;
- replaced by an `unchanged` outcome when core.pages has the story and the listing says nothing
  changed since it was fetched (no updated/lastmod date later than the stored fetch);
- replaced by a `backing_off` outcome when the URL failed in recent runs (timeout, reset, 5xx,
  redirect loop) and its next try is not due yet, or by `given_up` after too many failed runs;
- replaced by a `filtered` outcome past the source's max_pages;
- otherwise sent, marked `known` (conditional GET) when core.pages has an older copy.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.http import Response

from pipeline.urls import canonical_url
from spiders.items import ARTICLE, FetchOutcome, request_context, utc_now
from spiders.store import FailureStreak, UsesCrawlStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """When an article URL that failed in earlier runs is tried again.

    After n failed runs in a row the next try waits `backoff * 2**(n - 1)` from the last
    failure (12 h, 24 h, 48 h, ... by default); after `give_up_after` failed runs the URL is
    not tried again. A zero `backoff` retries every run; a zero `give_up_after` never gives up.
    """

    backoff: timedelta = timedelta(hours=12)
    give_up_after: int = 5

    def verdict(self, streak: FailureStreak | None, now: datetime) -> tuple[str, str] | None:
        """(status, reason) for a URL not to fetch this run, or None to fetch it."""
        if streak is None or streak.failures < 1:
            return None
        runs = f"{streak.failures} run{'s' if streak.failures > 1 else ''} in a row"
        last = f"last {streak.last_status} at {streak.last_failed:%Y-%m-%d %H:%M} UTC"
        if self.give_up_after and streak.failures >= self.give_up_after:
            return "given_up", f"failed {runs} ({last}); not tried again"
        if not self.backoff:
            return None
        due = streak.last_failed + self.backoff * 2 ** (streak.failures - 1)
        if now < due:
            return "backing_off", f"failed {runs} ({last}); next try after {due:%Y-%m-%d %H:%M} UTC"
        return None


class IncrementalMiddleware(UsesCrawlStore):
    """Turn article requests into fetches or into outcomes that need no fetch."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.default_limit = crawler.settings.getint("FRAMEWATCH_MAX_PAGES_PER_SOURCE", 0)
        self.retry_policy = RetryPolicy(
            backoff=timedelta(hours=crawler.settings.getfloat("FRAMEWATCH_RETRY_BACKOFF_HOURS", 12.0)),
            give_up_after=crawler.settings.getint("FRAMEWATCH_RETRY_GIVE_UP_AFTER", 5))

    def _limit(self, source_id: str) -> int:
        limits = getattr(self.crawler.spider, "page_limits", {})
        own = limits.get(source_id) or 0
        return min((n for n in (own, self.default_limit) if n > 0), default=0)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        pending: list[Any] = []
        async for obj in start:
            if self._needs_vetting(obj):
                pending.append(obj)
            elif isinstance(obj, Request):
                yield obj
            else:
                pending.append(obj)  # outcomes of the backlog, in order with its requests
        requests = [obj for obj in pending if isinstance(obj, Request)]
        for obj in [obj for obj in pending if not isinstance(obj, Request)]:
            yield obj
        if requests:
            for obj in self._vet(requests):
                yield obj

    @staticmethod
    def _needs_vetting(obj: Any) -> bool:
        return isinstance(obj, Request) and request_context(obj.meta).get("kind") == ARTICLE \
            and "canonical" not in request_context(obj.meta)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        pending: list[Request] = []
        async for obj in result:
            if self._needs_vetting(obj):
                pending.append(obj)
            else:
                yield obj
        if pending:
            for obj in self._vet(pending):
                yield obj

    def _vet(self, requests: list[Request]) -> list[Any]:
        store = self.store
        out: list[Any] = []
        candidates: list[tuple[Request, str]] = []
        for request in requests:
            context = request_context(request.meta)
            try:
                candidates.append((request, canonical_url(request.url)))
            except ValueError as error:
                out.append(FetchOutcome(url=context["url"], source_id=context.get("source"),
                                        kind=ARTICLE, status="error", reason=str(error)))
        known = store.known_pages(sorted({canonical for _, canonical in candidates
                                          if canonical not in store.claimed}))
        now = utc_now()
        for request, canonical in candidates:
            context = request_context(request.meta)
            url, source_id = context["url"], context.get("source")
            holder = store.claimed.get(canonical)
            if holder is not None and holder == context.get("variant_of"):
                # The variant fetched first named this URL canonical: it takes the story over.
                store.take_over(canonical, url)
                context.update(canonical=canonical, known=False, known_sha=None)
                out.append(request)
                continue
            if holder is not None:
                if holder == url:
                    continue  # listed again: it already has (or will have) its status
                # A holder logged as a duplicate is handing the story to the URL its page
                # names canonical, which may be this one: wait for that fetch to settle.
                if store.logged.get(holder, "duplicate") != "duplicate":
                    out.append(FetchOutcome(url=url, source_id=source_id, kind=ARTICLE,
                                            status="duplicate", canonical_url=canonical,
                                            reason=f"variant of {holder}"))
                else:
                    store.park_variant(canonical, url, source_id)
                continue
            page = known.get(canonical)
            changed_at = context.get("changed_at")
            if page is not None and not (changed_at and changed_at > page.fetched_at):
                store.claim(canonical, url)
                out.append(FetchOutcome(
                    url=url, source_id=source_id, kind=ARTICLE, status="unchanged",
                    canonical_url=canonical,
                    reason=f"stored {page.fetched_at:%Y-%m-%d %H:%M}; listing shows no update since"))
                continue
            not_now = self.retry_policy.verdict(store.failure_streaks.get(url), now)
            if not_now is not None:
                status, reason = not_now
                out.append(FetchOutcome(url=url, source_id=source_id, kind=ARTICLE, status=status,
                                        canonical_url=canonical, reason=reason))
                continue
            limit = self._limit(source_id)
            # the original a fetched variant named continues that fetch: not a new page
            if limit and store.fetch_count[source_id] >= limit and "variant_of" not in context:
                out.append(FetchOutcome(url=url, source_id=source_id, kind=ARTICLE,
                                        status="filtered", canonical_url=canonical,
                                        reason=f"max_pages ({limit}) reached for this run"))
                continue
            store.claim(canonical, url)
            store.fetch_count[source_id] += 1
            context.update(canonical=canonical, known=page is not None,
                           known_sha=page.content_sha256 if page else None)
            out.append(request)
        return out
