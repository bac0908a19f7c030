"""The shared crawl frontier's keys in Redis, and the crawl state every crawler process reads there.

With `[crawl] frontier = "redis"`, crawler processes on any number of machines split one crawl
run. Everything they must agree on lives under one key prefix per run, and expires
`frontier_ttl_hours` after the run's last heartbeat (so finished crawls leave nothing behind):

    framewatch:crawl:<run_id>:requests          sorted set: scrapy-redis's priority queue
    framewatch:crawl:<run_id>:dupefilter        set: fingerprints of every request scheduled
    framewatch:crawl:<run_id>:inflight:<crawler> hash: requests a crawler popped whose outcome
                                                  it has not yet committed (request -> score)
    framewatch:crawl:<run_id>:crawlers          set: crawlers that joined and have not left
    framewatch:crawl:<run_id>:alive:<crawler>   a key with a TTL of frontier_lease_seconds
    framewatch:crawl:<run_id>:reclaiming:<crawler> held (one lease) by the crawler re-queueing
                                                  a dead crawler's in-flight requests
    framewatch:crawl:<run_id>:owners            hash: URL (or the run's start) -> the crawler that
                                                  writes its row; taken over only from a crawler
                                                  that is gone (a DuckLake has no unique keys:
                                                  two crawlers' rows of one URL would both stay)
    framewatch:crawl:<run_id>:pages             hash: canonical URL -> [fetched_at, sha256]
    framewatch:crawl:<run_id>:validators        hash: URL -> [etag, last_modified, sha256]
    framewatch:crawl:<run_id>:ready             set once pages and validators are copied
    framewatch:crawl:<run_id>:warehouse         which warehouse the crawl writes (joiners must too)

`pages` and `validators` start as a copy of the warehouse's core.pages / core.http_validators
(`seed_crawl_state`, run once per crawl by whoever starts it) and every crawler adds what it
commits, so conditional GETs and "unchanged" decisions need no warehouse read during the crawl.
The Scrapy side (scheduler, duplicate filter, ack and reclaim) is `spiders/frontier.py`.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pipeline.errors import FramewatchError

if TYPE_CHECKING:
    import redis

    from pipeline.settings import CrawlSettings

logger = logging.getLogger(__name__)

__all__ = ["FRONTIERS", "CrawlKeys", "FrontierError", "check_frontier_settings", "connect_redis",
           "crawl_is_ready", "decode_page", "decode_validators", "encode_page", "encode_validators",
           "redacted_url", "seed_crawl_state", "warehouse_identity"]

FRONTIERS = ("local", "redis")
KEY_PREFIX = "framewatch:crawl"
SEED_BATCH = 5_000


class FrontierError(FramewatchError):
    """The shared crawl frontier is misconfigured or cannot be reached."""


@dataclass(frozen=True)
class CrawlKeys:
    """The Redis keys of one crawl run's shared frontier."""

    run_id: str

    @property
    def prefix(self) -> str:
        return f"{KEY_PREFIX}:{self.run_id}"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def crawlers(self) -> str:
        return f"{self.prefix}:crawlers"

    @property
    def owners(self) -> str:
        return f"{self.prefix}:owners"

    @property
    def pages(self) -> str:
        return f"{self.prefix}:pages"

    @property
    def validators(self) -> str:
        return f"{self.prefix}:validators"

    @property
    def ready(self) -> str:
        return f"{self.prefix}:ready"

    @property
    def warehouse(self) -> str:
        return f"{self.prefix}:warehouse"

    def inflight(self, crawler_id: str) -> str:
        return f"{self.prefix}:inflight:{crawler_id}"

    def alive(self, crawler_id: str) -> str:
        return f"{self.prefix}:alive:{crawler_id}"

    def reclaiming(self, crawler_id: str) -> str:
        return f"{self.prefix}:reclaiming:{crawler_id}"

    def shared(self) -> list[str]:
        """The keys every crawler keeps alive with its heartbeat."""
        return [self.requests, self.dupefilter, self.crawlers, self.owners, self.pages,
                self.validators, self.ready, self.warehouse]


