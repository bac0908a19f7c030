"""Scrapy side of the shared Redis frontier: scheduler, duplicate filter and the shared crawl store.

Built on scrapy-redis 0.9.1 (its Scheduler, RFPDupeFilter and PriorityQueue), with what a crawl
split among processes that may die needs on top:

- **One fetch per URL.** The spider marks every request `dont_filter` (each one must reach a
  callback, so that its URL gets a status), which scrapy-redis would never de-duplicate. Here
  every request the *spider* made passes the shared filter: an article by its canonical URL, a
  listing or a canonical-URL follow-up by its URL. Retries and redirects (the same URL's request
  again) pass unfiltered. The first crawler to schedule a URL owns it; the others drop it.
- **Nothing lost when a crawler dies.** A pop moves the request atomically (Lua) from the queue
  to the crawler's in-flight hash; it leaves that hash when its outcome is committed to the
  warehouse (ack), or when a retry or redirect of it goes back to the queue (hand-over). Each
  crawler keeps an `alive` key with a TTL of `frontier_lease_seconds`, renewed by a thread (so
  a reactor busy with a long warehouse write does not look dead); a crawler that finds
  another's key expired moves the dead crawler's in-flight requests back to the queue, except
  those whose URL already has a status in the run (committed just before the death), and
  recovers its open WARC files.
- **A redirect to an article another crawler fetches is not followed** (`SharedRedirectFilter`):
  a short link's target is claimed in the filter like a listed article, and a short link whose
  target is claimed already gets the status `duplicate` without a second fetch.
- **The crawl ends when the frontier is empty**, not when one crawler's share is: an idle
  crawler stays open while another live crawler still has requests in flight (they may yield
  more).
- **One fetch-log row per URL and run, written by the crawler that owns the URL.** Every
  crawler fetches robots.txt itself (Scrapy's robots middleware needs its own parser), and a
  DuckLake has no unique keys: two crawlers' MERGEs of one new URL committed at once both
  insert. So a URL's row (and the run's start, and the sources) is written only by the crawler
  that claimed it first in the run's `owners` hash, atomically in Redis; a crawler that is gone
  (left the `crawlers` set: reclaimed as dead, or finished after its last commit) hands its
  claims to whoever settles the URL next.
- `SCHEDULER_PERSIST` is on (a crawler that finishes must not wipe the shared queue); the
  crawl's keys expire `frontier_ttl_hours` after its last heartbeat (pipeline/frontier.py).
- The spider's own `async def start()` schedules its listings in every crawler (scrapy-redis's
  RedisSpider, which still defines only `start_requests()`, is not used): the filter keeps one.

`SharedCrawlStore` replaces `spiders.store.CrawlStore` in this mode: the warehouse is opened
only to write a batch (DuckDB's lock taken and released each time, so crawler processes on one
machine share the file; on a DuckLake warehouse crawlers on many machines write at once: the
base store's MERGE statements, tried again when two commits conflict), and the crawl state (known pages,
validators) is read from Redis.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from pipeline.archive import recover_open_files
from pipeline.frontier import (
    CrawlKeys,
    connect_redis,
    decode_page,
    decode_validators,
    encode_page,
    encode_validators,
)
from pipeline.urls import canonical_url
from spiders.items import ARTICLE, FetchOutcome, request_context, utc_now
from spiders.store import CrawlStore, KnownPage, Validators, crawl_store
from warehouse.db import connect
from warehouse.queries import named_queries

if TYPE_CHECKING:
    import duckdb
    import redis
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_QUERIES = named_queries("frontier")
# A batch whose commit conflicts with another crawler's on a DuckLake is tried again this often.
LAKE_COMMIT_ATTEMPTS = 8
# The owners-hash member of the run's start and its sources (written by one crawler).
RUN_START = "<run start>"

# Pop the best few requests and record them as in flight, in one step: a crawler killed between
# the two would otherwise lose them. KEYS: queue, in-flight hash; ARGV: TTL seconds, how many.
# Returns request, score, request, score, ...
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[2])
if #popped == 0 then return popped end
for i = 1, #popped, 2 do redis.call('HSET', KEYS[2], popped[i], popped[i + 1]) end
redis.call('EXPIRE', KEYS[2], ARGV[1])
return popped
"""
# Requests popped at once: fewer round trips, and a small enough share of a listing's articles
# that the other crawlers still get theirs. They are in this crawler's in-flight list meanwhile.
POP_BATCH = 8
# The shared filter. An article owns its canonical URL and its fetch URL; a canonical-URL
# follow-up (`variant_of`) or any other request only its fetch URL. KEYS: filter set;
# ARGV: fetch key, canonical key (or ''). Returns 1 when the request is new.
_SEEN = """
if ARGV[2] ~= '' then
  if redis.call('SADD', KEYS[1], ARGV[2]) == 0 then return 0 end
  redis.call('SADD', KEYS[1], ARGV[1])
  return 1
end
return redis.call('SADD', KEYS[1], ARGV[1])
"""
# Queue a request, in one step with its filter check (a crawler killed between the two would
# leave a URL marked seen that no queue holds); a retry or redirect also releases the in-flight
# entry it continues. KEYS: filter set, queue, in-flight hash; ARGV: '1' to filter, fetch key,
# canonical key (or ''), request, score, in-flight entry it replaces (or ''). 0 if filtered.
_PUSH = """
if ARGV[1] == '1' then
  if ARGV[3] ~= '' then
    if redis.call('SADD', KEYS[1], ARGV[3]) == 0 then return 0 end
    redis.call('SADD', KEYS[1], ARGV[2])
  elseif redis.call('SADD', KEYS[1], ARGV[2]) == 0 then
    return 0
  end
end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
if ARGV[6] ~= '' then redis.call('HDEL', KEYS[3], ARGV[6]) end
return 1
"""


