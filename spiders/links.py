"""Which links on a section page are articles: same site, article-like path, not navigation.

Pure functions. A link is an article when it sits outside <nav>/<header>/<footer>, stays on the
section's site, is not a tag/author/topic/asset page, and its path carries a date or a
story-like slug or id.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from pipeline.urls import canonical_url, same_site

__all__ = ["article_links", "date_from_url", "looks_like_article"]

_DATE_IN_PATH = re.compile(
    r"[/-](?P<y>(?:19|20)\d{2})[/-](?P<m>0?[1-9]|1[0-2])(?:[/-](?P<d>0?[1-9]|[12]\d|3[01]))?(?=/|-|$)"
    r"|/(?P<y2>(?:19|20)\d{2})(?P<m2>0[1-9]|1[0-2])(?:(?P<d2>0[1-9]|[12]\d|3[01])|/(?P<d3>0[1-9]|[12]\d|3[01]))?(?=/|-|$)"
)
_NOT_ARTICLE_SEGMENTS = frozenset({
    "tag", "tags", "topic", "topics", "author", "authors", "by", "category", "categories",
    "page", "search", "about", "about-us", "contact", "login", "signin", "sign-in", "register",
    "subscribe", "subscription", "newsletter", "newsletters", "privacy", "privacy-policy",
    "terms", "cookies", "feed", "feeds", "rss", "sitemap", "account", "video", "videos", "live",
    "podcast", "podcasts", "gallery", "galleries", "photos", "events", "jobs", "careers",
    "advertise", "cdn-cgi", "wp-admin", "wp-json", "static", "assets", "shop", "user", "users",
    "profile", "people", "staff", "corrections", "help",
})
# PDFs are kept: reports linked like stories are recorded (as not_html), not silently skipped.
_ASSET_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".css", ".js",
                   ".xml", ".rss", ".json", ".zip", ".mp3", ".mp4", ".ico", ".txt", ".gz")
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?)$")
_NAVIGATION_TAGS = frozenset({"nav", "header", "footer"})
# Elements that hold story teasers: a deep link inside one is a story even without a slug.
_TEASER_TAGS = frozenset({"article", "h1", "h2", "h3", "h4", "li"})
_NOT_ARTICLE_RELS = frozenset({"tag", "author", "category", "next", "prev", "nofollow"})


def date_from_url(url: str) -> date | None:
    """The publication date a URL path carries (/2026/03/15/, /2026-03-15-, /20260315/), if any."""
    match = _DATE_IN_PATH.search(urlsplit(url).path)
    if not match:
        return None
    year = int(match.group("y") or match.group("y2"))
    month = int(match.group("m") or match.group("m2"))
    day = int(match.group("d") or match.group("d2") or match.group("d3") or 1)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def looks_like_article(url: str, page_url: str, *, in_teaser: bool = False) -> bool:
    """Whether `url`, linked from the section page `page_url`, looks like a story.

    `in_teaser`: the link sits in a teaser element (article, heading, list item); then any
    link at least two path segments deep counts, since teasers rarely point to section fronts.
    """
    if not url.startswith(("http://", "https://")) or not same_site(url, page_url):
        return False
    parts = urlsplit(url)
    path = parts.path
    if path in ("", "/") or path.lower().endswith(_ASSET_SUFFIXES):
        return False
    segments = [segment.lower() for segment in path.split("/") if segment]
    if any(segment in _NOT_ARTICLE_SEGMENTS for segment in segments):
        return False
    if "page=" in parts.query.lower():
        return False
    try:
        if canonical_url(url) == canonical_url(page_url):
            return False
    except ValueError:
        return False
    if date_from_url(url) is not None:
        return True
    last = _PAGE_SUFFIX.sub("", segments[-1])
    if last.count("-") >= 3 and len(last) >= 20:
        return True
    if re.search(r"\d{5,}", last) and len(segments) >= 2:
        return True
    return in_teaser and len(segments) >= 2


def _placement(element: etree._Element) -> tuple[bool, bool]:
    """(inside navigation, inside a teaser element) for a link."""
    teaser = False
    for ancestor in element.iterancestors():
        if ancestor.tag in _NAVIGATION_TAGS or ancestor.get("role") == "navigation":
            return True, teaser
        teaser = teaser or ancestor.tag in _TEASER_TAGS
    return False, teaser


def article_links(html: str, page_url: str) -> list[str]:
    """Absolute article URLs linked from a section page, in page order, without repeats."""
    if not html or not html.strip():
        return []
    try:
        document = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = document.xpath("string(//base/@href)") or page_url
    found: dict[str, None] = {}
    for anchor in document.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        rels = set((anchor.get("rel") or "").lower().split())
        in_navigation, in_teaser = _placement(anchor)
        if rels & _NOT_ARTICLE_RELS or in_navigation:
            continue
        url = urljoin(urljoin(page_url, base), href.strip())
        if looks_like_article(url, page_url, in_teaser=in_teaser):
            found.setdefault(url.split("#", 1)[0], None)
    return list(found)
