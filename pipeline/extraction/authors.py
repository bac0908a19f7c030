"""Who wrote the article: names from JSON-LD, author <meta> tags and the page's byline.

Sources are tried from the most to the least explicit; the first that names a person wins.
When no source names a person, the credit the page does give (an agency such as "dpa", the
newsroom such as "ORF.at") is kept rather than nothing, as a byline would show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import html as lxml_html

from pipeline.extraction.metadata import (
    PageInfo,
    clean_value,
    first_meta,
    is_exactly_site_name,
    is_site_name,
    ld_types,
    norm,
)

_BY = re.compile(
    r"^\s*(?:by|von|van|av|par|por|di|de|af|door|od|от|ved|mit|autor(?:in)?|author|text|tekst)\s*:?\s+",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+")
# A part that is only a role or a desk ("Senior Editor", "Staff") names nobody.
_ROLE_ONLY = re.compile(
    r"^((senior|chief|deputy|managing|political|business|technology|tech|science|foreign|"
    r"staff|contributing|freelance|guest|special)\s+)*"
    r"(staff|staff writer|writer|reporter|correspondent|editor|contributor|columnist|redaktion|"
    r"redakteur(in)?|korrespondent(in)?|autor(in)?|journalist(in)?|photographer|news desk|"
    r"newsroom|desk|team|red|agenturen|agencies|wires?|online)s?$",
    re.IGNORECASE,
)
_AGENCIES = {
    "reuters", "ap", "afp", "dpa", "associated press", "ansa", "efe", "epd", "kna", "apa", "sda",
    "ntb", "tt", "bloomberg", "press association", "pa", "xinhua", "upi", "cnn", "bbc", "anp",
}  # fmt: skip
_NAME_OK = re.compile(r"^[\w'’.\- ]+$", re.UNICODE)
# Chinese, Japanese and Korean names are written without a space between family and given name.
_CJK_NAME = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{2,4}$")
# A paragraph that is only a credit line: "<p><strong>Jane Doe / John Roe</strong></p>".
_EMPHASIS_TAGS = frozenset({"strong", "b", "em", "i"})
LEAD_IN_MAX_CHARS = 80
DESCRIPTION_WINDOW = 400  # an auto-excerpt's opening, where a lead-in credit line lands
_SPLIT = re.compile(
    r"\s*(?:;|,|&|\||\s/\s|\band\b|\bund\b|\bog\b|\bet\b|\by\b|\be\b|\bi\b|\boch\b|\ben\b|\bmit\b|、)\s*",
    re.IGNORECASE,
)
# Meta keys that carry a byline; dc.creator and citation_author come one per person, often "Last, First".
_META_AUTHOR_KEYS = (
    "author", "article:author", "parsely-author", "sailthru.author", "byl", "dc.creator",
    "citation_author", "cxenseparse:author",
)  # fmt: skip
_ONE_PER_TAG = {"dc.creator", "citation_author"}
_BYLINE_CLASS = re.compile(r"byline|author|autor|verfasser|writer|reporter", re.IGNORECASE)
_NOT_BYLINE_CLASS = re.compile(
    r"comment|quote|zitat|avatar|image|img|photo|picture|bio\b|description|about|social|follow|"
    r"share|more|list-item-more|contact|twitter|email",
    re.IGNORECASE,
)
_AUTHOR_HREF = re.compile(
    r"/(author|authors|autor|autoren|journalist|journalists|reporter|profile|people|by)/",
    re.IGNORECASE,
)
# An element that opens with a "By:"/"Von:" label and holds the names in its children is one too.
_BY_LABEL = re.compile(r"^\s*(By|BY|Von|VON|Av|Por|Par|Door|Di|Autor|Author)\s*:?\s*$")
BYLINE_MAX_CHARS = 120  # a byline is a line; a longer element is an author box or a bio
MAX_BYLINES = 12  # the article's own byline comes early; later ones tend to be teasers
_NOT_TEXT_TAGS = frozenset({"script", "style", "meta", "link", "img"})


def _split_names(byline: str) -> list[str]:
    byline = _EMAIL.sub(" ", byline)
    byline = re.sub(r"https?://\S+", " ", byline)
    byline = re.sub(r"\([^)]*\)", " ", byline)  # "(dpa)", "(Reuters)", ages
    byline = _BY.sub("", byline)
    return [p for p in _SPLIT.split(byline) if p]


def _clean_parts(raw: Iterable[str]) -> Iterator[str]:
    for byline in raw:
        for part in _split_names(byline):
            part = _BY.sub("", part)
            part = " ".join(part.replace("\u00a0", " ").split()).strip(" .:-–—'\"")
            if part and not _ROLE_ONLY.match(part):
                yield part


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = norm(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)


def _is_person(part: str, site_names: list[str], declared: bool) -> bool:
    """Whether a byline part reads as a person's name. A `declared` name (a JSON-LD Person) only
    has to differ from the site's name; a name read off the page must not even contain it."""
    words = part.split()
    site = is_exactly_site_name if declared else is_site_name
    if declared and _CJK_NAME.match(part):
        return not site(part, site_names)
    return (
        2 <= len(words) <= 5
        # "unserer Redaktion", "israel news" on a page are prose, not names
        and (declared or not (words[0][0].islower() or words[-1][0].islower()))
        and part.casefold() not in _AGENCIES
        and bool(_NAME_OK.match(part))
        and not any(ch.isdigit() for ch in part)
        and not site(part, site_names)
    )


