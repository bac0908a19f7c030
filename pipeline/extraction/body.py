"""Article body: two trafilatura runs (balanced and precision-oriented) voted paragraph by paragraph."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura import bare_extraction
from trafilatura.settings import Document

from pipeline.extraction.blocks import Block, body_blocks
from pipeline.extraction.boilerplate import is_link_list, is_prompt, key, select_blocks, words
from pipeline.extraction.sections import continued_sections

logger = logging.getLogger(__name__)

TRAFILATURA = f"trafilatura-{trafilatura.__version__}"
# A text whose first and last blocks have this many words skips the precision run (about a
# quarter of the development pages; F1 unchanged on both halves of the sites).
CLEAN_EDGE_WORDS = 20
# The fast precision run (no readability/jusText comparison) must agree on this share of the
# balanced text, else the precision run is redone in full. On the development pages the fast
# run changed the vote only on pages where it agreed on under 0.2 (4 pages); the next pages
# agree on 0.28-0.30 and then 0.55 and more, and redoing those too gives the same text.
MIN_FAST_AGREEMENT = 0.5


@dataclass(frozen=True)
class Body:
    paragraphs: tuple[str, ...]
    method: str


def _run(tree: lxml_html.HtmlElement, url: str | None, **settings: bool) -> Document | None:
    # trafilatura works on its own copy of a tree it is given. Its metadata pass is skipped
    # because pipeline.extraction.metadata reads the page's metadata once for all runs, and the
    # URL is withheld because it only serves to resolve link targets, which blocks do not keep.
    try:
        return bare_extraction(
            tree,
            url=None,
            include_comments=False,
            include_links=True,
            with_metadata=False,
            **settings,
        )
    except (
        Exception
    ):  # trafilatura raises assorted errors on odd trees; one bad page is no reason to stop
        logger.warning(
            "trafilatura failed on %s with %s",
            url or "a page",
            settings or "defaults",
            exc_info=True,
        )
        return None


# Elements that every trafilatura run removes before it looks for text, except JSON-LD scripts
# (its baseline reads articleBody there). Dropped once, on one copy shared by all runs, so that
# no run copies, scans and prunes them again.
_INERT = etree.XPath(
    "//svg | //style | //template | //noscript"
    " | //script[not(contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json'))]"
)


def lean_tree(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """A copy of the page without scripts, styles, inline SVG, templates and noscript blocks."""
    lean = copy.deepcopy(tree)
    for element in _INERT(lean):
        element.drop_tree()  # keeps the tail text, which belongs to the parent
    return lean


def _blocks(document: Document | None) -> list[Block]:
    return body_blocks(document.body) if document is not None and document.body is not None else []


def agreement(balanced: Sequence[Block], precise: Sequence[Block]) -> float:
    """Share of the balanced run's text (in characters) that the precision run also kept."""
    agreed = {key(b.text) for b in precise}
    total = sum(len(b.text) for b in balanced)
    return sum(len(b.text) for b in balanced if key(b.text) in agreed) / total if total else 0.0


def _precise_blocks(
    tree: lxml_html.HtmlElement, url: str | None, balanced_blocks: list[Block]
) -> list[Block]:
    """The precision run's blocks; its readability/jusText comparison only when it is needed.

    That comparison is half the run's cost and rarely changes the vote: the fast run is kept
    when it agrees on most of the balanced text, and redone in full when it does not (a text in
    a script without spaces, where every block counts as short, is the case that needs it).
    """
    fast = _blocks(_run(tree, url, favor_precision=True, fast=True))
    if not balanced_blocks or agreement(balanced_blocks, fast) >= MIN_FAST_AGREEMENT:
        return fast
    return _blocks(_run(tree, url, favor_precision=True))


def has_clean_edges(blocks: list[Block]) -> bool:
    """Whether the text opens and ends with a real paragraph (no kicker, caption or prompt there)."""
    candidates = [b for b in blocks if not (is_prompt(b) or is_link_list(b))]
    return bool(candidates) and all(
        len(words(b.text)) >= CLEAN_EDGE_WORDS for b in (candidates[0], candidates[-1])
    )


def extract_body(
    tree: lxml_html.HtmlElement, url: str | None = None, titles: Sequence[str] = ()
) -> Body:
    """Paragraphs of the article text and a label of how they were obtained.

    The balanced run (trafilatura defaults, with its readability/jusText fallbacks) gives the
    candidate paragraphs; the precision run votes on which of them belong to the article (unless
    the text has clean edges, where the vote could change nothing that matters; see
    `_precise_blocks` for when it skips its fallbacks); the
    boilerplate rules then drop prompts, link lists, repeated titles and repeats. `titles` are
    the page's headline variants, dropped when the body opens with one of them.
    """
    tree = lean_tree(tree)
    balanced = _run(tree, url)
    balanced_blocks = _blocks(balanced)
    if has_clean_edges(balanced_blocks):
        # the vote drops short blocks outside the precision run's span, which in practice sit
        # at the edges of the text; when both edges are long paragraphs there is nothing to vote on
        kept = select_blocks(balanced_blocks, balanced_blocks, titles)
        method = f"{TRAFILATURA}:balanced-clean-edges"
    else:
        precise_blocks = _precise_blocks(tree, url, balanced_blocks)
        if balanced_blocks and precise_blocks:
            kept = select_blocks(balanced_blocks, precise_blocks, titles)
            method = f"{TRAFILATURA}:balanced+precision-vote"
        elif balanced_blocks or precise_blocks:
            only = balanced_blocks or precise_blocks
            kept = [b for b in only if not (is_prompt(b) or is_link_list(b))]
            method = f"{TRAFILATURA}:{'balanced' if balanced_blocks else 'precision'}-only"
        else:
            kept = []
            method = f"{TRAFILATURA}:none"
    if kept:
        continued = continued_sections(tree, kept)
        if continued:
            kept = [*kept, *continued]
            method += "+sections"
    if not kept:
        recall = _run(tree, url, favor_recall=True)
        kept = [b for b in _blocks(recall) if not is_link_list(b)]
        if kept:
            method = f"{TRAFILATURA}:recall-fallback"
    return Body(tuple(b.text for b in kept), method)