def redacted_url(url: str) -> str:
    """`url` with its password replaced by ***, fit for an error message."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_frontier_settings(crawl: CrawlSettings) -> None:
    """Raise FrontierError naming the setting when the frontier settings cannot work."""
    if crawl.frontier not in FRONTIERS:
        raise FrontierError(f"crawl.frontier: {crawl.frontier!r} is not one of "
                            f"{', '.join(FRONTIERS)}")
    if crawl.frontier != "redis":
        return
    if not crawl.redis_url:
        raise FrontierError('crawl.redis_url: frontier = "redis" needs the Redis server\'s URL '
                            "(redis://[:password@]host:port/db)")
    if urlsplit(crawl.redis_url).scheme not in ("redis", "rediss", "unix"):
        raise FrontierError(f"crawl.redis_url: {redacted_url(crawl.redis_url)} is not a "
                            "redis://, rediss:// or unix:// URL")
    if crawl.frontier_lease_seconds < 3:
        raise FrontierError(f"crawl.frontier_lease_seconds: {crawl.frontier_lease_seconds} is "
                            "too short (at least 3 s; a crawler beats every quarter lease)")
    if crawl.frontier_ttl_hours <= 0:
        raise FrontierError(f"crawl.frontier_ttl_hours: {crawl.frontier_ttl_hours} must be > 0")


def connect_redis(url: str, *, timeout: float = 5.0) -> redis.Redis:
    """A client of the frontier's Redis, checked with a PING; FrontierError naming
    crawl.redis_url when the server cannot be reached or refuses the credentials."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout,
                                      socket_timeout=max(timeout, 30.0))
        client.ping()
    except (redis.AuthenticationError, redis.ResponseError) as error:
        # A wrong password is an AuthenticationError, a missing one or an ACL refusal only a
        # ResponseError ("NOAUTH ...", "NOPERM ...").
        if isinstance(error, redis.AuthenticationError) or any(
                word in str(error).lower() for word in ("auth", "noperm")):
            raise FrontierError(f"crawl.redis_url: Redis at {redacted_url(url)} refused the "
                                f"credentials ({error})") from None
        raise FrontierError(f"crawl.redis_url: Redis at {redacted_url(url)} answered: "
                            f"{error}") from None
    except (redis.ConnectionError, redis.TimeoutError, ValueError) as error:
        raise FrontierError(f"crawl.redis_url: cannot reach Redis at {redacted_url(url)} "
                            f"({error})") from None
    return client


def encode_page(fetched_at: datetime, content_sha256: str | None) -> str:
    return json.dumps([fetched_at.isoformat(), content_sha256])


def decode_page(value: bytes | str) -> tuple[datetime, str | None]:
    fetched_at, sha = json.loads(value)
    return datetime.fromisoformat(fetched_at), sha


def encode_validators(etag: str | None, last_modified: str | None,
                      content_sha256: str | None) -> str:
    return json.dumps([etag, last_modified, content_sha256])


def decode_validators(value: bytes | str) -> tuple[str | None, str | None, str | None]:
    etag, last_modified, sha = json.loads(value)
    return etag, last_modified, sha


def _chunks(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def warehouse_identity(target: Any) -> str:
    """What names a warehouse across machines: a DuckDB file is this host's file (another
    machine's file of the same path is another warehouse); a lake is its catalog and data."""
    if hasattr(target, "catalog_dsn"):
        from warehouse.db import redact_dsn

        return f"ducklake {redact_dsn(target.catalog_dsn)} {target.data_path}"
    return f"duckdb {socket.gethostname()}:{Path(target).resolve()}"


def seed_crawl_state(client: redis.Redis, keys: CrawlKeys, *,
                     pages: Iterable[tuple[str, datetime, str | None]],
                     validators: Iterable[tuple[str, str | None, str | None, str | None]],
                     ttl_seconds: int, warehouse: str) -> tuple[int, int]:
    """Copy what the warehouse knows about pages and validators into the crawl's hashes, then
    mark the crawl ready. Returns (pages, validators) copied."""
    counts = [0, 0]
    for chunk in _chunks(pages, SEED_BATCH):
        client.hset(keys.pages, mapping={url: encode_page(at, sha) for url, at, sha in chunk})
        counts[0] += len(chunk)
    for chunk in _chunks(validators, SEED_BATCH):
        client.hset(keys.validators, mapping={url: encode_validators(etag, modified, sha)
                                              for url, etag, modified, sha in chunk})
        counts[1] += len(chunk)
    pipe = client.pipeline()
    pipe.set(keys.warehouse, warehouse)
    pipe.set(keys.ready, "1")
    for key in keys.shared():
        pipe.expire(key, ttl_seconds)
    pipe.execute()
    return counts[0], counts[1]


def crawl_is_ready(client: redis.Redis, keys: CrawlKeys) -> bool:
    return bool(client.exists(keys.ready))
