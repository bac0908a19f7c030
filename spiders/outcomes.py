"""Map what came back (an HTTP status, a body, an exception) to a fetch-log status and reason."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from twisted.internet import error as twisted_error

from spiders.items import Exchange, utc_now
from spiders.politeness import HostSkipped

__all__ = ["exchange_from_response", "is_challenge_page", "status_for_exception", "status_for_http"]

# Markers of bot-challenge interstitials (Cloudflare, PerimeterX, Imperva/Incapsula, DataDome,
# Akamai, generic). Checked only in short pages, where the interstitial puts them; substring
# tests on the lowercased head cost a fraction of a regex over every page.
_CHALLENGE_MARKERS = (
    b"<title>just a moment...</title>", b"attention required! | cloudflare",
    b"cf-browser-verification", b"challenge-platform", b"cf-chl-", b"_incapsula_resource",
    b"px-captcha", b"geo.captcha-delivery.com", b"/_sec/cp_challenge/",
    b"<title>are you a robot", b"<title>pardon our interruption",
)
_CHALLENGE_MAX_BYTES = 64_000


def is_challenge_page(body: bytes) -> bool:
    """Whether a short page is a bot-challenge interstitial rather than content."""
    if len(body) > _CHALLENGE_MAX_BYTES:
        return False
    head = body.lower()
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def status_for_http(status: int, body: bytes = b"") -> tuple[str, str] | None:
    """The failure status of an HTTP response, or None for a usable 2xx (304 is not_modified)."""
    if status == 304:
        return "not_modified", "304 Not Modified"
    if 200 <= status < 300:
        if is_challenge_page(body):
            return "blocked", f"HTTP {status} bot-challenge page"
        return None
    if status in (401, 403, 407, 451) or (status == 503 and is_challenge_page(body)):
        return "blocked", f"HTTP {status}"
    if status in (404, 410):
        return "not_found", f"HTTP {status}"
    if status == 429:
        return "rate_limited", "HTTP 429"
    if status >= 500:
        return "server_error", f"HTTP {status}"
    if 300 <= status < 400:
        return "error", f"HTTP {status} redirect that could not be followed"
    return "error", f"HTTP {status}"


def status_for_exception(exception: BaseException) -> tuple[str, str]:
    """The status of a request that produced no response."""
    text = str(exception) or type(exception).__name__
    if isinstance(exception, HostSkipped):
        return "error", f"skipped: {text}"
    if isinstance(exception, IgnoreRequest):
        lowered = text.lower()
        if "robots.txt" in lowered:
            return "robots_denied", "disallowed by robots.txt"
        if "max redirections" in lowered:
            return "redirect_loop", "too many redirects (loop?)"
        if "maxsize" in lowered or "max size" in lowered or "larger than" in lowered:
            return "too_large", text[:300]
        return "error", f"ignored: {text[:300]}"
    if isinstance(exception, DownloadCancelledError):
        return "too_large", text[:300]
    if isinstance(exception, (DownloadTimeoutError, twisted_error.TimeoutError,
                              twisted_error.TCPTimedOutError)):
        return "timeout", text[:300]
    if isinstance(exception, ResponseDataLossError):
        return "truncated", "connection closed before the announced body length arrived"
    if isinstance(exception, (DownloadConnectionRefusedError, CannotResolveHostError,
                              DownloadFailedError, twisted_error.ConnectError,
                              twisted_error.ConnectionLost, twisted_error.DNSLookupError)):
        return "connection_error", f"{type(exception).__name__}: {text[:300]}"
    return "error", f"{type(exception).__name__}: {text[:300]}"


def _headers(headers) -> tuple[tuple[str, str], ...]:
    return tuple((key.decode("latin-1"), value.decode("latin-1"))
                 for key, values in headers.items() for value in values)


def exchange_from_response(response: Response) -> Exchange:
    """The request/response pair to archive."""
    request = response.request
    return Exchange(
        url=response.url,
        method=request.method if request is not None else "GET",
        request_headers=_headers(request.headers) if request is not None else (),
        status=response.status,
        response_headers=_headers(response.headers),
        body=response.body,
        fetched_at=utc_now(),
        protocol=response.protocol or "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address else None,
        truncated="length" if "dataloss" in (response.flags or []) else None,
    )


def is_html(response: Response) -> bool:
    """Whether a response is an HTML (or XHTML) page."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if content_type:
        return "html" in content_type
    return isinstance(response, TextResponse) and b"<html" in response.body[:2048].lower()
