"""Downloader middlewares: robots.txt fetches that are archived and logged, and conditional GET."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached

from spiders.items import ARTICLE, LISTING_KINDS, ROBOTS, FetchOutcome, request_context
from spiders.outcomes import exchange_from_response, status_for_exception, status_for_http
from spiders.store import UsesCrawlStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class RecordingRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus: each robots.txt fetch is archived and logged.

    Scrapy downloads robots.txt outside the spider, so its response never reaches a callback;
    this sends an outcome for it through the item pipelines directly.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._robots_of: dict[str, tuple[str, str | None]] = {}  # netloc -> (URL, source id)

    async def robot_parser(self, request: Request) -> Any:
        parts = urlparse_cached(request)
        self._robots_of.setdefault(parts.netloc, (f"{parts.scheme}://{parts.netloc}/robots.txt",
                                                  request_context(request.meta).get("source")))
        return await super().robot_parser(request)

    async def _record(self, outcome: FetchOutcome) -> None:
        try:
            await self.crawler.engine.scraper.itemproc.process_item_async(outcome)
        except Exception:
            logger.exception("could not record the robots.txt outcome for %s", outcome.url)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        url, source_id = self._robots_of.get(netloc, (response.url, None))
        problem = status_for_http(response.status, response.body)
        status, reason = problem if problem else (None, "")
        if status == "not_found":
            reason = "no robots.txt (everything allowed)"
        await self._record(FetchOutcome(
            url=url, source_id=source_id, kind=ROBOTS, status=status, reason=reason,
            http_status=response.status, exchange=exchange_from_response(response),
            elapsed_ms=_elapsed_ms(response)))

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        super()._robots_error(exc, netloc)
        url, source_id = self._robots_of.get(netloc, (f"http://{netloc}/robots.txt", None))
        status, reason = status_for_exception(exc)
        deferred_from_coro(self._record(FetchOutcome(
            url=url, source_id=source_id, kind=ROBOTS, status=status,
            reason=f"robots.txt unavailable ({reason}); crawling as if allowed")))


def _elapsed_ms(response: Response) -> float | None:
    latency = response.meta.get("download_latency") if response.request is not None else None
    return round(latency * 1000, 1) if latency is not None else None


class ConditionalGetMiddleware(UsesCrawlStore):
    """Send If-None-Match / If-Modified-Since for listings and re-fetched articles.

    The validators come from core.http_validators; what was stored is copied into the request
    context so the pipeline can tell changed from unchanged without another query.
    """

    def process_request(self, request: Request) -> None:
        context = request_context(request.meta)
        kind = context.get("kind")
        wants = kind in LISTING_KINDS or (kind == ARTICLE and context.get("known"))
        if not wants or "validators_checked" in context:
            return
        if request.url in self.store.logged:
            # A resumed run reads its listings whole again: entries of a listing the killed
            # attempt fetched may not have reached the warehouse.
            context["validators_checked"] = False
            return
        validators = self.store.validators(request.url)
        context["validators_checked"] = True
        if validators is None:
            return
        if kind in LISTING_KINDS:
            context["prev_sha"] = validators.content_sha256
        if validators.etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = validators.etag
        if validators.last_modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = validators.last_modified

