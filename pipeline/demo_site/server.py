"""`DemoSite`: serves a corpus over HTTP, one ThreadingHTTPServer per outlet on its own loopback
address, so per-host politeness (robots.txt, Crawl-delay, concurrency) applies per outlet."""

from __future__ import annotations

import ipaddress
import logging
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple, Self

from pipeline.demo_site.app import OutletApp
from pipeline.demo_site.faults import FAULTS
from pipeline.demo_site.hostile import HostileApp, gzip_bomb
from pipeline.demo_site.model import Corpus
from pipeline.demo_site.responses import TEXT, Response, is_not_modified
from pipeline.demo_site.sources import source_entry, write_sources_toml

logger = logging.getLogger(__name__)

FIRST_HOST = 11  # outlets live on <prefix>.11, <prefix>.12, ...
IDLE_CONNECTION_SECONDS = 15  # a keep-alive connection with no request for this long is closed


class RequestRecord(NamedTuple):
    outlet_id: str
    method: str
    path: str  # as requested: path and query
    status: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as crawlers expect
    server_version = "framewatch-demo-site/1"
    sys_version = ""
    timeout = IDLE_CONNECTION_SECONDS

    # set on the per-outlet subclass
    site: DemoSite
    outlet_id: str
    app: Any

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        try:
            response = self.app.handle(method, self.path)
        except Exception:
            logger.exception("demo site: %s %s on %s failed", method, self.path, self.outlet_id)
            response = Response(500, b"internal error", TEXT)
        status = response.status
        if method in ("GET", "HEAD") and is_not_modified(response, self.headers):
            status = 304
        self.site._record(RequestRecord(self.outlet_id, method, self.path, status))
        if response.delay and self.site._stopping.wait(response.delay):
            self.close_connection = True
            return
        self.send_response(status)
        if response.etag:
            self.send_header("ETag", response.etag)
        if response.last_modified:
            self.send_header("Last-Modified", format_datetime(response.last_modified, usegmt=True))
        for name, value in response.headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Type", response.content_type)
            length = (
                response.declared_length
                if response.declared_length is not None
                else len(response.body)
            )
            self.send_header("Content-Length", str(length))
        if response.close or method not in ("GET", "HEAD"):
            # a request body we did not read would be taken for the next request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if method != "HEAD" and status != 304:
            try:
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. a size limit): fine

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.outlet_id, format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class DemoSite:
    """Serve `corpus` on loopback; use as a context manager.

    `host_prefix` is the first three octets of the loopback addresses ("127.0.0"); `port` 0 picks
    a free port per outlet, any other value is a base port (outlet i gets port + i). With
    `faults=True` an extra outlet, "hostile", serves the fault endpoints of `corpus.faults`.
    """

    def __init__(
        self,
        corpus: Corpus,
        host_prefix: str = "127.0.0",
        port: int = 0,
        *,
        faults: bool = False,
        slow_seconds: float = 5.0,
    ) -> None:
        _check_loopback_prefix(host_prefix)
        if not 0 <= port <= 65535:
            raise ValueError(f"port={port}: must be 0 (any free port) or a base port up to 65535")
        self.corpus = corpus
        self.host_prefix = host_prefix
        self.port = port
        self.faults = faults
        self.slow_seconds = slow_seconds
        self.base_urls: dict[str, str] = {}
        self.request_log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._stopping = threading.Event()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._servers:
            raise RuntimeError("this DemoSite is already running")
        self._stopping.clear()
        outlets = list(self.corpus.outlets) + ([self.corpus.fault_outlet] if self.faults else [])
        try:
            for index, outlet in enumerate(outlets):
                host = f"{self.host_prefix}.{FIRST_HOST + index}"
                server = self._bind(host, self.port + index if self.port else 0, outlet.id)
                base_url = f"http://{host}:{server.server_address[1]}"
                if outlet.id == self.corpus.fault_outlet.id:
                    app: Any = HostileApp(outlet, base_url, self.slow_seconds)
                else:
                    app = OutletApp(self.corpus, outlet, base_url)
                handler = type(
                    f"Handler_{outlet.id}",
                    (_Handler,),
                    {"site": self, "outlet_id": outlet.id, "app": app},
                )
                server.RequestHandlerClass = handler
                self.base_urls[outlet.id] = base_url
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.2},
                    name=f"demo-site-{outlet.id}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise
        if self.faults:
            gzip_bomb()  # build once now, so the first request is not slowed by it
        logger.info("demo site serving %d outlets: %s", len(self.base_urls), self.base_urls)

    def _bind(self, host: str, port: int, outlet_id: str) -> _Server:
        try:
            server = _Server((host, port), _Handler)
        except OSError as error:
            raise OSError(
                f"demo site: cannot listen on {host}:{port} for outlet {outlet_id}: {error}"
            ) from error
        self._servers.append(server)
        return server

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    # -- what tests and the pipeline use ---------------------------------------------------
    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self.request_log.append(record)

    def truth(self) -> dict[str, Any]:
        """`corpus.truth()` with absolute URLs of this running site."""
        return self.corpus.truth(self.base_urls)

    def source_entries(self) -> list[dict]:
        entries = [source_entry(o, self.base_urls[o.id]) for o in self.corpus.outlets]
        if self.faults:
            hostile = self.corpus.fault_outlet
            extra = tuple(f.path for f in FAULTS if f.discover_via == "sources")
            entry = source_entry(hostile, self.base_urls[hostile.id], extra_feeds=extra)
            entry["feeds"] = [self.base_urls[hostile.id] + hostile.rss_path] + [
                self.base_urls[hostile.id] + p for p in extra
            ]
            entry["news_sitemaps"] = []
            entry["sections"] = [self.base_urls[hostile.id] + "/"]
            entries.append(entry)
        return entries

    def write_sources_toml(self, path: str | Path) -> Path:
        """Write a seeds/sources.toml for this running site (ports change with every start)."""
        if not self.base_urls:
            raise RuntimeError("start the DemoSite before writing its sources.toml")
        header = (
            "Sources of the framewatch demo site: synthetic outlets on loopback, not real news.\n"
            f"corpus: seed={self.corpus.seed} scale={self.corpus.scale} anchor={self.corpus.anchor}"
        )
        return write_sources_toml(path, self.source_entries(), header)


def _check_loopback_prefix(prefix: str) -> None:
    try:
        first = ipaddress.ip_address(f"{prefix}.{FIRST_HOST}")
    except ValueError:
        raise ValueError(f"host_prefix={prefix!r}: give three octets such as '127.0.0'") from None
    if not first.is_loopback:
        raise ValueError(f"host_prefix={prefix!r}: the demo site only serves on loopback (127.x.y)")
