"""Parse feeds (RSS 2.0, RSS 1.0, Atom) and sitemaps (index, plain, news) into listing entries.

Pure functions over bytes. XML is parsed without entity expansion, DTD loading, network access
or huge-tree mode; a document that declares entities is refused outright, so a "billion laughs"
feed costs nothing.

Real feeds are often not well-formed, most often through a bare `&` in a link
(`?utm_source=feed&utm_medium=rss`). Listings are read the way feed readers read them: a document
that fails the strict parse is repaired (bare ampersands and HTML-only entity names escaped,
control characters dropped, outside CDATA sections and comments) and parsed again; one still
broken is read with lxml's recovering parser. `Listing.repairs` says what was repaired and
`Listing.recovered_from` names the XML error a recovered document had, so the caller can log both.

Dates are kept as naive UTC (the form the warehouse holds) together with the UTC offset the
listing stated, in minutes east of UTC: the day and ISO week of a story are the publisher's, so
an item dated `Fri, 10 Jul 2026 00:50:00 +0200` must stay on 10 July, not fall back to 9 July.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from pipeline.extraction.dates import LARGEST_UTC_OFFSET

__all__ = ["Listing", "ListingEntry", "MalformedListing", "parse_date", "parse_feed",
           "parse_sitemap", "parse_stated_date", "publisher_day"]

# Refuse entity declarations (the billion-laughs and external-entity attacks) before parsing.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"
# An `&` that starts a well-formed reference: `&name;`, `&#123;` or `&#x1F;`.
_REFERENCE = re.compile(rb"&(?:(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9._-]{0,31}));")
_AMPERSAND = re.compile(rb"&")
# Parts of a document whose `&` are literal text: CDATA sections, comments, processing
# instructions. They are copied as they are; only the text between them is repaired.
_VERBATIM = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>", re.DOTALL)
# Characters XML 1.0 forbids (C0 controls other than tab, newline and carriage return).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


class MalformedListing(ValueError):
    """A feed or sitemap that cannot be read; the message says why."""


@dataclass(frozen=True)
class ListingEntry:
    """One item of a feed or sitemap: an article URL (or, in an index, a child sitemap)."""

    url: str
    title: str | None = None
    published: datetime | None = None  # naive UTC
    updated: datetime | None = None  # naive UTC
    # The UTC offset the listing stated with each date, in minutes east of UTC (+120 for
    # +02:00); None when it stated none (the date is then taken as UTC).
    published_offset_minutes: int | None = None
    updated_offset_minutes: int | None = None

    def day(self) -> date | None:
        """The day the listing dates the entry (published, else updated) on the publisher's clock."""
        if self.published is not None:
            return publisher_day(self.published, self.published_offset_minutes)
        if self.updated is not None:
            return publisher_day(self.updated, self.updated_offset_minutes)
        return None


@dataclass(frozen=True)
class Listing:
    """What a feed or sitemap lists. kind: rss | atom | rdf | sitemap | news_sitemap | sitemap_index."""

    kind: str
    entries: tuple[ListingEntry, ...]
    repairs: tuple[str, ...] = ()  # what was escaped or dropped to make the document parse
    recovered_from: str | None = None  # the XML error of a document read by the recovering parser


def parse_stated_date(text: str | None) -> tuple[datetime | None, int | None]:
    """An RFC 822 or ISO 8601 date as naive UTC, with the UTC offset it stated in minutes east
    of UTC (+120 for `+0200`, 0 for `Z` or `GMT`; None when it stated none, or for RFC 822's
    `-0000`, "offset unknown": the date is then taken as UTC). (None, None) when absent,
    unreadable or stating an offset no clock has."""
    if not text or not text.strip():
        return None, None
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None, None
    offset = moment.utcoffset()
    if offset is None:
        return moment, None
    if abs(offset) > LARGEST_UTC_OFFSET:
        return None, None
    return moment.astimezone(UTC).replace(tzinfo=None), int(offset.total_seconds() // 60)


def parse_date(text: str | None) -> datetime | None:
    """An RFC 822 or ISO 8601 date as naive UTC, or None when absent or unreadable."""
    return parse_stated_date(text)[0]


def publisher_day(moment: datetime, offset_minutes: int | None) -> date:
    """The day of a naive UTC time on the clock of the offset the publisher stated (UTC if none)."""
    return (moment + timedelta(minutes=offset_minutes or 0)).date()


@dataclass(frozen=True)
class _Parsed:
    root: etree._Element
    repairs: tuple[str, ...] = ()
    recovered_from: str | None = None


def _xml_parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, recover=recover, remove_comments=True)


def _repair_text(text: bytes, counts: dict[str, int]) -> bytes:
    """Escape what makes a stretch of character data ill-formed; count each kind of repair."""
    out: list[bytes] = []
    position = 0
    for ampersand in _AMPERSAND.finditer(text):
        start = ampersand.start()
        if start < position:
            continue
        out.append(text[position:start])
        reference = _REFERENCE.match(text, start)
        if reference is None:
            out.append(b"&amp;")
            counts["bare '&' escaped"] = counts.get("bare '&' escaped", 0) + 1
            position = start + 1
            continue
        name = reference.group(2)
        if name is None or name in _XML_ENTITIES:
            out.append(reference.group(0))
        else:
            # An HTML name (&nbsp;) means nothing in XML without a DTD: its character, by
            # number; an unknown name was never a reference, so its `&` is text.
            codepoints = html.entities.html5.get(name.decode("ascii") + ";")
            if codepoints is not None:
                out.append("".join(f"&#{ord(c)};" for c in codepoints).encode("ascii"))
                counts["HTML entity made numeric"] = counts.get("HTML entity made numeric", 0) + 1
            else:
                out.append(b"&amp;" + reference.group(0)[1:])
                counts["bare '&' escaped"] = counts.get("bare '&' escaped", 0) + 1
        position = reference.end()
    out.append(text[position:])
    repaired, dropped = _CONTROL.subn(b"", b"".join(out))
    if dropped:
        counts["control character dropped"] = counts.get("control character dropped", 0) + dropped
    return repaired


