"""Page metadata: title, authors, publication date, language, canonical URL.

Each function takes the parsed page (and what trafilatura found) and returns a cleaned value;
nothing here fetches or writes anything.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

logger = logging.getLogger(__name__)

OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)  # the web press barely existed before

# ---------------------------------------------------------------------------------------------
# JSON-LD


def json_ld_objects(tree: lxml_html.HtmlElement) -> list[dict]:
    """Every JSON object in the page's ld+json scripts, @graph members flattened."""
    objects: list[dict] = []
    for script in tree.xpath('//script[contains(translate(@type, "JSONLD", "jsonld"), "ld+json")]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # trailing commas and control characters are common
                data = json.loads(
                    re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False
                )
            except ValueError:
                continue
        objects.extend(_flatten_ld(data))
    return objects


def _flatten_ld(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten_ld(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _flatten_ld(graph)


def _ld_types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k) for k in kinds if k}


def article_objects(objects: Iterable[dict]) -> list[dict]:
    """JSON-LD objects that describe an article (NewsArticle, BlogPosting, ReportageNewsArticle...)."""
    return [
        o
        for o in objects
        if any(t.endswith(("Article", "BlogPosting", "Posting")) for t in _ld_types(o))
    ]


# ---------------------------------------------------------------------------------------------
# <meta> helpers


def meta_content(tree: lxml_html.HtmlElement, *names: str) -> str | None:
    """The first non-empty content of <meta property|name|itemprop=NAME>, names tried in order."""
    for name in names:
        for attr in ("property", "name", "itemprop"):
            for value in tree.xpath(
                f"//meta[translate(@{attr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                f"'abcdefghijklmnopqrstuvwxyz')=$n]/@content",
                n=name.lower(),
            ):
                value = " ".join(value.split())
                if value:
                    return value
    return None


# ---------------------------------------------------------------------------------------------
# Title

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|»|«|/|:)\s+|\s*[｜：]\s*")
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "ne", "or", "go", "edu"}
_WORD = re.compile(r"\w+", re.UNICODE)


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _site_names(tree: lxml_html.HtmlElement, url: str | None, sitename: str | None) -> list[str]:
    names = [
        n
        for n in (meta_content(tree, "og:site_name", "application-name", "twitter:site"), sitename)
        if n
    ]
    if url:
        host = urlsplit(url).hostname or ""
        labels = [p for p in host.split(".") if p not in {"www", "m", "amp", "edition", "news"}][
            :-1
        ]
        while len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
            labels.pop()
        if labels:
            names.append(host)
            names.append(labels[-1])
    return [n.lstrip("@") for n in names]


def _is_site_part(part: str, site_names: list[str]) -> bool:
    norm = _norm(part)
    squashed = norm.replace(" ", "")
    if not norm:
        return True
    for name in site_names:
        site = _norm(name)
        site_squashed = site.replace(" ", "")
        if not site:
            continue
        if (
            norm == site
            or squashed == site_squashed
            or site_squashed in squashed
            and len(squashed) <= len(site_squashed) + 12
        ):
            return True
        if squashed and squashed in site_squashed:
            return True
        # "Die Neue Südtiroler Tageszeitung" for tageszeitung.it: a short part naming the domain
        if len(site_squashed) >= 5 and site_squashed in squashed and len(norm.split()) <= 6:
            return True
    return False


def strip_site_name(title: str, site_names: list[str], other_titles: Iterable[str] = ()) -> str:
    """Remove "| Site", "Site - " and similar site-name parts from the ends of a title.

    A part counts as the site name when it matches og:site_name or the domain, or when it is
    a short end part that other title candidates of the page do not carry.
    """
    title = " ".join(title.split())
    parts = _SEPARATORS.split(title)
    seps = _SEPARATORS.findall(title)
    if len(parts) < 2:
        return title
    others = [_norm(t) for t in other_titles if t]
    start, end = 0, len(parts)
    while end - start > 1 and _is_site_part(parts[end - 1], site_names):
        end -= 1
    while end - start > 1 and _is_site_part(parts[start], site_names):
        start += 1
    if (start, end) == (0, len(parts)) and others:
        # no site name recognised: drop a short end part absent from every other candidate
        last = _norm(parts[-1])
        if len(last.split()) <= 4 and all(last not in o for o in others):
            body = _norm(" ".join(parts[:-1]))
            if any(body and (body in o or o in body) for o in others):
                end -= 1
    out = parts[start]
    for sep, part in zip(seps[start : end - 1], parts[start + 1 : end], strict=False):
        out += sep + part
    return out.strip()


