"""What the spider yields: one FetchOutcome per URL seen, and a DiscoveredLink per listing entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.archive import ArchivedRecord

# Request kinds: what a URL is to the crawl.
ROBOTS, FEED, SITEMAP, SECTION, ARTICLE = "robots", "feed", "sitemap", "section", "article"
LISTING_KINDS = frozenset({FEED, SITEMAP, SECTION})

# Statuses a URL can end a run with (core.fetch_log.status).
STATUSES = frozenset({
    "new", "changed", "unchanged", "not_modified", "duplicate", "robots_denied", "blocked",
    "not_found", "not_html", "too_large", "timeout", "server_error", "rate_limited", "truncated",
    "redirect_loop", "malformed_feed", "connection_error", "filtered", "error",
    "backing_off", "given_up",  # not tried: failed in earlier runs (spiders/incremental.py)
})


def utc_now() -> datetime:
    """Now as naive UTC, the form DuckDB timestamps hold."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request/response pair as it will be archived."""

    url: str  # the URL that answered (after redirects)
    method: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated reason: "length" when the body was cut short

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass
class FetchOutcome:
    """The one status a URL gets in this run, with what to archive and store.

    `status` None means "fetched fine": the warehouse pipeline decides new / changed /
    unchanged by comparing the body with what it stored before (`known_sha256` when the
    spider already knows it).
    """

    url: str
    source_id: str | None
    kind: str
    status: str | None = None
    reason: str = ""
    canonical_url: str | None = None
    http_status: int | None = None
    elapsed_ms: float | None = None
    exchange: Exchange | None = None
    store_page: bool = False
    known_sha256: str | None = None
    known_checked: bool = False  # True when known_sha256 was looked up for canonical_url
    fetched_at: datetime = field(default_factory=utc_now)
    record: ArchivedRecord | None = None  # set by the archive pipeline

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown fetch status {self.status!r} for {self.url}")


@dataclass
class DiscoveredLink:
    """An article URL a feed, sitemap or section page listed, with what the listing said."""

    canonical_url: str
    source_id: str
    url: str
    via: str  # rss | atom | rdf | sitemap | news_sitemap | section
    title: str | None = None
    published: datetime | None = None  # naive UTC
    updated: datetime | None = None  # naive UTC
    seen_at: datetime = field(default_factory=utc_now)
    # The UTC offset the listing stated with `published`, in minutes east of UTC (None: none
    # stated, taken as UTC): the clean stage dates a page without a date of its own by it.
    published_offset_minutes: int | None = None


def request_context(meta: dict[str, Any]) -> dict[str, Any]:
    """The framewatch part of a request's meta (source, kind, listing facts)."""
    return meta.get("fw", {})