def clean_author_names(
    raw: Iterable[str], site_names: Iterable[str] = (), declared: bool = False
) -> tuple[str, ...]:
    """Person names from bylines: "By X and Y", "X, Reuters", roles, e-mails and the site removed.

    `declared` names come from a JSON-LD Person and are trusted to be people unless they are the
    site's own name.
    """
    sites = [n for n in site_names if n]
    return _dedupe(p for p in _clean_parts(raw) if _is_person(p, sites, declared))


def _credits(raw: Iterable[str]) -> tuple[str, ...]:
    """What a byline credits when it names no person: an agency, the newsroom, the site."""
    return _dedupe(
        p
        for p in _clean_parts(raw)
        if 1 <= len(p.split()) <= 4 and "@" not in p and not p.isdigit()
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
                name = clean_value(name) if isinstance(name, str) else None
                if not name:
                    continue
                is_org = any("Organization" in t for t in ld_types(author))
                (organisations if is_org else people).append(name)
            elif isinstance(author, str) and clean_value(author) and "://" not in author:
                people.append(clean_value(author))
    return people, organisations


def _last_first(value: str) -> str:
    """ "Tollefson, Jeff" -> "Jeff Tollefson" (the form of dc.creator and citation_author)."""
    last, _, first = value.partition(",")
    if first and "," not in first and 1 <= len(last.split()) <= 3 and 1 <= len(first.split()) <= 3:
        return f"{first.strip()} {last.strip()}"
    return value


def _meta_authors(page: PageInfo) -> list[str]:
    found: list[str] = []
    for key in _META_AUTHOR_KEYS:
        values = [v for v in page.meta.get(key, []) if "://" not in v and not v.startswith("@")]
        if key in _ONE_PER_TAG:
            found.extend(_last_first(v) for v in values)
        elif values:
            found.append(values[0])
    return found


def _byline_texts(tree: lxml_html.HtmlElement) -> list[str]:
    """Short texts of elements that mark themselves as a byline or link to an author page."""
    texts: list[str] = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in _NOT_TEXT_TAGS:
            continue
        css = f"{element.get('class') or ''} {element.get('id') or ''}"
        marked = (
            _BY_LABEL.match(element.text or "")
            or element.get("rel") == "author"
            or element.get("itemprop") == "author"
            or (_BYLINE_CLASS.search(css) and not _NOT_BYLINE_CLASS.search(css))
            or (element.tag == "a" and _AUTHOR_HREF.search(element.get("href") or ""))
        )
        if not marked:
            continue
        text = " ".join(element.text_content().split())
        if 3 <= len(text) <= BYLINE_MAX_CHARS:
            texts.append(text)
        if len(texts) >= MAX_BYLINES:
            break
    return texts


def _description(page: PageInfo) -> str:
    value = first_meta(page.meta, "og:description", "description", "twitter:description")
    if not value:
        value = next(
            (a["description"] for a in page.articles if isinstance(a.get("description"), str)), ""
        )
    return " ".join((clean_value(value) or "").split())


def _lead_in_names(page: PageInfo) -> tuple[str, ...]:
    """Names from a credit line that opens the article text, confirmed by the page description.

    Some CMSs file every story under one account ("admin", the paper's name) and the writer is
    credited in the text itself, as a paragraph that is nothing but a bold or italic name. When
    the description is an excerpt of the article's opening (as auto-generated excerpts are), that
    credit line is in it too, which tells it from a bold sub-heading further down.
    """
    description = _description(page)[:DESCRIPTION_WINDOW]
    if not description:
        return ()
    for paragraph in page.tree.iter("p"):
        children = list(paragraph)
        if (
            len(children) != 1
            or children[0].tag not in _EMPHASIS_TAGS
            or (paragraph.text or "").strip()
            or (children[0].tail or "").strip()
        ):
            continue
        text = " ".join(paragraph.text_content().split())
        if not 5 <= len(text) <= LEAD_IN_MAX_CHARS or not re.search(
            rf"(?:^|\s){re.escape(text)}(?:\s|$)", description
        ):
            continue
        parts = re.split(r"\s*/\s*", text)
        names = clean_author_names(parts, page.site_names)
        # every part of the line must be a name, or it is a phrase that happens to be short
        if names and len(names) == len(_dedupe(_clean_parts(parts))):
            return names
    return ()


def _credits_only_site(texts: Iterable[str], site_names: list[str]) -> bool:
    credits = _credits(texts)
    return bool(credits) and all(is_exactly_site_name(c, site_names) for c in credits)


def extract_authors(page: PageInfo) -> tuple[str, ...]:
    """Person names from JSON-LD, then author meta tags, then the byline; else the credited organisation.

    A credit line opening the article text outranks them all (it names the writer where the
    metadata names the CMS account). An organisation the JSON-LD names as the author ("dpa")
    outranks names read off the page, which may belong to teasers of other stories; the site's
    own name ranks last.
    """
    lead_in = _lead_in_names(page)
    if lead_in:
        return lead_in
    ld_people, ld_organisations = _ld_authors(page.articles)
    meta = _meta_authors(page)
    for source, declared in ((ld_people, True), (meta, False)):
        names = clean_author_names(source, page.site_names, declared)
        if names:
            if declared and ld_organisations:
                # listed together as the article's authors: the desk or agency is credited too
                names = _dedupe((*names, *_credits(ld_organisations)))
            return names
    agencies = tuple(c for c in _credits(ld_organisations) if not is_site_name(c, page.site_names))
    if agencies:
        return agencies
    bylines = _byline_texts(page.tree)
    declared_credit = ld_organisations + ld_people + meta
    if (
        bylines
        and _credits_only_site(declared_credit, page.site_names)
        and _credits_only_site(bylines[:1], page.site_names)
    ):
        # metadata and the page's first byline both credit the site itself: names in later
        # bylines belong to teasers of other stories
        return _credits(declared_credit)
    for text in bylines:
        names = clean_author_names([text], page.site_names)
        if names:
            return names
    credits = _credits(ld_organisations + ld_people + meta) or _credits(bylines[:1])
    # an agency credit beats the site's own name ("dpa" over "Stuttgarter Zeitung")
    return tuple(c for c in credits if not is_exactly_site_name(c, page.site_names)) or credits