# Claim a member (a URL) of the run for a crawler: free, already ours, or held by a crawler that
# is no longer in the crawl. KEYS: owners hash, crawlers set; ARGV: member, crawler, TTL seconds.
# Returns 1 when the crawler owns it now.
_CLAIM = """
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner and owner ~= ARGV[2] and redis.call('SISMEMBER', KEYS[2], owner) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


def claim_for(client: redis.Redis, keys: CrawlKeys, member: str, crawler_id: str,
              ttl_seconds: int) -> bool:
    """Claim a URL (or RUN_START) of the run for a crawler, atomically: True when it is the
    crawler's to write (free, its own, or held by a crawler no longer in the crawl)."""
    return bool(client.eval(_CLAIM, 2, keys.owners, keys.crawlers, member, crawler_id,
                            ttl_seconds))


class _Heartbeat(threading.Thread):
    """Renews a crawler's `alive` key every quarter lease until stopped (or the process dies)."""

    def __init__(self, client: redis.Redis, key: str, lease_seconds: float) -> None:
        super().__init__(name="frontier-heartbeat", daemon=True)
        self.client, self.key = client, key
        self.lease_ms = int(lease_seconds * 1000)
        self.interval = max(lease_seconds / 4, 0.25)
        self._stopped = threading.Event()

    def beat(self) -> None:
        self.client.set(self.key, "1", px=self.lease_ms)

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.beat()
            except Exception as error:  # noqa: BLE001 - keep beating through a Redis hiccup
                logger.warning("frontier heartbeat failed: %s", error)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=5)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # a set member, not a secret


def frontier_keys(request: Request) -> tuple[str, str]:
    """(fetch key, canonical key or '') of a request in the shared filter."""
    context = request_context(request.meta)
    kind = context.get("kind", "")
    fetch = _sha1(f"fetch {request.method} {request.url}")
    if kind != ARTICLE or "variant_of" in context:
        return fetch, ""
    try:
        return fetch, _sha1(f"article {canonical_url(request.url)}")
    except ValueError:
        return fetch, ""


def is_spider_request(request: Request) -> bool:
    """A request the spider made, rather than a retry or redirect of one (which pass the filter:
    the crawler that owns the URL is still working on it)."""
    context = request_context(request.meta)
    return (request.url == context.get("url", request.url)
            and not request.meta.get("retry_times") and "redirect_times" not in request.meta)


def request_url(encoded: bytes) -> str:
    """The URL whose status a queued request (scrapy-redis's pickled dict) will settle."""
    # scrapy-redis pickles requests: whoever can write this Redis can run code in the crawlers
    # (docs/scale-out.md: a private Redis with a password).
    data = pickle.loads(encoded)
    fw = (data.get("meta") or {}).get("fw") or {}
    return fw.get("url") or data.get("url", "")


class FrontierDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis-set filter, keyed as described in the module docstring."""

    def request_seen(self, request: Request) -> bool:
        fetch, canonical = frontier_keys(request)
        return self.server.eval(_SEEN, 1, self.key, fetch, canonical) == 0

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other crawlers of the crawl still use them (they expire with
        the crawl's keys)."""


class SharedRedirectFilter:
    """Downloader middleware (before RedirectMiddleware on the way back): claim an article
    redirect's target in the shared filter, or stop the redirect when it is claimed already."""

    REDIRECTS = (301, 302, 303, 307, 308)

    def __init__(self, server: redis.Redis, key: str) -> None:
        self.server = server
        self.key = key

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRedirectFilter:
        settings = crawler.settings
        return cls(connect_redis(settings["REDIS_URL"]), settings["SCHEDULER_DUPEFILTER_KEY"])

    def process_response(self, request: Request, response: Any) -> Any:
        context = request_context(request.meta)
        location = response.headers.get(b"Location")
        if (response.status not in self.REDIRECTS or not location or context.get("kind") != ARTICLE
                or request.meta.get("dont_redirect")):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        if target.split("#", 1)[0] == request.url.split("#", 1)[0]:
            return response
        fetch, canonical = frontier_keys(request.replace(url=target, meta={
            "fw": {key: value for key, value in context.items() if key != "variant_of"}}))
        own = {frontier_keys(request)[1]}
        if context.get("canonical"):
            own.add(_sha1(f"article {context['canonical']}"))
        if canonical in own:
            return response  # the same story at another URL (a trailing slash, https): follow
        if self.server.eval(_SEEN, 1, self.key, fetch, canonical) == 0:
            request.meta["dont_redirect"] = True
            context["redirect_claimed"] = target
        return response


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler with a per-crawler in-flight list, acks, reclaim and a heartbeat."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.crawler_id = settings["FRAMEWATCH_CRAWLER_ID"]
        scheduler.keys = CrawlKeys(settings["FRAMEWATCH_RUN_ID"])
        scheduler.lease_seconds = settings.getfloat("FRAMEWATCH_FRONTIER_LEASE_SECONDS", 60.0)
        scheduler.ttl_seconds = settings.getint("FRAMEWATCH_FRONTIER_TTL_SECONDS", 72 * 3600)
        scheduler.archive_dir = settings["FRAMEWATCH_ARCHIVE_DIR"]
        scheduler.popped = {}  # URL -> its in-flight entry (the encoded request)
        scheduler.ready = deque()  # popped, not yet handed to the engine
        scheduler._heartbeat = None
        scheduler._upkeep = None
        return scheduler

    @property
    def inflight_key(self) -> str:
        return self.keys.inflight(self.crawler_id)

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, spider: Any) -> None:
        super().open(spider)
        self._pop = self.server.register_script(_POP)
        self._push = self.server.register_script(_PUSH)
        self.store = crawl_store(self.crawler)
        if isinstance(self.store, SharedCrawlStore):
            self.store.frontier = self
        self._heartbeat = _Heartbeat(self.server, self.keys.alive(self.crawler_id),
                                     self.lease_seconds)
        self._heartbeat.beat()
        self._heartbeat.start()
        self.server.sadd(self.keys.crawlers, self.crawler_id)
        self.keep_keys()
        logger.info("crawler %s joined crawl %s (%d requests queued)", self.crawler_id,
                    self.keys.run_id, len(self.queue))
        self.crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        self._upkeep = create_looping_call(self._keep_keys_and_reclaim)
        self._upkeep.start(max(self.lease_seconds / 4, 0.5), now=False)

    def close(self, reason: str) -> None:
        # The crawler stays registered and alive until its store has committed the last batch
        # (`leave`, called from SharedCrawlStore at spider_closed, after this).
        if self._upkeep is not None and self._upkeep.running:
            self._upkeep.stop()
        super().close(reason)

    def keep_keys(self) -> None:
        """Keep the crawl's keys from expiring while it runs."""
        pipe = self.server.pipeline()
        for key in [*self.keys.shared(), self.inflight_key]:
            pipe.expire(key, self.ttl_seconds)
        pipe.execute()

    def _keep_keys_and_reclaim(self) -> None:
        self.keep_keys()
        self.reclaim_dead()

    def leave(self, *, finished: bool) -> bool:
        """Deregister after the last commit; True when no crawler remains and nothing is queued.

        A crawler that did not finish leaves its in-flight requests behind and drops its
        `alive` key, so the next heartbeat of another crawler re-queues them.
        """
        if self._heartbeat is not None:
            self._heartbeat.stop()
        pipe = self.server.pipeline()
        pipe.delete(self.keys.alive(self.crawler_id))
        if finished:
            pipe.delete(self.inflight_key)
            pipe.srem(self.keys.crawlers, self.crawler_id)
        pipe.execute()
        if not finished:
            return False
        self.reclaim_dead()
        alive = [crawler_id for crawler_id in self._others()
                 if self.server.exists(self.keys.alive(crawler_id))]
        return not alive and len(self.queue) == 0

    # -- the queue -------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        first = is_spider_request(request)
        fetch, canonical = frontier_keys(request)
        replaces = b"" if first else self.popped.get(_url_of(request), b"")
        queued = self._push(keys=[self.df.key, self.queue.key, self.inflight_key],
                            args=["1" if first else "0", fetch, canonical,
                                  self.queue._encode_request(request), -request.priority,
                                  replaces])
        if not queued:
            self.df.log(request, self.spider)
            return False
        if not first:
            self.popped.pop(_url_of(request), None)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def has_pending_requests(self) -> bool:
        return bool(self.ready) or len(self.queue) > 0

    def next_request(self) -> Request | None:
        while True:
            if not self.ready:
                popped = self._pop(keys=[self.queue.key, self.inflight_key],
                                   args=[self.ttl_seconds, POP_BATCH])
                self.ready.extend(popped[::2])
            if not self.ready:
                return None
            encoded = self.ready.popleft()
            request = self.queue._decode_request(encoded)
            url = _url_of(request)
            if is_spider_request(request) and url in self.store.logged:
                # Settled here already (a resumed run, or handed back while this crawler was
                # thought dead): fetching it again would give it a second status.
                self.server.hdel(self.inflight_key, encoded)
                continue
            self.popped[url] = encoded
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
            return request

    def acknowledge(self, urls: Iterable[str]) -> None:
        """Release the in-flight entries of URLs whose outcomes are committed."""
        entries = [entry for url in urls if (entry := self.popped.pop(url, None)) is not None]
        if entries:
            self.server.hdel(self.inflight_key, *entries)

    # -- dead crawlers and the end of the crawl -------------------------------------------

    def _others(self) -> Iterator[str]:
        for member in self.server.smembers(self.keys.crawlers):
            crawler_id = member.decode() if isinstance(member, bytes) else member
            if crawler_id != self.crawler_id:
                yield crawler_id

    def reclaim_dead(self) -> int:
        """Re-queue the in-flight requests of crawlers whose lease ran out; how many."""
        requeued = 0
        for crawler_id in self._others():
            if self.server.exists(self.keys.alive(crawler_id)):
                continue
            # One reclaimer per dead crawler, even when several notice at once.
            if not self.server.set(self.keys.reclaiming(crawler_id), self.crawler_id, nx=True,
                                   px=int(self.lease_seconds * 1000)):
                continue
            requeued += self._reclaim(crawler_id)
        return requeued

    def _reclaim(self, crawler_id: str) -> int:
        entries = [(request_url(encoded), encoded, float(score)) for encoded, score
                   in self.server.hgetall(self.keys.inflight(crawler_id)).items()]
        stored = self.store.urls_with_status(sorted({url for url, _, _ in entries})) \
            if entries else set()
        pipe = self.server.pipeline(transaction=True)
        back = {encoded: score for url, encoded, score in entries if url not in stored}
        if back:
            pipe.zadd(self.keys.requests, back)
        pipe.delete(self.keys.inflight(crawler_id))
        pipe.srem(self.keys.crawlers, crawler_id)
        pipe.execute()
        for path in recover_open_files(self.archive_dir, runs=f"{self.keys.run_id}-{crawler_id}"):
            logger.warning("recovered WARC file of dead crawler %s: %s", crawler_id, path)
        logger.warning("crawler %s stopped beating: %d of its requests back in the queue, %d "
                       "already stored", crawler_id, len(back), len(entries) - len(back))
        if self.stats:
            self.stats.inc_value("frontier/reclaimed", len(back))
        return len(back)

    def _others_busy(self) -> bool:
        return any(self.server.hlen(self.keys.inflight(crawler_id)) > 0
                   for crawler_id in self._others())

    def _spider_idle(self, spider: Any) -> None:
        """Stay open while the crawl has work anywhere: queued, or in flight at a live crawler."""
        self.store.flush()
        # Idle: nothing of ours is downloading or in the pipelines, so every entry still in our
        # in-flight hash has had its outcome (a URL logged earlier in a resumed run) or none.
        self.server.delete(self.inflight_key)
        self.popped.clear()
        self.reclaim_dead()
        if len(self.queue) or self._others_busy():
            raise DontCloseSpider


