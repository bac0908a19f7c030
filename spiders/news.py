"""The discovery spider: feeds, sitemaps and section pages of each source lead to its articles.

Callbacks only parse and yield: a FetchOutcome for every URL fetched (or refused), a
DiscoveredLink for every listing entry, and Requests. Archiving, statuses that depend on stored
state, and writes happen in the middlewares and pipelines.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from itertools import zip_longest
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure

from pipeline.seeds import Source, load_sources
from pipeline.urls import canonical_url, same_site, strip_tracking
from spiders.items import (
    ARTICLE,
    FEED,
    SECTION,
    SITEMAP,
    DiscoveredLink,
    FetchOutcome,
    request_context,
)
from spiders.links import article_links, date_from_url
from spiders.listings import (
    Listing,
    ListingEntry,
    MalformedListing,
    parse_feed,
    parse_sitemap,
    publisher_day,
)
from spiders.outcomes import (
    exchange_from_response,
    is_html,
    status_for_exception,
    status_for_http,
)

logger = logging.getLogger(__name__)

# Feeds and sitemaps go first: they name articles by the URLs the outlet publishes. Section
# pages come after the articles those listings named, so that a variant a page links (a missing
# trailing slash, a print view) finds its story already held and is logged as the duplicate.
PRIORITY = {FEED: 30, SITEMAP: 20, ARTICLE: 0, SECTION: -10}


class NewsSpider(Spider):
    """Crawl the sources of a sources.toml file."""

    name = "framewatch"

    def __init__(self, sources: list[Source], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources = {source.id: source for source in sources}
        self.page_limits = {source.id: source.max_pages or 0 for source in sources}
        self._site_urls = {
            source.id: [source.homepage, *source.feeds, *source.sitemaps, *source.news_sitemaps,
                        *source.sections]
            for source in sources
        }

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        sources = load_sources(crawler.settings["FRAMEWATCH_SOURCES_PATH"])
        return super().from_crawler(crawler, *args, sources=sources, **kwargs)

    # -- requests --------------------------------------------------------------------------

    def _request(self, url: str, source_id: str, kind: str, **context: Any) -> Request:
        callback = {FEED: self.parse_feed, SITEMAP: self.parse_sitemap,
                    SECTION: self.parse_section, ARTICLE: self.parse_article}[kind]
        # dont_filter: the incremental middleware deduplicates by canonical URL, and every
        # request must reach a callback or errback so that its URL gets a status.
        return Request(url, callback=callback, errback=self.on_error, dont_filter=True,
                       priority=PRIORITY[kind],
                       meta={"fw": {"source": source_id, "kind": kind, "url": url, **context}})

    async def start(self) -> AsyncIterator[Any]:
        url_list = self.settings.get("FRAMEWATCH_URL_LIST")
        if url_list:  # `framewatch import urls`: the listed stories only, no listings or backlog
            for item in self._listed_urls(url_list):
                yield item
            return
        # One listing of each source in turn: Scrapy takes start requests only as fast as
        # CONCURRENT_REQUESTS frees up, so source by source would leave the last sources (and
        # their robots.txt round trip) waiting for the first ones' listings.
        for batch in zip_longest(*(self._listing_requests(source)
                                   for source in self.sources.values())):
            for request in batch:
                if request is not None:
                    yield request
        for item in self._backlog():
            yield item

    def _listed_urls(self, path: str) -> Iterator[Any]:
        """The stories of a URL import (JSON lines written by pipeline/stages/imports.py)."""
        import json
        from datetime import datetime

        with open(path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if row["source_id"] not in self.sources:
                    continue
                published = datetime.fromisoformat(row["published"]) if row.get("published") else None
                entry = ListingEntry(row["url"], row.get("title"), published, None,
                                     published_offset_minutes=row.get("published_offset_minutes"))
                yield from self._discovered(row["source_id"], entry, "import")

    def _listing_requests(self, source: Source) -> Iterator[Request]:
        for url in source.feeds:
            yield self._request(url, source.id, FEED)
        for url in source.news_sitemaps:
            yield self._request(url, source.id, SITEMAP, via="news_sitemap")
        for url in source.sitemaps:
            yield self._request(url, source.id, SITEMAP, via="sitemap")
        for url in source.sections:
            yield self._request(url, source.id, SECTION)

    def _backlog(self) -> Iterator[Any]:
        """Articles earlier runs discovered but could not store (errors, limits): try again."""
        from spiders.store import CrawlStore

        store = self.crawler.get_extension(CrawlStore)
        if store is None:
            return
        rows = store.backlog(list(self.sources), days=self.settings.getfloat(
            "FRAMEWATCH_BACKLOG_DAYS", 30.0), limit=self.settings.getint(
            "FRAMEWATCH_BACKLOG_LIMIT", 20_000))
        if rows:
            logger.info("retrying %d articles earlier runs discovered but did not store", len(rows))
        for source_id, url, via, title, published, updated, published_offset in rows:
            entry = ListingEntry(url, title, published, updated, published_offset)
            yield from self._discovered(source_id, entry, via, record=False)

    def _on_site(self, source_id: str, url: str) -> bool:
        return any(same_site(url, known) for known in self._site_urls[source_id])

    def _discovered(self, source_id: str, entry: ListingEntry, via: str, *,
                    record: bool = True) -> Iterator[Any]:
        """The DiscoveredLink of a listing entry (`record`), then its request or why it is not
        fetched."""
        source = self.sources[source_id]
        try:
            canonical = canonical_url(entry.url)
        except ValueError as error:
            yield FetchOutcome(url=entry.url, source_id=source_id, kind=ARTICLE, status="error",
                               reason=str(error))
            return
        if record:
            yield DiscoveredLink(canonical, source_id, entry.url, via, entry.title,
                                 entry.published, entry.updated,
                                 published_offset_minutes=entry.published_offset_minutes)
        reason = self._filter_reason(source, entry)
        if reason:
            yield FetchOutcome(url=entry.url, source_id=source_id, kind=ARTICLE,
                               status="filtered", reason=reason, canonical_url=canonical)
            return
        url = strip_tracking(entry.url)
        if url != entry.url:
            # Fetch the URL without tracking parameters or fragment; the listed form is a variant.
            yield FetchOutcome(url=entry.url, source_id=source_id, kind=ARTICLE,
                               status="duplicate", reason=f"tracking or fragment variant of {url}",
                               canonical_url=canonical)
        yield self._request(url, source_id, ARTICLE, via=via,
                            changed_at=entry.updated or entry.published)

    def _filter_reason(self, source: Source, entry: ListingEntry) -> str | None:
        if not self._on_site(source.id, entry.url):
            return "off-site link (not on the source's hosts)"
        if not source.accepts(entry.url):
            return "outside the source's allow/deny patterns"
        if source.since is not None:
            day = entry.day() or date_from_url(entry.url)  # the publisher's day, as `since` is
            if day is not None and day < source.since:
                return f"dated {day.isoformat()}, before since = {source.since.isoformat()}"
        return None

    # -- outcomes --------------------------------------------------------------------------

    def _outcome(self, response: Response, status: str | None, reason: str = "",
                 **fields: Any) -> FetchOutcome:
        context = request_context(response.meta)
        latency = response.meta.get("download_latency")
        return FetchOutcome(
            url=context.get("url", response.url), source_id=context.get("source"),
            kind=context.get("kind", ARTICLE), status=status, reason=reason,
            http_status=response.status, exchange=exchange_from_response(response),
            elapsed_ms=round(latency * 1000, 1) if latency is not None else None,
            canonical_url=fields.pop("canonical_url", context.get("canonical")), **fields)

    def _problem(self, response: Response) -> FetchOutcome | None:
        """The outcome of a response that cannot be used, or None."""
        problem = status_for_http(response.status, response.body)
        if problem is not None:
            status, reason = problem
            retry_after = response.meta.get("fw_retry_after")
            if status in ("rate_limited", "server_error") and retry_after is not None:
                reason = f"{reason}; Retry-After {retry_after:.0f}s"
            return self._outcome(response, status, reason)
        if "dataloss" in (response.flags or []):
            return self._outcome(response, "truncated",
                                 f"body cut short at {len(response.body)} bytes")
        return None

    def _listing_outcome(self, response: Response, count: int, kind: str,
                         listing: Listing | None = None) -> FetchOutcome:
        context = request_context(response.meta)
        checked = bool(context.get("validators_checked"))
        reason = f"{count} entries ({kind})"
        if listing is not None and (listing.repairs or listing.recovered_from):
            repaired = "; ".join(listing.repairs)
            logger.warning("%s: %s%s%s", response.url, listing.recovered_from or "",
                           "; " if listing.recovered_from and repaired else "",
                           f"repaired {repaired}" if repaired else "")
            if repaired:
                reason += f"; repaired {repaired}"
            if listing.recovered_from:
                # Broken beyond lexical repair: its entries are followed, and the listing is
                # logged as malformed so that source_health shows the outlet's feed is broken.
                return self._outcome(response, "malformed_feed",
                                     f"{listing.recovered_from[:300]}; recovered {reason}")
        return self._outcome(response, None, reason,
                             known_sha256=context.get("prev_sha"), known_checked=checked)

    # -- callbacks -------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Any]:
        problem = self._problem(response)
        if problem is not None:
            yield problem
            return
        try:
            listing = parse_feed(response.body, response.url)
        except MalformedListing as error:
            yield self._outcome(response, "malformed_feed", str(error)[:500])
            return
        source_id = request_context(response.meta)["source"]
        yield self._listing_outcome(response, len(listing.entries), listing.kind, listing)
        for entry in listing.entries:
            yield from self._discovered(source_id, entry, listing.kind)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        problem = self._problem(response)
        if problem is not None:
            yield problem
            return
        context = request_context(response.meta)
        try:
            listing = parse_sitemap(response.body, response.url,
                                    max_bytes=self.settings.getint("DOWNLOAD_MAXSIZE") or 50_000_000)
        except MalformedListing as error:
            yield self._outcome(response, "malformed_feed", str(error)[:500])
            return
        source_id = context["source"]
        yield self._listing_outcome(response, len(listing.entries), listing.kind, listing)
        if listing.kind == "sitemap_index":
            yield from self._child_sitemaps(source_id, listing.entries, context.get("via"))
            return
        for entry in listing.entries:
            yield from self._discovered(source_id, entry, listing.kind)

    def _child_sitemaps(self, source_id: str, entries: tuple[ListingEntry, ...],
                        via: str | None) -> Iterator[Any]:
        since = self.sources[source_id].since
        for entry in entries:
            modified = (publisher_day(entry.updated, entry.updated_offset_minutes)
                        if entry.updated is not None else None)
            if since is not None and modified is not None and modified < since:
                yield FetchOutcome(url=entry.url, source_id=source_id, kind=SITEMAP,
                                   status="filtered",
                                   reason=f"sitemap last modified {modified.isoformat()}, "
                                          f"before since = {since.isoformat()}")
                continue
            yield self._request(entry.url, source_id, SITEMAP, via=via or "sitemap")

    def _refuse_unless_html(self, response: Response) -> Any | None:
        """The outcome for a failed or non-HTML response to a page request; None for an HTML page."""
        problem = self._problem(response)
        if problem is not None:
            return problem
        if not is_html(response):
            return self._outcome(response, "not_html", _content_type(response))
        return None

    def parse_section(self, response: Response) -> Iterator[Any]:
        refusal = self._refuse_unless_html(response)
        if refusal is not None:
            yield refusal
            return
        links = article_links(response.text, response.url)
        source_id = request_context(response.meta)["source"]
        yield self._listing_outcome(response, len(links), "section")
        for url in links:
            yield from self._discovered(source_id, ListingEntry(url), "section")

    def parse_article(self, response: Response) -> Iterator[Any]:
        claimed = request_context(response.meta).get("redirect_claimed")
        if claimed:  # shared frontier: another request of the crawl fetches the target
            yield self._outcome(response, "duplicate", f"redirects to {claimed}, which this "
                                "crawl fetches once", canonical_url=canonical_url(claimed))
            return
        refusal = self._refuse_unless_html(response)
        if refusal is not None:
            yield refusal
            return
        context = request_context(response.meta)
        declared = response.xpath(
            "//link[translate(@rel, 'CANONICAL', 'canonical')='canonical']/@href").get()
        canonical = canonical_url(response.url, html_canonical=declared)
        preferred = self._preferred_url(response, declared, canonical)
        if preferred is not None and "variant_of" not in context:
            # A variant (AMP page, print view, missing slash...) naming its original on the
            # same site: fetch the original, once, and log this URL as its duplicate.
            yield self._outcome(response, "duplicate", f"page names {preferred} as canonical",
                                canonical_url=canonical)
            yield self._request(preferred, context["source"], ARTICLE, via=context.get("via"),
                                changed_at=context.get("changed_at"), variant_of=context["url"])
            return
        same = canonical == context.get("canonical") and "variant_of" not in context
        yield self._outcome(response, None, canonical_url=canonical, store_page=True,
                            known_sha256=context.get("known_sha") if same else None,
                            known_checked=same)

    @staticmethod
    def _preferred_url(response: Response, declared: str | None, canonical: str) -> str | None:
        """The URL a page names canonical, when it is another URL of the same story."""
        if not declared or not declared.strip():
            return None
        preferred = strip_tracking(response.urljoin(declared.strip()))
        try:
            if preferred == strip_tracking(response.url) or canonical_url(preferred) != canonical:
                return None
        except ValueError:  # not an http(s) URL
            return None
        return preferred

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        context = request_context(request.meta)
        status, reason = status_for_exception(failure.value)
        response = getattr(failure.value, "response", None)
        if isinstance(response, Response):
            yield self._outcome(response, status, reason)
            return
        yield FetchOutcome(url=context.get("url", request.url), source_id=context.get("source"),
                           kind=context.get("kind", ARTICLE), status=status, reason=reason,
                           canonical_url=context.get("canonical"))


def _content_type(response: Response) -> str:
    value = response.headers.get(b"Content-Type")
    return f"content type {value.decode('latin-1')}" if value else "no content type, not HTML"