def clean_title(
    tree: lxml_html.HtmlElement,
    url: str | None,
    trafilatura_title: str | None,
    sitename: str | None,
    articles: list[dict],
) -> str | None:
    """The article's headline without the site name."""
    h1s = [" ".join(h.text_content().split()) for h in tree.xpath("//h1")]
    h1s = [h for h in h1s if 3 <= len(h) <= 300]
    headline = next(
        (str(a["headline"]) for a in articles if isinstance(a.get("headline"), str)), None
    )
    og_title = meta_content(tree, "og:title", "twitter:title")
    html_title = " ".join((tree.findtext(".//title") or "").split()) or None
    candidates = [c for c in (headline, og_title, html_title, trafilatura_title) if c]
    site_names = _site_names(tree, url, sitename)
    cleaned = [
        strip_site_name(c, site_names, [x for x in candidates + h1s if x != c]) for c in candidates
    ]
    cleaned = [c for c in cleaned if c]
    if cleaned:
        return cleaned[0]
    return h1s[0] if h1s else None


# ---------------------------------------------------------------------------------------------
# Authors

_BY = re.compile(
    r"^\s*(?:by|von|van|av|par|por|di|de|af|door|od|от|ved|mit)\s*:?\s+", re.IGNORECASE
)
_EMAIL = re.compile(r"\S+@\S+")
_ROLES = re.compile(
    r"\b(staff|staff writer|reporter|correspondent|editor|senior editor|contributor|columnist|"
    r"redaktion|redakteur(in)?|korrespondent(in)?|autor(in)?|journalist|photographer|"
    r"news desk|newsroom|desk|team)\b",
    re.IGNORECASE,
)
_AGENCIES = {
    "reuters",
    "ap",
    "afp",
    "dpa",
    "associated press",
    "ansa",
    "efe",
    "epd",
    "kna",
    "apa",
    "sda",
    "ntb",
    "tt",
    "bloomberg",
    "press association",
    "pa",
    "xinhua",
    "upi",
    "cnn",
    "bbc",
    "anp",
}
_NAME_OK = re.compile(r"^[\w'’.\- ]+$", re.UNICODE)


def _split_names(byline: str) -> list[str]:
    byline = _EMAIL.sub(" ", byline)
    byline = re.sub(r"https?://\S+", " ", byline)
    byline = re.sub(r"\([^)]*\)", " ", byline)  # "(dpa)", "(Reuters)", ages
    byline = _BY.sub("", byline)
    parts = re.split(
        r"\s*(?:;|,|&|\||/|\band\b|\bund\b|\bog\b|\bet\b|\by\b|\be\b|\bi\b|\boch\b|\ben\b|\bmit\b)\s*",
        byline,
        flags=re.IGNORECASE,
    )
    return [p for p in parts if p]


def _clean_byline_parts(raw: Iterable[str]) -> Iterator[str]:
    for byline in raw:
        for part in _split_names(byline):
            part = _BY.sub("", part)
            part = _ROLES.sub(" ", part)
            part = " ".join(part.replace("\u00a0", " ").split()).strip(" .:-–—'\"")
            if part:
                yield part


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = _norm(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)


def clean_author_names(raw: Iterable[str], site_names: Iterable[str] = ()) -> tuple[str, ...]:
    """Person names from bylines: "By X and Y", "X, Reuters", roles, e-mails and the site removed."""
    sites = [n for n in site_names if n]
    names = []
    for part in _clean_byline_parts(raw):
        n_words = len(part.split())
        if (
            part.casefold() in _AGENCIES
            or not _NAME_OK.match(part)
            or any(ch.isdigit() for ch in part)
        ):
            continue
        if n_words < 2 or n_words > 5 or _is_site_part(part, sites):
            continue
        names.append(part)
    return _dedupe(names)


def _organisation_names(raw: Iterable[str]) -> tuple[str, ...]:
    """Bylines that name only an agency or the newsroom ("dpa", "Reuters"): kept when no person is named."""
    return _dedupe(
        p
        for p in _clean_byline_parts(raw)
        if 1 <= len(p.split()) <= 4 and not any(c in p for c in "@/")
    )


def _ld_authors(articles: list[dict]) -> tuple[list[str], list[str]]:
    people: list[str] = []
    organisations: list[str] = []
    for article in articles:
        authors = article.get("author")
        for author in authors if isinstance(authors, list) else [authors]:
            if isinstance(author, dict):
                name = author.get("name")
                if isinstance(name, list):
                    name = ", ".join(str(n) for n in name)
                if not isinstance(name, str):
                    continue
                is_org = any("Organization" in t for t in _ld_types(author))
                (organisations if is_org else people).append(name)
            elif isinstance(author, str):
                people.append(author)
    return people, organisations


