"""Parse feeds (RSS 2.0, RSS 1.0, Atom) and sitemaps (index, plain, news) into listing entries.

Pure functions over bytes. XML is parsed without entity expansion, DTD loading, network access
or huge-tree mode; a document that declares entities is refused outright, so a "billion laughs"
feed costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

__all__ = ["Listing", "ListingEntry", "MalformedListing", "parse_date", "parse_feed", "parse_sitemap"]

# Refuse entity declarations (the billion-laughs and external-entity attacks) before parsing.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"


class MalformedListing(ValueError):
    """A feed or sitemap that cannot be read; the message says why."""


@dataclass(frozen=True)
class ListingEntry:
    """One item of a feed or sitemap: an article URL (or, in an index, a child sitemap)."""

    url: str
    title: str | None = None
    published: datetime | None = None  # naive UTC
    updated: datetime | None = None  # naive UTC


@dataclass(frozen=True)
class Listing:
    """What a feed or sitemap lists. kind: rss | atom | rdf | sitemap | news_sitemap | sitemap_index."""

    kind: str
    entries: tuple[ListingEntry, ...]


def parse_date(text: str | None) -> datetime | None:
    """An RFC 822 or ISO 8601 date as naive UTC, or None when absent or unreadable."""
    if not text or not text.strip():
        return None
    text = text.strip()
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _parse_xml(body: bytes) -> etree._Element:
    if not body or not body.strip():
        raise MalformedListing("empty document")
    if _ENTITY_DECLARATION.search(body[:1_000_000]):
        raise MalformedListing("declares XML entities (refused: possible entity-expansion attack)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False, recover=False, remove_comments=True)
    try:
        root = etree.fromstring(body.lstrip(), parser=parser)
    except etree.XMLSyntaxError as error:
        raise MalformedListing(f"not well-formed XML: {error}") from error
    if root is None:
        raise MalformedListing("no root element")
    return root


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        for child in _children(element, name):
            value = "".join(child.itertext()).strip()
            if value:
                return value
    return None


def _absolute(base_url: str, href: str | None) -> str | None:
    if not href or not href.strip():
        return None
    url = urljoin(base_url, href.strip())
    return url if url.startswith(("http://", "https://")) else None


def _rss_entry(item: etree._Element, base_url: str) -> ListingEntry | None:
    link = _text(item, "link")
    if not link:
        for guid in _children(item, "guid"):
            if guid.get("isPermaLink", "true").lower() == "true":
                link = (guid.text or "").strip()
    url = _absolute(base_url, link)
    if url is None:
        return None
    published = parse_date(_text(item, "pubdate", "date", "published", "issued"))
    updated = parse_date(_text(item, "updated", "modified"))
    return ListingEntry(url, _text(item, "title"), published, updated)


def _atom_entry(entry: etree._Element, base_url: str) -> ListingEntry | None:
    href = None
    for link in _children(entry, "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            href = link.get("href")
            break
    url = _absolute(base_url, href)
    if url is None:
        return None
    published = parse_date(_text(entry, "published", "issued", "created"))
    updated = parse_date(_text(entry, "updated", "modified"))
    return ListingEntry(url, _text(entry, "title"), published or updated, updated)


def parse_feed(body: bytes, base_url: str) -> Listing:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed; MalformedListing if it is none of them."""
    root = _parse_xml(body)
    kind = _local(root)
    if kind == "rss":
        channel = next(iter(_children(root, "channel")), None)
        if channel is None:
            raise MalformedListing("RSS document without <channel>")
        items, make, label = _children(channel, "item"), _rss_entry, "rss"
    elif kind == "rdf":
        items, make, label = _children(root, "item"), _rss_entry, "rdf"
    elif kind == "feed":
        items, make, label = _children(root, "entry"), _atom_entry, "atom"
    else:
        raise MalformedListing(f"not a feed: root element <{kind or root.tag}>")
    entries = tuple(entry for entry in (make(item, base_url) for item in items) if entry)
    return Listing(label, entries)


def _news_fields(url_element: etree._Element) -> tuple[str | None, datetime | None] | None:
    for news in _children(url_element, "news"):
        return _text(news, "title"), parse_date(_text(news, "publication_date"))
    return None


def parse_sitemap(body: bytes, base_url: str, *, max_bytes: int = 50_000_000) -> Listing:
    """Entries of a sitemap index (child sitemaps), a sitemap or a news sitemap.

    A gzipped sitemap (`.xml.gz` served as is) is decompressed up to `max_bytes`.
    """
    if body[:2] == _GZIP_MAGIC:
        from scrapy.utils.gz import gunzip

        try:
            body = gunzip(body, max_size=max_bytes)
        except (OSError, ValueError) as error:
            raise MalformedListing(f"bad or oversized gzip sitemap: {error}") from error
    root = _parse_xml(body)
    kind = _local(root)
    if kind == "sitemapindex":
        entries = []
        for child in _children(root, "sitemap"):
            url = _absolute(base_url, _text(child, "loc"))
            if url:
                entries.append(ListingEntry(url, updated=parse_date(_text(child, "lastmod"))))
        return Listing("sitemap_index", tuple(entries))
    if kind != "urlset":
        raise MalformedListing(f"not a sitemap: root element <{kind or root.tag}>")
    entries = []
    is_news = False
    for element in _children(root, "url"):
        url = _absolute(base_url, _text(element, "loc"))
        if not url:
            continue
        lastmod = parse_date(_text(element, "lastmod"))
        news = _news_fields(element)
        if news is not None:
            is_news = True
            title, published = news
            entries.append(ListingEntry(url, title, published, lastmod))
        else:
            entries.append(ListingEntry(url, None, None, lastmod))
    return Listing("news_sitemap" if is_news else "sitemap", tuple(entries))
