"""The hostile outlet (fault mode): every endpoint listed in `faults.FAULTS`, misbehaving as
described there. Everything is bounded: failures stop, sleeps end, loops are two hops long."""

from __future__ import annotations

import random
import struct
import threading
import zlib
from collections import Counter
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from pipeline.demo_site.compose import compose_on_topic
from pipeline.demo_site.faults import FAULTS, FLAKY_FAILURES
from pipeline.demo_site.feeds import SYNTHETIC_FEED_NOTE
from pipeline.demo_site.model import DemoOutlet
from pipeline.demo_site.pages import SYNTHETIC_NOTE
from pipeline.demo_site.responses import (
    HTML,
    RSS,
    TEXT,
    XML,
    Response,
    cacheable,
    not_found,
    redirect,
)

GZIP_BOMB_INFLATED = 256 * 1024 * 1024
OVERSIZED_BYTES = 12 * 1024 * 1024
TRUNCATED_SHORTFALL = 20_000
_PUBLISHED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)  # fixed: fault pages never change

_FAULT_BY_PATH = {f.path: f for f in FAULTS}
_ARTICLE_FAULTS = [f for f in FAULTS if f.path.startswith("/news/")]


def _article_html(title: str, paragraphs: list[str], charset_meta: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head>{meta}<title>{title} - Hostile Test Outlet</title>'
        f'</head><body><header><a href="/">Hostile Test Outlet</a></header>'
        f'<article><h1>{title}</h1><p class="byline">By Test Desk | January 5, 2026</p>'
        f"{body}</article><footer><p>{SYNTHETIC_NOTE}</p></footer></body></html>"
    )


@lru_cache(maxsize=1)
def _story() -> tuple[str, tuple[str, ...]]:
    title, paragraphs = compose_on_topic(
        random.Random("hostile-story"), "regulation", ("talent",), _PUBLISHED
    )
    return title, tuple(paragraphs)


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 250 KB of gzip that inflates to 256 MB of spaces inside an HTML page.

    One megabyte is deflated once, ending in a full flush that resets the compressor's history,
    so the same bytes can be repeated instead of compressing 256 MB (1.5 s of CPU) each run.
    """
    head, tail = b"<!doctype html><html><body><p>", b"</p></body></html>"
    chunk = b" " * (1024 * 1024)
    repeats = GZIP_BOMB_INFLATED // len(chunk)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated_head = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    deflated_chunk = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    deflated_tail = packer.compress(tail) + packer.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = (len(head) + len(chunk) * repeats + len(tail)) % 2**32
    header = bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 2, 255])  # gzip, deflate, no name, mtime 0
    trailer = struct.pack("<II", crc, size)
    return header + deflated_head + deflated_chunk * repeats + deflated_tail + trailer


@lru_cache(maxsize=1)
def oversized_page() -> bytes:
    title, paragraphs = _story()
    paragraph = ("<p>" + " ".join(paragraphs) + "</p>\n").encode()
    head = f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'.encode()
    repeats = OVERSIZED_BYTES // len(paragraph) + 1
    return head + paragraph * repeats + b"</body></html>"


_MISLABELLED_TEXT = (
    "Anna M\u00fcller, a researcher at the caf\u00e9-sized Lakemont start-up, said the \u00a32m grant "
    "would fund na\u00efve-Bayes baselines and a r\u00e9sum\u00e9 of regulatory filings."
)
_CP1252_TEXT = (
    "\u201cThe rules arrive in 2027 \u2014 and they will cost \u20ac40m a year,\u201d said Zo\u00eb "
    "Lef\u00e8vre, the commissioner\u2019s adviser."
)
_BROKEN_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Broken & unclosed'
    "<item><title>First story<link>/news/ok-control</link></item>\n<item><title>Second"
)
_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>/news/ok-control</link></item></channel></rss>
"""
# Smallest valid-looking payloads: magic numbers are what content sniffers look at.
_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
_JPEG = (
    bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300")
    + bytes(64)
    + bytes.fromhex("ffd9")
)
_CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<h1>Checking your browser before accessing the site.</h1><p>This process is automatic. "
    "Your browser will redirect to your requested content shortly.</p>"
    "<noscript>Please enable JavaScript and cookies to continue.</noscript></body></html>"
)


