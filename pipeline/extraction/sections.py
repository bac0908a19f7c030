"""Articles that the page splits into several containers (an ad or a promo between the parts).

trafilatura keeps the best-scoring container; when the article continues in further elements
of the same tag and class as the container its paragraphs came from, those paragraphs are
recovered in page order.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import html as lxml_html

from pipeline.extraction.blocks import Block
from pipeline.extraction.boilerplate import is_link_list, is_prompt, key, words

MIN_WORDS = 12  # a paragraph used to find the container, and one worth recovering
MAX_SECTIONS = 30  # more look-alike containers than this is a listing, not one article


def _text(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _link_ratio(element: lxml_html.HtmlElement, text: str) -> float:
    link_chars = sum(len(_text(a)) for a in element.iter("a"))
    return min(1.0, link_chars / len(text)) if text else 0.0


def _container(tree: lxml_html.HtmlElement, kept_keys: set[str]) -> lxml_html.HtmlElement | None:
    for paragraph in tree.iter("p"):
        text = _text(paragraph)
        if len(words(text)) >= MIN_WORDS and key(text) in kept_keys:
            return paragraph.getparent()
    return None


def continued_sections(tree: lxml_html.HtmlElement, kept: Sequence[Block]) -> list[Block]:
    """Paragraphs from later containers that share the tag and class of the article's container."""
    kept_keys = {key(b.text) for b in kept}
    container = _container(tree, kept_keys)
    if container is None or not (container.get("class") or "").strip():
        return []
    css_class = container.get("class")
    sections = [el for el in tree.iter(container.tag) if el.get("class") == css_class]
    if not 2 <= len(sections) <= MAX_SECTIONS:
        return []
    recovered: list[Block] = []
    for section in sections[sections.index(container) + 1 :]:
        if any(ancestor in sections for ancestor in section.iterancestors()):
            continue
        for paragraph in section.iter("p"):
            text = _text(paragraph)
            if len(words(text)) < MIN_WORDS or key(text) in kept_keys:
                continue
            block = Block("p", text, _link_ratio(paragraph, text), css_class)
            if not (is_prompt(block) or is_link_list(block)):
                kept_keys.add(key(text))
                recovered.append(block)
    return recovered
