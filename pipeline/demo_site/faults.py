"""The endpoints of the hostile outlet (fault mode) and the crawl status each should produce."""

from __future__ import annotations

from pipeline.demo_site.model import Fault

FLAKY_FAILURES = 2  # 503s before the flaky page recovers: Scrapy's default RETRY_TIMES is 2

FAULTS: tuple[Fault, ...] = (
    Fault(
        "control",
        "/news/ok-control",
        "ok",
        "An ordinary on-topic article: the control that must succeed.",
        "feed",
    ),
    Fault(
        "flaky_5xx",
        "/news/flaky-then-ok",
        "ok",
        f"503 on the first {FLAKY_FAILURES} requests, 200 after: ok for a crawler that retries "
        f"at least {FLAKY_FAILURES} times.",
        "feed",
    ),
    Fault(
        "server_error",
        "/news/always-500",
        "server_error",
        "500 Internal Server Error on every request.",
        "feed",
    ),
    Fault(
        "rate_limited",
        "/news/rate-limited",
        "rate_limited",
        "429 Too Many Requests with Retry-After: 1 on every request.",
        "feed",
    ),
    Fault(
        "slow",
        "/news/slow-response",
        "timeout",
        "Sleeps DemoSite.slow_seconds (default 5 s) before answering: longer than a short timeout.",
        "sitemap",
    ),
    Fault(
        "truncated",
        "/news/truncated",
        "truncated",
        "Content-Length promises 20,000 more bytes than are sent, then the connection closes.",
        "feed",
    ),
    Fault(
        "mislabelled_charset",
        "/news/latin1-labelled-utf8",
        "ok",
        "Latin-1 bytes served as 'text/html; charset=utf-8' (text has M\u00fcller, caf\u00e9, \u00a3).",
        "sitemap",
    ),
    Fault(
        "missing_charset",
        "/news/cp1252-no-charset",
        "ok",
        "cp1252 bytes (curly quotes, \u20ac, em dash) with no charset in header or markup.",
        "sitemap",
    ),
    Fault(
        "gzip_bomb",
        "/news/gzip-bomb",
        "too_large",
        "Content-Encoding: gzip, about 250 KB on the wire that inflates to 256 MB.",
        "feed",
    ),
    Fault("oversized", "/news/oversized", "too_large", "A 12 MB HTML page.", "sitemap"),
    Fault(
        "malformed_feed",
        "/feeds/broken.xml",
        "malformed_feed",
        "An RSS feed that is not well-formed XML (unclosed elements, bare ampersand).",
        "sources",
    ),
    Fault(
        "entity_expansion",
        "/feeds/laughs.xml",
        "malformed_feed",
        "An RSS feed with a 'billion laughs' entity-expansion DTD: must be refused, not expanded.",
        "sources",
    ),
    Fault(
        "redirect_loop",
        "/loop/a",
        "redirect_loop",
        "/loop/a redirects (302) to /loop/b, which redirects back to /loop/a.",
        "link",
    ),
    Fault(
        "pdf",
        "/news/briefing.pdf",
        "not_html",
        "A PDF document (application/pdf) linked like an article.",
        "link",
    ),
    Fault(
        "jpeg",
        "/news/photo-of-the-day",
        "not_html",
        "JPEG bytes (image/jpeg) at an article-like URL.",
        "sitemap",
    ),
    Fault(
        "challenge",
        "/news/challenge",
        "blocked",
        "403 with a bot-challenge page ('Checking your browser').",
        "feed",
    ),
    Fault(
        "not_found",
        "/news/gone-missing",
        "not_found",
        "404 Not Found, although the feed lists it.",
        "feed",
    ),
    Fault(
        "robots",
        "/members/insider-briefing",
        "robots_denied",
        "Disallowed by robots.txt (Disallow: /members/); served 200 to crawlers that ignore it.",
        "link",
    ),
)