def _url_of(request: Request) -> str:
    return request_context(request.meta).get("url", request.url)


class _ClaimsInTheFilter(dict):
    """The store's `claimed` (canonical URL -> the URL holding the story) of a shared crawl:
    always empty. The shared filter decides which request of a story is fetched, and a request
    a crawler vetted may be dropped by the filter or fetched by another crawler, so a claim kept
    in one crawler's memory would wrongly turn the story's fetched URL into a duplicate."""

    def __setitem__(self, key: str, value: str) -> None:
        pass

    def setdefault(self, key: str, default: str | None = None) -> str | None:
        return default


class SharedCrawlStore(CrawlStore):
    """CrawlStore of one crawler among many: short warehouse sessions, crawl state in Redis."""

    frontier: FrontierScheduler | None = None
    # Other crawlers write the warehouse in their own short sessions: a run still 'running'
    # may be a live crawl (here or on another machine), not a dead one.
    closes_dead_runs = False

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.db_path = settings["FRAMEWATCH_DB_PATH"]
        self.wait_seconds = settings.getfloat("FRAMEWATCH_DB_WAIT_SECONDS", 120.0)
        self.keys = CrawlKeys(settings["FRAMEWATCH_RUN_ID"])
        self.redis: redis.Redis = connect_redis(settings["REDIS_URL"])
        self.crawler_id: str = settings["FRAMEWATCH_CRAWLER_ID"]
        self.ttl_seconds = settings.getint("FRAMEWATCH_FRONTIER_TTL_SECONDS", 72 * 3600)
        self._settled: list[str] = []
        # In the crawl before claiming anything, so no other crawler takes our claims as left.
        self.redis.sadd(self.keys.crawlers, self.crawler_id)
        self.starts_run = self.owns(RUN_START)
        # Opens the warehouse (waiting for another crawler's batch), records the run, reloads
        # what earlier attempts logged; then the file is released for the other crawlers.
        super().__init__(crawler)
        self.con.close()
        self.con = None
        self.claimed = _ClaimsInTheFilter()

    @contextmanager
    def _session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con = connect(self.db_path, wait_seconds=self.wait_seconds)
        try:
            yield self.con
        finally:
            self.con.close()
            self.con = None

    # -- lifecycle -------------------------------------------------------------------------

    def owns(self, member: str) -> bool:
        """Claim a URL (or RUN_START) of the run for this crawler; True when it is ours to write."""
        return claim_for(self.redis, self.keys, member, self.crawler_id, self.ttl_seconds)

    def _record_start(self) -> None:
        if self.starts_run:  # the others' MERGE of the same new run could add a second row
            self._retry_conflicts(super()._record_start)

    def mirror_sources(self, sources: Iterable[Any]) -> None:
        if self.starts_run:
            self._retry_conflicts(lambda: super(SharedCrawlStore, self).mirror_sources(sources))

    def _spider_opened(self, spider: Any) -> None:
        with self._session():
            self.mirror_sources(getattr(spider, "sources", {}).values())
        self._loop = create_looping_call(self.flush)
        self._loop.start(self.flush_seconds, now=False)

    def _spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        for canonical in list(self.pending_variants):
            holder = self.claimed.get(canonical, "")
            self.settle_variants(canonical, holder, self.logged.get(holder, "without a status"))
        self.flush()
        finished = reason == "finished"
        last = self.frontier.leave(finished=finished) if self.frontier is not None else True
        with self._session() as con:
            rows = con.execute(named_queries("crawl")["run_totals"], [self.run_id]).fetchall()
            counts: dict[str, int] = {}
            for _source, _kind, status, count in rows:
                counts[status] = counts.get(status, 0) + count
            message = ", ".join(f"{key}={value}" for key, value in sorted(counts.items()))
            status = "finished" if finished else "failed"
            if last:  # the crawl's last crawler records its end (the others' ends are not it)
                if not finished:
                    message = f"stopped early ({reason}); {message}"
                con.execute(named_queries("pages")["finish_run"],
                            [status, utc_now(), message, self.run_id])
            run_status = con.execute(named_queries("crawl")["run_status"],
                                     [self.run_id]).fetchone()
            self.totals = {"status": run_status[0] if run_status else status, "rows": rows}
        logger.info("crawler %s of run %s %s (%s)", self.frontier.crawler_id
                    if self.frontier is not None else "?", self.run_id,
                    "left last" if last else "left", message)

    # -- reads: the crawl state in Redis ---------------------------------------------------

    def prefetch_validators(self, urls: Iterable[str]) -> None:
        """Nothing to prefetch: each lookup is one Redis round trip."""

    def known_pages(self, canonical_urls: list[str]) -> dict[str, KnownPage]:
        if not canonical_urls:
            return {}
        values = self.redis.hmget(self.keys.pages, canonical_urls)
        return {url: KnownPage(*decode_page(value))
                for url, value in zip(canonical_urls, values, strict=True) if value is not None}

    def page_sha(self, canonical_url: str) -> str | None:
        pending = self._page_rows.get(canonical_url)
        if pending is not None:
            return pending[5]
        value = self.redis.hget(self.keys.pages, canonical_url)
        return decode_page(value)[1] if value is not None else None

    def validators(self, url: str) -> Validators | None:
        value = self.redis.hget(self.keys.validators, url)
        return Validators(*decode_validators(value)) if value is not None else None

    def backlog(self, source_ids: list[str], *, days: float, limit: int) -> list[tuple[Any, ...]]:
        with self._session():
            return super().backlog(source_ids, days=days, limit=limit)

    def urls_with_status(self, urls: list[str]) -> set[str]:
        """Which of these URLs have a status in this run, committed by any crawler."""
        with self._session() as con:
            rows = con.execute(_QUERIES["urls_with_status"], [self.run_id, urls]).fetchall()
        return {url for (url,) in rows}

    # -- writes ----------------------------------------------------------------------------

    def record(self, outcome: FetchOutcome) -> bool:
        self._settled.append(outcome.url)
        if outcome.url not in self.logged and not self.owns(outcome.url):
            # Another crawler of the run settled this URL (robots.txt, fetched by each crawler):
            # its row is that crawler's to write.
            logger.debug("%s is logged by another crawler; %s not recorded", outcome.url,
                         outcome.status)
            return False
        return super().record(outcome)

    def flush(self) -> None:
        """Commit the batch in a short warehouse session, then publish the crawl state it adds
        and release the committed requests from this crawler's in-flight list."""
        settled, self._settled = self._settled, []
        pages = list(self._page_rows.values())
        validators = list(self._validator_rows.values())
        if self._pending():
            try:
                with self._session():
                    self._retry_conflicts(super().flush)
            except BaseException:
                self._settled = settled + self._settled
                raise
        pipe = self.redis.pipeline(transaction=False)
        if pages:
            pipe.hset(self.keys.pages, mapping={row[0]: encode_page(row[7], row[5])
                                                for row in pages})
        if validators:
            pipe.hset(self.keys.validators, mapping={row[0]: encode_validators(row[1], row[2], row[4])
                                                     for row in validators})
        pipe.execute()
        if self.frontier is not None:
            self.frontier.acknowledge(settled)

    def _retry_conflicts(self, write: Callable[[], None]) -> None:
        """Run a write (one transaction of the base store); DuckLake commits optimistically, so a
        commit that conflicts with another crawler's is rolled back (by the base store) and the
        write tried again. The file warehouse never conflicts: one writer holds it at a time."""
        import duckdb

        for attempt in range(1, LAKE_COMMIT_ATTEMPTS + 1):
            try:
                write()
                return
            except duckdb.Error as error:
                text = str(error).lower()
                if attempt == LAKE_COMMIT_ATTEMPTS or not ("conflict" in text
                                                           or "concurrent" in text):
                    raise
                logger.info("lake commit conflicted with another writer (attempt %d): %s",
                            attempt, str(error).splitlines()[0])
                time.sleep(0.1 * attempt + random.random() * 0.2)
