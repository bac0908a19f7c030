"""Run the Scrapy crawl as a subprocess and summarise what it recorded in the warehouse.

Twisted's reactor cannot be restarted inside one process, so each crawl is `python -m spiders`.
The child opens the warehouse for writing; the parent keeps it closed until the child exits,
then reads the run's fetch log (or marks the run failed when the child died).

With `[crawl] frontier = "redis"` one run may have several crawler processes, here and on other
machines (`join_crawl`): the run's frontier is prepared in Redis first (`prepare_frontier`:
the warehouse's pages and validators copied there), each crawler gets its own id, and a crawler
that dies does not end the run (the others take its requests over).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import FramewatchError
from pipeline.frontier import (
    CrawlKeys,
    FrontierError,
    check_frontier_settings,
    connect_redis,
    crawl_is_ready,
    redacted_url,
    seed_crawl_state,
    warehouse_identity,
)
from pipeline.seeds import load_sources
from pipeline.settings import REPO_ROOT, Settings
from warehouse.db import connect
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

__all__ = ["CrawlError", "CrawlHandle", "CrawlSummary", "check_frontier", "join_crawl",
           "new_run_id", "prepare_frontier", "run_crawl", "start_crawl"]

ERROR_TAIL_LINES = 30


class CrawlError(FramewatchError):
    """A crawl that did not finish: the subprocess crashed, was killed or timed out."""

    def __init__(self, run_id: str, problem: str, log_tail: str = "") -> None:
        self.run_id = run_id
        self.problem = problem
        self.log_tail = log_tail
        message = f"crawl {run_id} {problem}"
        if log_tail:
            message += f"\n--- last lines of the crawl log ---\n{log_tail}"
        super().__init__(message)


@dataclass(frozen=True)
class CrawlSummary:
    """What one crawl run recorded: URL counts per status, and per source and status."""

    run_id: str
    status: str
    seconds: float
    by_status: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    log_path: Path | None = None

    @property
    def urls_seen(self) -> int:
        return sum(self.by_status.values())

    @property
    def articles_fetched(self) -> int:
        """Articles fetched and stored as new or changed pages in this run."""
        articles = self.by_kind.get("article", {})
        return articles.get("new", 0) + articles.get("changed", 0)


def new_crawler_id() -> str:
    """A short id naming one crawler process of a run (its WARC files, its in-flight list)."""
    return f"c{secrets.token_hex(4)}"


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: 20260315T101500Z-3fa2c1."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _settings_dict(settings: Settings) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return plain(dataclasses.asdict(settings))


def _tail(path: Path, lines: int = ERROR_TAIL_LINES) -> str:
    if not path.exists():
        return ""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return "".join(deque(handle, maxlen=lines)).rstrip()


class CrawlHandle:
    """A running crawl subprocess: wait for it (-> CrawlSummary), or stop it."""

    def __init__(self, settings: Settings, run_id: str, process: subprocess.Popen[bytes],
                 log_path: Path, job_path: Path, totals_path: Path | None = None,
                 crawler_id: str = "") -> None:
        self.settings = settings
        self.crawler_id = crawler_id
        self.run_id = run_id
        self.process = process
        self.log_path = log_path
        self._job_path = job_path
        self._totals_path = totals_path
        self._started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the crawl (what a crash or an out-of-memory kill looks like)."""
        self.process.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> CrawlSummary:
        """Wait for the crawl; raise CrawlError unless it finished, else summarise it."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGTERM lets Scrapy close the spider, so the run is recorded as stopped early.
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._cleanup()
            self._mark_failed(f"timed out after {timeout:.0f}s")
            raise CrawlError(self.run_id, f"timed out after {timeout:.0f}s",
                             _tail(self.log_path)) from None
        if code != 0:
            self._cleanup()
            problem = (f"was killed by signal {-code}" if code < 0
                       else f"exited with status {code}")
            self._mark_failed(problem)
            raise CrawlError(self.run_id, problem, _tail(self.log_path))
        try:
            return self.summary()
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        self._job_path.unlink(missing_ok=True)
        if self._totals_path is not None:
            self._totals_path.unlink(missing_ok=True)

    def _mark_failed(self, problem: str, *, whole_run: bool = False) -> None:
        """Record a crash the child could not record itself (its row would stay 'running')."""
        if self.crawler_id and not whole_run:
            # One of a shared frontier's crawlers: the others go on with its requests, and the
            # last one records the run's end.
            logger.warning("crawler %s of run %s %s", self.crawler_id, self.run_id, problem)
            return
        try:
            con = connect(self.settings.warehouse_target, wait_seconds=10)
        except FramewatchError:
            logger.warning("could not mark crawl %s failed: warehouse busy", self.run_id)
            return
        try:
            con.execute(named_queries("crawl")["mark_failed"],
                        [datetime.now(UTC).replace(tzinfo=None), problem, self.run_id])
        finally:
            con.close()

    def _reported_totals(self) -> tuple[str, list[Any]] | None:
        """The totals the finished crawl read from the warehouse just before closing it."""
        if self._totals_path is None or self.process.returncode != 0:
            return None
        try:
            reported = json.loads(self._totals_path.read_text(encoding="utf-8"))
            return reported["status"], reported["rows"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _warehouse_totals(self) -> tuple[str, list[Any]]:
        con = connect(self.settings.warehouse_target, read_only=True, wait_seconds=10)
        try:
            queries = named_queries("crawl")
            run = con.execute(queries["run_status"], [self.run_id]).fetchone()
            rows = con.execute(queries["run_totals"], [self.run_id]).fetchall()
        finally:
            con.close()
        return (run[0] if run else "unknown"), rows

    def summary(self) -> CrawlSummary:
        """What the run recorded in the warehouse (as its crawl process counted it at the end,
        which spares opening the warehouse again; read from the warehouse otherwise)."""
        return self.summary_from(*(self._reported_totals() or self._warehouse_totals()))

    def summary_from(self, run_status: str, rows: list[Any]) -> CrawlSummary:
        """A summary of the run from its status and run_totals rows."""
        by_status: dict[str, int] = {}
        by_source: dict[str, dict[str, int]] = {}
        by_kind: dict[str, dict[str, int]] = {}
        for source_id, kind, status, count in rows:
            by_status[status] = by_status.get(status, 0) + count
            per_source = by_source.setdefault(source_id, {})
            per_source[status] = per_source.get(status, 0) + count
            per_kind = by_kind.setdefault(kind, {})
            per_kind[status] = per_kind.get(status, 0) + count
        return CrawlSummary(self.run_id, run_status,
                            round(time.monotonic() - self._started, 3),
                            by_status, by_source, by_kind, self.log_path)


def start_crawl(
    settings: Settings,
    *,
    run_id: str | None = None,
    sources_path: str | Path | None = None,
    scrapy_overrides: Mapping[str, Any] | None = None,
) -> CrawlHandle:
    """Validate the seeds and start `python -m spiders` for one run; return its handle.

    Passing the `run_id` of an interrupted run resumes it: URLs that already have a status in
    that run are not fetched again. With a shared frontier (`prepare_frontier` first) each call
    starts one more crawler of the run.
    """
    check_frontier_settings(settings.crawl)
    sources_path = Path(sources_path or settings.sources_path)
    load_sources(sources_path)  # bad seeds fail here, with the file, key and problem
    run_id = run_id or new_run_id()
    crawler_id = new_crawler_id() if settings.crawl.frontier == "redis" else ""
    log_dir = settings.workdir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    settings.archive_path.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / (f"crawl-{run_id}-{crawler_id}.log" if crawler_id
                          else f"crawl-{run_id}.log")
    handle, name = tempfile.mkstemp(prefix=f"crawl-{run_id}-", suffix=".json", dir=log_dir)
    totals_path = Path(name).with_suffix(".totals.json")
    job = {"settings": _settings_dict(settings), "run_id": run_id,
           "sources_path": str(sources_path.resolve()), "crawler_id": crawler_id,
           "scrapy_overrides": dict(scrapy_overrides or {}), "totals_path": str(totals_path)}
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(job, out)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "spiders", "--job", name],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    logger.info("crawl %s started (pid %d), log: %s", run_id, process.pid, log_path)
    return CrawlHandle(settings, run_id, process, log_path, Path(name), totals_path, crawler_id)


def check_frontier(settings: Settings, processes: int = 1) -> None:
    """Refuse frontier settings that cannot work, before anything is written: FrontierError
    naming the setting (a bad value, Redis unreachable, wrong credentials)."""
    check_frontier_settings(settings.crawl)
    if processes > 1 and settings.crawl.frontier != "redis":
        raise FrontierError('crawl.frontier: several crawler processes need frontier = "redis"')
    if settings.crawl.frontier == "redis":
        connect_redis(settings.crawl.redis_url).close()


def prepare_frontier(settings: Settings, run_id: str) -> bool:
    """Make the run's shared frontier ready in Redis: copy the warehouse's pages and validators
    there, once per run. False when it was ready already (a resumed run). FrontierError, naming
    the setting, when Redis cannot be used; then nothing is written anywhere."""
    check_frontier_settings(settings.crawl)
    if settings.crawl.frontier != "redis":
        raise FrontierError('crawl.frontier: several crawler processes need frontier = "redis"')
    client = connect_redis(settings.crawl.redis_url)
    keys = CrawlKeys(run_id)
    try:
        if crawl_is_ready(client, keys):
            return False
        queries = named_queries("frontier")
        con = connect(settings.warehouse_target, wait_seconds=60)
        try:
            pages = con.execute(queries["known_pages_all"]).fetchall()
            validators = con.execute(queries["validators_all"]).fetchall()
        finally:
            con.close()
        copied = seed_crawl_state(client, keys, pages=pages, validators=validators,
                                  ttl_seconds=int(settings.crawl.frontier_ttl_hours * 3600),
                                  warehouse=warehouse_identity(settings.warehouse_target))
    finally:
        client.close()
    logger.info("frontier of crawl %s ready on %s: %d pages, %d validators", run_id,
                redacted_url(settings.crawl.redis_url), *copied)
    return True


def run_crawl(
    settings: Settings,
    *,
    run_id: str | None = None,
    sources_path: str | Path | None = None,
    timeout: float | None = None,
    scrapy_overrides: Mapping[str, Any] | None = None,
    processes: int = 1,
) -> CrawlSummary:
    """Crawl every source of the sources file into the warehouse and archive; wait for the end.

    `processes` > 1 starts that many crawler processes sharing the run's Redis frontier
    (`[crawl] frontier = "redis"`). Raises SeedError for a bad sources file, FrontierError for
    an unusable frontier, and CrawlError (with the last lines of the crawl log) when the crawl
    crashes, is killed or exceeds `timeout` seconds.
    """
    if processes < 1:
        raise FrontierError(f"crawl processes: {processes} (at least 1)")
    if settings.crawl.frontier == "redis" or processes > 1:
        run_id = run_id or new_run_id()
        prepare_frontier(settings, run_id)
        return _run_crawlers(settings, run_id, processes, sources_path=sources_path,
                             timeout=timeout, scrapy_overrides=scrapy_overrides)
    handle = start_crawl(settings, run_id=run_id, sources_path=sources_path,
                         scrapy_overrides=scrapy_overrides)
    summary = handle.wait(timeout)
    logger.info("crawl %s %s in %.1fs: %s", summary.run_id, summary.status, summary.seconds,
                summary.by_status)
    return summary


def join_crawl(
    settings: Settings,
    run_id: str,
    *,
    sources_path: str | Path | None = None,
    timeout: float | None = None,
    processes: int = 1,
) -> CrawlSummary:
    """Add crawler processes to a run another machine started (its frontier must be ready)."""
    check_frontier_settings(settings.crawl)
    if settings.crawl.frontier != "redis":
        raise FrontierError('crawl.frontier: joining a crawl needs frontier = "redis"')
    client = connect_redis(settings.crawl.redis_url)
    keys = CrawlKeys(run_id)
    try:
        ready = crawl_is_ready(client, keys)
        theirs = client.get(keys.warehouse)
    finally:
        client.close()
    if not ready:
        raise FrontierError(f"crawl.redis_url: no crawl {run_id} on "
                            f"{redacted_url(settings.crawl.redis_url)} (finished and expired, "
                            "or never started): start it with `framewatch crawl`")
    ours = warehouse_identity(settings.warehouse_target)
    if theirs is not None and theirs.decode() != ours:
        raise FrontierError(f"warehouse: crawl {run_id} writes {theirs.decode()}, but these "
                            f"settings name {ours}; crawlers on several machines need one shared "
                            '(warehouse.backend = "ducklake") warehouse')
    return _run_crawlers(settings, run_id, processes, sources_path=sources_path,
                         timeout=timeout, scrapy_overrides=None)


def _run_crawlers(
    settings: Settings, run_id: str, processes: int, *, sources_path: str | Path | None,
    timeout: float | None, scrapy_overrides: Mapping[str, Any] | None,
) -> CrawlSummary:
    """Start `processes` crawlers of a shared-frontier run and wait for all of them."""
    started = time.monotonic()
    handles = [start_crawl(settings, run_id=run_id, sources_path=sources_path,
                           scrapy_overrides=scrapy_overrides) for _ in range(processes)]
    errors: list[CrawlError] = []
    for handle in handles:
        remaining = None if timeout is None else max(timeout - (time.monotonic() - started), 1.0)
        try:
            handle.wait(remaining)
        except CrawlError as error:
            errors.append(error)
    if len(errors) == len(handles):
        if not _frontier_busy(settings, run_id):
            handles[0]._mark_failed(errors[0].problem, whole_run=True)
        raise errors[0]
    status, rows = handles[0]._warehouse_totals()
    if status != "finished" and errors:
        raise errors[0]
    summary = handles[0].summary_from(status, rows)
    logger.info("crawl %s (%d crawlers) %s in %.1fs: %s", run_id, processes, summary.status,
                summary.seconds, summary.by_status)
    return summary


def _frontier_busy(settings: Settings, run_id: str) -> bool:
    """Whether a crawler of the run (here or elsewhere) is alive or requests are still queued."""
    keys = CrawlKeys(run_id)
    client = connect_redis(settings.crawl.redis_url)
    try:
        members = [m.decode() for m in client.smembers(keys.crawlers)]
        alive = any(client.exists(keys.alive(crawler_id)) for crawler_id in members)
        return alive or client.zcard(keys.requests) > 0
    finally:
        client.close()