def extract_authors(
    tree: lxml_html.HtmlElement,
    url: str | None,
    trafilatura_author: str | None,
    sitename: str | None,
    articles: list[dict],
) -> tuple[str, ...]:
    """Authors from JSON-LD, meta tags and trafilatura's byline; an agency/newsroom only when no person."""
    site_names = _site_names(tree, url, sitename)
    people, organisations = _ld_authors(articles)
    meta = [
        m
        for m in (meta_content(tree, "author", "article:author", "dc.creator", "parsely-author"),)
        if m and "://" not in m
    ]
    byline = [trafilatura_author.replace(";", ",")] if trafilatura_author else []
    names = clean_author_names(people + byline + meta, site_names)
    if names:
        return names
    return _organisation_names(organisations + people + meta + byline)


# ---------------------------------------------------------------------------------------------
# Dates

_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/\-_]?(0[1-9]|1[0-2])[/\-_]?(0[1-9]|[12]\d|3[01])(?:/|[-_]|\b)"
)


def parse_datetime(value: str) -> datetime | None:
    """An ISO-8601-ish timestamp as aware UTC; naive times are taken as UTC."""
    value = value.strip()
    if not value:
        return None
    value = re.sub(r"\s*(Z|UTC|GMT)$", "+00:00", value)
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def plausible(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and OLDEST_PLAUSIBLE <= moment <= now + timedelta(days=1)


def _page_timestamps(tree: lxml_html.HtmlElement, articles: list[dict]) -> list[datetime]:
    raw: list[str] = []
    for article in articles:
        for key in ("datePublished", "dateCreated"):
            if isinstance(article.get(key), str):
                raw.append(article[key])
    meta = meta_content(
        tree,
        "article:published_time",
        "og:published_time",
        "datePublished",
        "pubdate",
        "publishdate",
        "date",
        "dc.date.issued",
        "dcterms.created",
        "sailthru.date",
    )
    if meta:
        raw.append(meta)
    raw.extend(
        tree.xpath(
            "//time[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"
        )
    )
    return [d for d in (parse_datetime(r) for r in raw) if d]


def find_published(
    tree: lxml_html.HtmlElement,
    url: str | None,
    articles: list[dict],
    trafilatura_date: str | None,
    feed_date: datetime | None,
    now: datetime,
) -> tuple[datetime | None, str]:
    """When the article was first published, and where that came from: page | feed | url | none."""
    for stamp in _page_timestamps(tree, articles):
        if plausible(stamp, now):
            return stamp, "page"
    url_day = _url_date(url)
    if trafilatura_date:  # htmldate's reading of the page, day precision; it also reads URLs
        day = parse_datetime(trafilatura_date)
        if plausible(day, now) and day != url_day:
            return day, "page"
    if feed_date is not None:
        stamp = feed_date if feed_date.tzinfo else feed_date.replace(tzinfo=UTC)
        stamp = stamp.astimezone(UTC)
        if plausible(stamp, now):
            return stamp, "feed"
    if plausible(url_day, now):
        return url_day, "url"
    return None, "none"


def _url_date(url: str | None) -> datetime | None:
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Language and canonical URL

_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


def _iso639_1(value: str | None) -> str | None:
    if not value:
        return None
    match = _LANG.match(value.strip())
    if not match:
        return None
    code = match[1].lower()
    return code if len(code) == 2 else None


def detect_language(
    tree: lxml_html.HtmlElement, trafilatura_language: str | None, articles: list[dict]
) -> str | None:
    """ISO 639-1 code from what the page declares (html lang, content-language, og:locale, JSON-LD)."""
    declared = [
        *tree.xpath(
            "/html/@lang | /html/@xml:lang",
            namespaces={"xml": "http://www.w3.org/XML/1998/namespace"},
        ),
        meta_content(tree, "content-language", "og:locale", "dc.language", "language"),
        *(a.get("inLanguage") for a in articles if isinstance(a.get("inLanguage"), str)),
        *tree.xpath(
            "//meta[translate(@http-equiv, 'CONTENTLAGU', 'contentlagu')='content-language']/@content"
        ),
        trafilatura_language,
    ]
    for value in declared:
        code = _iso639_1(value)
        if code:
            return code
    return None


def canonical_url(tree: lxml_html.HtmlElement, url: str | None) -> str | None:
    """<link rel=canonical> or og:url, made absolute against the page URL."""
    hrefs = tree.xpath(
        "//link[contains(concat(' ', translate(@rel, 'CANONICAL', 'canonical'), ' '), ' canonical ')]/@href"
    )
    candidate = next((h.strip() for h in hrefs if h.strip()), None) or meta_content(tree, "og:url")
    if not candidate:
        return None
    absolute = urljoin(url, candidate) if url else candidate
    return absolute if absolute.startswith(("http://", "https://")) else None
