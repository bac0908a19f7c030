"""The article's headline, chosen among the page's own declarations and cleaned of the site name.

A page usually states its headline several times (og:title, the JSON-LD headline, the visible
<h1>, <title>, twitter:title), and the versions differ: a site name glued on, a kicker in
front, a longer or shorter wording for social media. Each candidate loses its site-name parts
(recognised by the site's names or by comparing the candidates), then the first source in
`SOURCE_ORDER` that has one gives the title.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable

from lxml import html as lxml_html

from pipeline.extraction.metadata import PageInfo, clean_value, first_meta, is_site_name, norm

# og:title is the headline the publisher presents the story by. On the development pages it
# matched the reference title most often (107 of 128; JSON-LD headline 83, <h1> 92, <title> 90
# after cleaning), and weighted votes between the sources did no better on either half of the
# sites: where og:title and the JSON-LD headline differ (39 pages), the reference follows og 19
# times and JSON-LD 18, and whether the <h1> or <title> agrees with one of them does not tell
# which (og then ld first, majority votes, "the one the <h1> repeats": 107, 104, 103, 93 right).
SOURCE_ORDER = ("og", "ld", "h1", "title", "twitter")

# Straight and typographic quotes and dashes: the same headline is often typed both ways, once by
# the editor (the visible <h1>, the JSON-LD) and once by a social-media field or a plugin.
_TYPOGRAPHY = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
     "«": '"', "»": '"', "‹": "'", "›": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"}
)  # fmt: skip

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|»|«|/|:)\s+|\s*[｜：]\s*|\s*-{2,}\s*")
# Parts of an <h1> that are not the headline: kicker/overline spans and screen-reader text.
_KICKER_CLASS = re.compile(
    r"overline|kicker|dachzeile|topline|eyebrow|roofline|supertitle|pre-?title|spitzmarke|"
    r"h-offscreen|sr-only|visually-hidden|screen-reader|offscreen",
    re.IGNORECASE,
)
MAX_H1S = 6


def strip_site_name(title: str, site_names: list[str], other_titles: Iterable[str] = ()) -> str:
    """Remove "| Site", "Site - " and similar site-name parts from the ends of a title.

    A part counts as the site name when it matches og:site_name or the domain. When none does,
    a short end part ("- National", "| Sport") goes when the rest is another candidate word for
    word, or when no other candidate carries it.
    """
    title = " ".join(title.split())
    parts = _SEPARATORS.split(title)
    seps = _SEPARATORS.findall(title)
    if len(parts) < 2:
        return title
    others = [norm(t) for t in other_titles if t]
    start, end = 0, len(parts)
    while end - start > 1 and is_site_name(parts[end - 1], site_names):
        end -= 1
    while end - start > 1 and is_site_name(parts[start], site_names):
        start += 1
    while end - start > 1 and others:
        last = norm(parts[end - 1])
        body = norm(" ".join(parts[start : end - 1]))
        short = len(last.split()) <= 3
        rest_is_other = body in others
        unsupported = all(last not in o for o in others) and any(
            body and (body in o or o in body) for o in others
        )
        if not (short and (rest_is_other or unsupported)):
            break
        end -= 1
    out = parts[start]
    for sep, part in zip(seps[start : end - 1], parts[start + 1 : end], strict=False):
        out += sep + part
    return out.strip()


def _h1_text(h1: lxml_html.HtmlElement) -> str:
    if any(_KICKER_CLASS.search(el.get("class") or "") for el in h1.iterdescendants()):
        h1 = copy.deepcopy(h1)
        for el in list(h1.iterdescendants()):
            if _KICKER_CLASS.search(el.get("class") or "") and el.getparent() is not None:
                el.drop_tree()
    return " ".join(h1.text_content().split())


def _best_h1(tree: lxml_html.HtmlElement, others: list[str]) -> str | None:
    """The <h1> that shares most words with the other declarations (pages have "Log in" h1s too)."""
    h1s = [t for t in (_h1_text(h) for h in tree.iter("h1")) if 3 <= len(t) <= 300][:MAX_H1S]
    if not h1s:
        return None
    other_words = set(" ".join(norm(o) for o in others).split())

    def score(text: str) -> tuple[float, bool]:
        words = set(norm(text).split())
        overlap = len(words & other_words) / len(words) if words else 0.0
        return overlap, len(words) >= 4  # "Log in", "Menu": too short to be a headline

    return max(h1s, key=score)  # max keeps the first of equals


def title_candidates(page: PageInfo) -> dict[str, str]:
    """source -> the raw headline that source declares."""
    headline = next(
        (a["headline"] for a in page.articles if isinstance(a.get("headline"), str)), None
    )
    found = {
        "og": first_meta(page.meta, "og:title"),
        "ld": headline,
        "title": page.tree.findtext(".//title"),
        "twitter": first_meta(page.meta, "twitter:title"),
    }
    found = {k: v for k, v in ((k, clean_value(v)) for k, v in found.items()) if v}
    h1 = _best_h1(page.tree, list(found.values()))
    if h1:
        found["h1"] = h1
    return found


def cleaned_title_candidates(page: PageInfo, raw: dict[str, str] | None = None) -> dict[str, str]:
    """source -> the headline that source declares, without site-name parts.

    raw: title_candidates(page), when the caller has it already.
    """
    raw = title_candidates(page) if raw is None else raw
    cleaned: dict[str, str] = {}
    for source, text in raw.items():
        others = [t for s, t in raw.items() if s != source]
        title = strip_site_name(text, page.site_names, others)
        if title and not is_site_name(title, page.site_names):
            cleaned[source] = title
    return cleaned


def typography_key(title: str) -> str:
    """A title with quotes, dashes and spacing made uniform: two titles with the same key are one
    headline typed differently."""
    return " ".join(unicodedata.normalize("NFKC", title).translate(_TYPOGRAPHY).split())


def clean_title(page: PageInfo, raw: dict[str, str] | None = None) -> str | None:
    """The article's headline without the site name.

    The first source in `SOURCE_ORDER` picks the headline; when other sources give the same
    headline with different quotes or dashes, the spelling most of them share is kept (one
    field typed with straight quotes is usually the odd one out). raw: title_candidates(page),
    when the caller has it already.
    """
    candidates = cleaned_title_candidates(page, raw)
    chosen = next((s for s in SOURCE_ORDER if s in candidates), None)
    if chosen is None:
        return None
    key = typography_key(candidates[chosen])
    spellings: dict[str, int] = {}
    for source in SOURCE_ORDER:  # dicts keep insertion order: ties go to the earlier source
        text = candidates.get(source)
        if text and typography_key(text) == key:
            spellings[text] = spellings.get(text, 0) + 1
    return max(spellings, key=spellings.__getitem__)