class HostileApp:
    """The fault outlet's routes. Request counters make the flaky page recover after a burst."""

    def __init__(self, outlet: DemoOutlet, base_url: str, slow_seconds: float) -> None:
        self.outlet = outlet
        self.base_url = base_url
        self.slow_seconds = slow_seconds
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _count(self, path: str) -> int:
        with self._lock:
            self._hits[path] += 1
            return self._hits[path]

    def handle(self, method: str, target: str) -> Response:
        if method not in ("GET", "HEAD"):
            return Response(405, b"Method not allowed", TEXT, headers=(("Allow", "GET, HEAD"),))
        path = urlsplit(target).path or "/"
        title, paragraphs = _story()
        fault = _FAULT_BY_PATH.get(path)
        fault_id = fault.id if fault else None
        if path == "/":
            return cacheable(self._home(), HTML, _PUBLISHED)
        if path == "/robots.txt":
            return cacheable(self._robots(), TEXT, _PUBLISHED)
        if path == self.outlet.rss_path:
            return cacheable(self._feed(), RSS, _PUBLISHED)
        if path == self.outlet.sitemap_path:
            return cacheable(self._sitemap(), XML, _PUBLISHED)
        if fault_id in ("control", "robots"):
            return cacheable(_article_html(title, list(paragraphs)), HTML, _PUBLISHED)
        if fault_id == "flaky_5xx":
            if self._count(path) <= FLAKY_FAILURES:
                return Response(
                    503, b"<html><body>Service temporarily unavailable</body></html>", HTML
                )
            return cacheable(_article_html(title, list(paragraphs)), HTML, _PUBLISHED)
        if fault_id == "server_error":
            return Response(500, b"<html><body>Internal Server Error</body></html>", HTML)
        if fault_id == "rate_limited":
            return Response(429, b"Too Many Requests", TEXT, headers=(("Retry-After", "1"),))
        if fault_id == "slow":
            page = _article_html("A story that takes its time", list(paragraphs))
            return Response(200, page.encode(), HTML, delay=self.slow_seconds)
        if fault_id == "truncated":
            body = _article_html(title, list(paragraphs)).encode()
            return Response(
                200, body, HTML, declared_length=len(body) + TRUNCATED_SHORTFALL, close=True
            )
        if fault_id == "mislabelled_charset":
            page = _article_html(
                "Grant for Lakemont researchers", [_MISLABELLED_TEXT, *paragraphs[:3]]
            )
            return Response(
                200, page.encode("latin-1", errors="replace"), "text/html; charset=utf-8"
            )
        if fault_id == "missing_charset":
            page = _article_html(
                "Commission adviser on the cost of rules", [_CP1252_TEXT, *paragraphs[:3]], None
            )
            return Response(200, page.encode("cp1252", errors="replace"), "text/html")
        if fault_id == "gzip_bomb":
            return Response(200, gzip_bomb(), HTML, headers=(("Content-Encoding", "gzip"),))
        if fault_id == "oversized":
            return Response(200, oversized_page(), HTML)
        if fault_id == "malformed_feed":
            return Response(200, _BROKEN_FEED.encode(), RSS)
        if fault_id == "entity_expansion":
            return Response(200, _BILLION_LAUGHS.encode(), RSS)
        if fault_id == "redirect_loop":
            return redirect("/loop/b", 302)
        if path == "/loop/b":
            return redirect("/loop/a", 302)
        if fault_id == "pdf":
            return Response(200, _PDF, "application/pdf")
        if fault_id == "jpeg":
            return Response(200, _JPEG, "image/jpeg")
        if fault_id == "challenge":
            return Response(403, _CHALLENGE.encode(), HTML)
        return not_found(self.outlet.name)

    def _home(self) -> str:
        links = "\n".join(
            f'<li><a href="{f.path}">{escape(f.description)}</a></li>'
            for f in FAULTS
            if f.discover_via in ("link", "feed", "sitemap")
        )
        return (
            '<!doctype html><html><head><meta charset="utf-8"><title>Hostile Test Outlet</title></head>'
            f"<body><h1>Hostile Test Outlet</h1><ul>{links}</ul>"
            f"<footer><p>{SYNTHETIC_NOTE}</p></footer></body></html>"
        )

    def _robots(self) -> str:
        rules = "\n".join(f"Disallow: {p}" for p in self.outlet.robots_disallow)
        return f"User-agent: *\n{rules}\n\nSitemap: {self.base_url}{self.outlet.sitemap_path}\n"

    def _feed(self) -> str:
        items = "\n".join(
            f"<item><title>{escape(f.id)}</title><link>{escape(self.base_url + f.path)}</link>"
            f"<pubDate>Mon, 05 Jan 2026 09:30:00 GMT</pubDate></item>"
            for f in _ARTICLE_FAULTS
            if f.discover_via == "feed"
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>Hostile Test Outlet</title><link>{escape(self.base_url)}/</link>"
            f"<description>{escape(SYNTHETIC_FEED_NOTE)}</description>{items}</channel></rss>\n"
        )

    def _sitemap(self) -> str:
        urls = "\n".join(
            f"<url><loc>{escape(self.base_url + f.path)}</loc><lastmod>2026-01-05T09:30:00Z</lastmod></url>"
            for f in _ARTICLE_FAULTS
            if f.discover_via == "sitemap"
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
        )
