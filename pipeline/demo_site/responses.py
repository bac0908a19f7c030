"""HTTP responses of the demo site as values, with validators (ETag, Last-Modified) and the
conditional-GET rule that turns a matching request into 304 Not Modified."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    etag: str | None = None
    last_modified: datetime | None = None
    delay: float = 0.0  # seconds to wait before answering (fault mode)
    declared_length: int | None = None  # Content-Length to announce when it is a lie (fault mode)
    close: bool = False  # close the connection after this response


def cacheable(body: str | bytes, content_type: str, last_modified: datetime | None) -> Response:
    """A 200 response with a strong ETag over the body and the given Last-Modified."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
    return Response(200, data, content_type, etag=etag, last_modified=last_modified)


def redirect(location: str, status: int = 301) -> Response:
    body = f'<html><body>Moved to <a href="{location}">{location}</a></body></html>'
    return Response(status, body.encode(), HTML, headers=(("Location", location),))


def not_found(outlet_name: str) -> Response:
    body = (
        f"<!doctype html><html><head><title>Page not found | {outlet_name}</title></head>"
        f"<body><h1>Page not found</h1><p>Sorry, we couldn't find that page.</p>"
        f'<p><a href="/">Go to the {outlet_name} front page</a></p></body></html>'
    )
    return Response(404, body.encode(), HTML)


def is_not_modified(response: Response, request_headers) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
    if response.status != 200:
        return False
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        if response.etag is None:
            return False
        tags = [tag.strip() for tag in if_none_match.split(",")]
        if "*" in tags:
            return True
        ours = response.etag.removeprefix("W/")
        return any(tag.removeprefix("W/") == ours for tag in tags)
    if_modified_since = request_headers.get("If-Modified-Since")
    if if_modified_since is None or response.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as the RFC says
    if since.tzinfo is None:
        return False
    return response.last_modified.replace(microsecond=0) <= since
