"""Article extraction: one HTML page in, one ExtractedArticle out, with where each field came from.

Pure: no network, no files. Bad input never raises; it comes back with a status and a reason
that a researcher can read (`empty`, `binary`, `not_html`, `no_article`, `too_large`, `error`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from lxml import html as lxml_html

from pipeline.extraction.authors import extract_authors
from pipeline.extraction.body import extract_body
from pipeline.extraction.dates import find_published
from pipeline.extraction.decode import decode_html, sniff_binary
from pipeline.extraction.metadata import canonical_url, detect_language, read_page_info
from pipeline.extraction.parse import parse_html
from pipeline.extraction.paywall import detect_truncation
from pipeline.extraction.title import clean_title, title_candidates

logger = logging.getLogger(__name__)

__all__ = ["MIN_ARTICLE_WORDS", "STATUSES", "ExtractedArticle", "extract_article"]

STATUSES = ("ok", "empty", "binary", "not_html", "no_article", "too_large", "error")
MIN_ARTICLE_WORDS = 25  # below this a page is a stub, a gallery or an index, not an article
_WORD = re.compile(r"\w+", re.UNICODE)
_HTML_TYPES = ("html", "xml")  # text/html, application/xhtml+xml
_TAG = re.compile(
    r"<\s*(!doctype|html|head|body|div|p|article|meta|title|span|section|main|script)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ExtractedArticle:
    """The article text and metadata of one page, or why there is none."""

    status: str  # ok | empty | binary | not_html | no_article | too_large | error
    reason: str | None  # readable reason when status != ok
    url: str | None
    canonical_url: str | None  # from <link rel=canonical> / og:url, resolved against url
    title: str | None
    text: str  # paragraphs joined with "\n\n"
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...]
    published: datetime | None  # aware, at the UTC offset the publisher stated
    date_source: str  # page | feed | url | none
    language: str | None  # ISO 639-1
    method: str  # which extractor/settings produced the text
    n_words: int
    truncated: bool  # teaser only / paywall / cut text: must not be framed as if whole
    truncation_reason: str | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _failed(status: str, reason: str, url: str | None, method: str = "none") -> ExtractedArticle:
    return ExtractedArticle(
        status=status,
        reason=reason,
        url=url,
        canonical_url=None,
        title=None,
        text="",
        paragraphs=(),
        authors=(),
        published=None,
        date_source="none",
        language=None,
        method=method,
        n_words=0,
        truncated=False,
        truncation_reason=None,
    )


def _check_input(
    html: bytes | str, content_type: str | None, max_bytes: int
) -> tuple[str, str] | str:
    """(status, reason) when the input cannot be an HTML page, else the decoded text."""
    size = len(html)
    if size > max_bytes:
        return (
            "too_large",
            (
                f"page is {size:,} {'bytes' if isinstance(html, bytes) else 'characters'}, "
                f"over the {max_bytes:,} limit"
            ),
        )
    if isinstance(html, bytes):
        if not html.strip():
            return ("empty", "page has no content" if not html else "page is only whitespace")
        binary = sniff_binary(html)
        if binary:
            return ("binary", f"content is {binary}, not an HTML page")
        text, _encoding = decode_html(html, content_type)
    else:
        text = html
        if not text.strip():
            return ("empty", "page has no content" if not text else "page is only whitespace")
        if "\x00" in text[:8192]:
            return ("binary", "content has NUL characters: binary data, not an HTML page")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and not any(t in mime for t in _HTML_TYPES):
        return ("not_html", f"content type is {mime}, not HTML")
    if not _TAG.search(text[:100_000]):
        return ("not_html", "content has no HTML tags")
    return text


_INVISIBLE = {"script", "style", "noscript", "template"}


def _visible_text(tree: lxml_html.HtmlElement) -> str:
    """The text a reader could see on the page (scripts, styles and templates left out)."""
    body = tree.find("body")
    if body is None:
        return ""
    parts: list[str] = []
    hidden_depth = 0  # > 0 while inside a script, style, noscript or template
    for event, element in etree.iterwalk(body, events=("start", "end")):
        invisible = not isinstance(element.tag, str) or element.tag in _INVISIBLE
        if event == "start":
            if invisible:
                hidden_depth += 1
            elif hidden_depth == 0 and element.text:
                parts.append(element.text)
            continue
        if invisible:
            hidden_depth -= 1
        if hidden_depth == 0 and element.tail and element is not body:
            parts.append(element.tail)
    return " ".join(parts)


def extract_article(
    html: bytes | str,
    url: str | None = None,
    *,
    content_type: str | None = None,
    feed_date: datetime | None = None,
    now: datetime | None = None,
    max_bytes: int = 5_000_000,
) -> ExtractedArticle:
    """Extract the article of one page.

    `html` is the raw response body (bytes, decoded here with the HTTP charset in
    `content_type`, the page's own declaration, or detection) or already-decoded text.
    `feed_date` is the date a feed gave for the item, used when the page has none.
    `now` bounds plausible dates (defaults to the current time).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        checked = _check_input(html, content_type, max_bytes)
        if isinstance(checked, tuple):
            return _failed(*checked, url=url)
        return _extract(checked, url, feed_date, now)
    except Exception as exc:  # the batch must go on; the reason says what broke
        logger.exception("extraction failed for %s", url or "a page")
        return _failed("error", f"extraction failed: {type(exc).__name__}: {exc}", url)


def _extract(
    text: str, url: str | None, feed_date: datetime | None, now: datetime
) -> ExtractedArticle:
    tree = parse_html(text)
    if tree is None:
        return _failed("not_html", "content could not be parsed as HTML", url)
    page_text = _visible_text(tree)
    if not _WORD.search(page_text):
        return _failed("no_article", "page has no visible text (only markup or scripts)", url)
    # one parse serves every step: trafilatura copies the tree, the metadata rules only read it
    page = read_page_info(tree, url)
    declared_titles = title_candidates(page)
    title = clean_title(page, declared_titles)
    body = extract_body(tree, url, titles=[t for t in (title, *declared_titles.values()) if t])
    paragraphs = body.paragraphs
    article_text = "\n\n".join(paragraphs)
    n_words = len(_WORD.findall(article_text))
    truncation = detect_truncation(tree, page.articles, article_text, n_words, page_text)
    published, date_source = find_published(page, feed_date, now)
    common = {
        "url": url,
        "canonical_url": canonical_url(page),
        "title": title,
        "authors": extract_authors(page),
        "published": published,
        "date_source": date_source,
        "language": detect_language(page),
        "method": body.method,
        "truncated": truncation is not None,
        "truncation_reason": truncation,
    }
    if n_words == 0 or (n_words < MIN_ARTICLE_WORDS and truncation is None):
        reason = (
            "no article text found"
            if n_words == 0
            else f"only {n_words} words of text: too little for an article"
        )
        return ExtractedArticle(
            status="no_article",
            reason=reason,
            text=article_text,
            paragraphs=paragraphs,
            n_words=n_words,
            **common,
        )
    return ExtractedArticle(
        status="ok",
        reason=None,
        text=article_text,
        paragraphs=paragraphs,
        n_words=n_words,
        **common,
    )