def _repair(body: bytes) -> tuple[bytes, tuple[str, ...]]:
    """The document with the common lexical faults of feeds fixed, and what was fixed."""
    counts: dict[str, int] = {}
    out: list[bytes] = []
    position = 0
    for verbatim in _VERBATIM.finditer(body):
        out.append(_repair_text(body[position:verbatim.start()], counts))
        out.append(verbatim.group(0))
        position = verbatim.end()
    out.append(_repair_text(body[position:], counts))
    return b"".join(out), tuple(f"{count} {kind}" for kind, count in counts.items())


def _parse_xml(body: bytes) -> _Parsed:
    """The document's root; repaired, or read by the recovering parser, when not well-formed."""
    if not body or not body.strip():
        raise MalformedListing("empty document")
    if _ENTITY_DECLARATION.search(body[:1_000_000]):
        raise MalformedListing("declares XML entities (refused: possible entity-expansion attack)")
    body = body.lstrip()
    try:
        root = etree.fromstring(body, parser=_xml_parser(recover=False))
    except etree.XMLSyntaxError as error:
        strict_error = error
    else:
        if root is None:
            raise MalformedListing("no root element")
        return _Parsed(root)
    repaired, repairs = _repair(body)
    if repairs:
        try:
            root = etree.fromstring(repaired, parser=_xml_parser(recover=False))
        except etree.XMLSyntaxError as error:
            strict_error = error
        else:
            if root is not None:
                return _Parsed(root, repairs)
    try:
        root = etree.fromstring(repaired, parser=_xml_parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise MalformedListing(f"not well-formed XML: {strict_error}") from strict_error
    return _Parsed(root, repairs, f"not well-formed XML: {strict_error}")


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
    published, published_offset = parse_stated_date(
        _text(item, "pubdate", "date", "published", "issued"))
    updated, updated_offset = parse_stated_date(_text(item, "updated", "modified"))
    return ListingEntry(url, _text(item, "title"), published, updated, published_offset,
                        updated_offset)


def _atom_entry(entry: etree._Element, base_url: str) -> ListingEntry | None:
    href = None
    for link in _children(entry, "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            href = link.get("href")
            break
    url = _absolute(base_url, href)
    if url is None:
        return None
    published, published_offset = parse_stated_date(_text(entry, "published", "issued", "created"))
    updated, updated_offset = parse_stated_date(_text(entry, "updated", "modified"))
    if published is None:  # Atom requires only <updated>: the entry's date when it has no other
        published, published_offset = updated, updated_offset
    return ListingEntry(url, _text(entry, "title"), published, updated, published_offset,
                        updated_offset)


def _listing(parsed: _Parsed, read: Callable[[etree._Element], Listing]) -> Listing:
    """What `read` finds in a parsed document, with the document's repairs.

    A document only the recovering parser could read must still yield entries; otherwise its
    XML error is the problem to report (not what the recovered fragment looks like).
    """
    try:
        listing = read(parsed.root)
    except MalformedListing:
        if parsed.recovered_from:
            raise MalformedListing(parsed.recovered_from) from None
        raise
    if parsed.recovered_from and not listing.entries:
        raise MalformedListing(parsed.recovered_from)
    return replace(listing, repairs=parsed.repairs, recovered_from=parsed.recovered_from)


def parse_feed(body: bytes, base_url: str) -> Listing:
    """Entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed; MalformedListing if it is none of them."""
    return _listing(_parse_xml(body), lambda root: _feed_listing(root, base_url))


def _feed_listing(root: etree._Element, base_url: str) -> Listing:
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


def _news_fields(
    url_element: etree._Element,
) -> tuple[str | None, datetime | None, int | None] | None:
    """A news sitemap entry's title, publication date (naive UTC) and the offset it stated."""
    for news in _children(url_element, "news"):
        return _text(news, "title"), *parse_stated_date(_text(news, "publication_date"))
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
    return _listing(_parse_xml(body), lambda root: _sitemap_listing(root, base_url))


def _sitemap_listing(root: etree._Element, base_url: str) -> Listing:
    kind = _local(root)
    if kind == "sitemapindex":
        entries = []
        for child in _children(root, "sitemap"):
            url = _absolute(base_url, _text(child, "loc"))
            if url:
                lastmod, offset = parse_stated_date(_text(child, "lastmod"))
                entries.append(ListingEntry(url, updated=lastmod, updated_offset_minutes=offset))
        return Listing("sitemap_index", tuple(entries))
    if kind != "urlset":
        raise MalformedListing(f"not a sitemap: root element <{kind or root.tag}>")
    entries = []
    is_news = False
    for element in _children(root, "url"):
        url = _absolute(base_url, _text(element, "loc"))
        if not url:
            continue
        lastmod, lastmod_offset = parse_stated_date(_text(element, "lastmod"))
        news = _news_fields(element)
        if news is not None:
            is_news = True
            title, published, published_offset = news
            entries.append(ListingEntry(url, title, published, lastmod, published_offset,
                                        lastmod_offset))
        else:
            entries.append(ListingEntry(url, None, None, lastmod,
                                        updated_offset_minutes=lastmod_offset))
    return Listing("news_sitemap" if is_news else "sitemap", tuple(entries))
