"""URL identity: one canonical form per story, so variants of an article end as one stored page.

Pure functions. `canonical_url` lowercases scheme and host, drops default ports, fragments,
tracking parameters, AMP variants and trailing slashes, sorts the query, and honours a page's
`<link rel=canonical>` when it points inside the same site.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = ["canonical_url", "is_tracking_param", "robots_url", "same_site", "site_key",
           "strip_tracking", "url_host"]

# Parameters that identify a campaign, a click or a referrer, never the story itself.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "igsh",
    "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "ocid",
    "icid", "ito", "_ga", "_gl", "smid", "sr_share", "s_cid", "spm", "mkt_tok", "wt.mc_id",
    "wt_mc", "ncid", "taid", "soc_src", "soc_trk", "share", "guccounter", "__twitter_impression",
    "amp", "outputtype", "cid", "xtor",
})
TRACKING_PREFIXES = ("utm_", "itm_", "at_", "pk_", "mtm_", "hsa_", "vero_", "ga_", "oly_")

DEFAULT_PORTS = {"http": 80, "https": 443}
# Hosts that serve the same site under a prefix (www., mobile, AMP cache-like subdomains).
SITE_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_AMP_SEGMENT = re.compile(r"(^|/)amp(/|$)")


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter only tracks a click or campaign (utm_*, fbclid, ref, ...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def url_host(url: str) -> str:
    """The lowercased host name of `url` (no port), or '' when it has none."""
    return (urlsplit(url).hostname or "").lower()


def robots_url(url: str) -> str:
    """The robots.txt URL of `url`'s host (scheme, host and port kept as written), or ''."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def site_key(url: str) -> str:
    """The host with www./m./amp. stripped: URLs with the same key belong to one site."""
    host = url_host(url)
    for prefix in SITE_PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def same_site(url: str, other: str) -> bool:
    """Whether two absolute URLs are on the same site (ignoring www./m./amp. prefixes)."""
    return bool(site_key(url)) and site_key(url) == site_key(other)


def strip_tracking(url: str) -> str:
    """`url` without its fragment and tracking parameters; path and other parameters untouched.

    This is the URL worth fetching: unlike the canonical form it still names a real resource.
    """
    parts = urlsplit(url.strip())
    if not parts.query and not parts.fragment:
        return url.strip()
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if not is_tracking_param(key)]
    query = parts.query if len(kept) == len(pairs) else urlencode(kept)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _strip_amp(path: str) -> str:
    """Remove AMP markers: /amp/ prefix or suffix segment and a .amp / .amp.html suffix."""
    if path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    elif path.endswith(".amp"):
        path = path[: -len(".amp")]
    segments = [segment for segment in path.split("/") if segment.lower() != "amp"]
    stripped = "/".join(segments)
    return stripped if stripped.startswith("/") else "/" + stripped


@lru_cache(maxsize=65_536)  # a crawl normalises each URL several times; bounded memory
def _normalise(url: str) -> str:
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host or scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    if _AMP_SEGMENT.search(path) or path.endswith((".amp", ".amp.html")):
        path = _strip_amp(path)
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
             if not is_tracking_param(key)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def canonical_url(url: str, *, html_canonical: str | None = None) -> str:
    """The identity of the story at `url` (the final URL after redirects).

    `html_canonical` is the page's `<link rel=canonical href>` (relative or absolute). It wins
    when it points into the same site and does not collapse an article onto the home page (a
    common template bug); otherwise it is ignored.
    """
    own = _normalise(url)
    if not html_canonical or not html_canonical.strip():
        return own
    try:
        declared = _normalise(urljoin(url, html_canonical.strip()))
    except ValueError:
        return own
    if not same_site(declared, own):
        return own
    if urlsplit(declared).path == "/" and urlsplit(own).path != "/":
        return own
    return declared
