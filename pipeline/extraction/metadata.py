"""What a page says about itself: JSON-LD objects, <meta> tags, site names, language, canonical URL.

`read_page_info` collects these once per page so that the title, author and date rules can
share them instead of walking the tree again.
"""

from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "ne", "or", "go", "edu"}


def norm(text: str) -> str:
    """Case-folded word tokens joined by spaces: the form in which two strings "say the same"."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def clean_value(value: str | None) -> str | None:
    """Whitespace collapsed and HTML entities decoded once more (CMSs often escape twice)."""
    if not value:
        return None
    if "&" in value:
        value = html.unescape(value)
    value = " ".join(value.replace("\u00ad", "").split())
    return value or None


# ---------------------------------------------------------------------------------------------
# JSON-LD


def json_ld_objects(tree: lxml_html.HtmlElement) -> list[dict]:
    """Every JSON object in the page's ld+json scripts, @graph members flattened."""
    objects: list[dict] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
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


def ld_types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k) for k in kinds if k}


def article_objects(objects: Iterable[dict]) -> list[dict]:
    """JSON-LD objects that describe an article (NewsArticle, BlogPosting, ReportageNewsArticle...)."""
    return [
        o
        for o in objects
        if any(t.endswith(("Article", "BlogPosting", "Posting")) for t in ld_types(o))
    ]


# ---------------------------------------------------------------------------------------------
# <meta> tags


def meta_index(tree: lxml_html.HtmlElement) -> dict[str, list[str]]:
    """Every non-empty <meta property|name|itemprop=KEY content=...>, keys lower-cased, in page order."""
    index: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if not content or not content.strip():
            continue
        content = " ".join(content.split())
        for attr in ("property", "name", "itemprop"):
            key = element.get(attr)
            if key:
                index.setdefault(key.strip().lower(), []).append(content)
    return index


def first_meta(index: dict[str, list[str]], *names: str) -> str | None:
    """The first content of the first of `names` that the page has."""
    for name in names:
        values = index.get(name)
        if values:
            return values[0]
    return None


# ---------------------------------------------------------------------------------------------
# The page as the metadata rules see it


@dataclass(frozen=True)
class PageInfo:
    """A parsed page with the self-descriptions that several metadata rules read."""

    tree: lxml_html.HtmlElement
    url: str | None
    meta: dict[str, list[str]]
    articles: list[dict]  # JSON-LD article objects
    site_names: list[
        str
    ]  # og:site_name, the host, its main label...: what a title or byline may carry


def read_page_info(tree: lxml_html.HtmlElement, url: str | None) -> PageInfo:
    meta = meta_index(tree)
    articles = article_objects(json_ld_objects(tree))
    return PageInfo(tree, url, meta, articles, _site_names(meta, articles, url))


def _site_names(meta: dict[str, list[str]], articles: list[dict], url: str | None) -> list[str]:
    names = [
        n
        for n in (
            first_meta(meta, "og:site_name"),
            first_meta(meta, "application-name"),
            first_meta(meta, "twitter:site"),
        )
        if n and "://" not in n
    ]
    for article in articles:
        publisher = article.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.append(publisher["name"])
    if url:
        host = (urlsplit(url).hostname or "").lower()
        labels = [p for p in host.split(".") if p not in {"www", "m", "amp", "edition", "news"}][
            :-1
        ]
        while len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
            labels.pop()
        if labels:
            names.append(host.removeprefix("www."))
            names.append(labels[-1])
    return [n.lstrip("@") for n in names if n.lstrip("@")]


def is_site_name(part: str, site_names: Iterable[str]) -> bool:
    """Whether a title part or a byline names the site itself ("BBC News", "nytimes.com")."""
    text = norm(part)
    squashed = text.replace(" ", "")
    if not text:
        return True
    for name in site_names:
        site_squashed = norm(name).replace(" ", "")
        if not site_squashed:
            continue
        if squashed == site_squashed:
            return True
        if site_squashed in squashed and len(squashed) <= len(site_squashed) + 12:
            return True
        if squashed in site_squashed:
            return True
        # "Die Neue Südtiroler Tageszeitung" for tageszeitung.it: a short part naming the domain
        if len(site_squashed) >= 5 and site_squashed in squashed and len(text.split()) <= 6:
            return True
    return False


def is_exactly_site_name(part: str, site_names: Iterable[str]) -> bool:
    """The stricter test for a name that a page declares as a person: the site name, give or take
    a few characters ("The Guardian", "guardian.co"), not merely containing it ("Guardian staff")."""
    squashed = norm(part).replace(" ", "")
    for name in site_names:
        site_squashed = norm(name).replace(" ", "")
        if site_squashed and (
            squashed == site_squashed
            or (site_squashed in squashed and len(squashed) - len(site_squashed) <= 4)
        ):
            return True
    return False


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


def detect_language(page: PageInfo) -> str | None:
    """ISO 639-1 code from what the page declares (html lang, content-language, og:locale, JSON-LD)."""
    root = page.tree.getroottree().getroot()
    declared = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        root.get("xml:lang"),
        first_meta(page.meta, "content-language", "og:locale", "dc.language", "language"),
        *(a.get("inLanguage") for a in page.articles if isinstance(a.get("inLanguage"), str)),
        *(
            m.get("content")
            for m in page.tree.iter("meta")
            if (m.get("http-equiv") or "").lower() == "content-language"
        ),
    ]
    for value in declared:
        code = _iso639_1(value)
        if code:
            return code
    return None


def canonical_url(page: PageInfo) -> str | None:
    """<link rel=canonical> or og:url, made absolute against the page URL."""
    hrefs = [
        (link.get("href") or "").strip()
        for link in page.tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidate = next((h for h in hrefs if h), None) or first_meta(page.meta, "og:url")
    if not candidate:
        return None
    absolute = urljoin(page.url, candidate) if page.url else candidate
    return absolute if absolute.startswith(("http://", "https://")) else None
