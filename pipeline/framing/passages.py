"""Split an article into passages of bounded length: the units that are embedded and cited as evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# About 125 tokens per passage (median, MiniLM's and mpnet's tokenizers). Shorter (500) or longer
# (1,100; 1,600) passages, overlap, and other poolings of the passage vectors were measured on
# long articles and gained nothing beyond split-to-split noise (tests/bench/bench_passages.py,
# docs/framing.md). Changing them re-cuts every article, and the label version
# (stages/frame.label_version_for) does not record the cut: it would have to, first.
MAX_CHARS = 700
MIN_CHARS = 120

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace
# and an opening capital, digit or quote. Abbreviations like "U.S. officials" rarely meet that.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# Glued sentences from careless extraction: 'crisis."A few weeks' (no space after the stop).
_GLUED_END = re.compile(r"(?<=[a-z][.!?][\"”’])(?=[A-Z])|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
_ABBREVIATION = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|St|Jr|Sr|vs|No|Inc|Co|Corp|Ltd)\.$"
)


@dataclass(frozen=True)
class Passage:
    idx: int
    kind: Literal["headline", "body"]
    text: str


def split_passages(
    title: str | None,
    paragraphs: Sequence[str],
    *,
    max_chars: int = MAX_CHARS,
    min_chars: int = MIN_CHARS,
) -> list[Passage]:
    """Headline (if any) as passage 0, then body passages built from paragraphs.

    A paragraph longer than max_chars is cut at sentence boundaries (at word boundaries if a
    single sentence is too long); runs of paragraphs shorter than min_chars are merged with
    their neighbour so no passage is a stray byline or caption on its own.
    """
    if min_chars >= max_chars:
        raise ValueError(f"min_chars ({min_chars}) must be smaller than max_chars ({max_chars})")
    passages: list[Passage] = []
    headline = _clean(title or "")
    if headline:
        passages.append(Passage(0, "headline", headline))
    chunks: list[str] = []
    for paragraph in paragraphs:
        text = _clean(paragraph)
        if not text or (headline and text == headline and not chunks):
            continue
        chunks.extend(_bounded(text, max_chars))
    for text in _merge_small(chunks, min_chars, max_chars):
        passages.append(Passage(len(passages), "body", text))
    return passages


def split_text(title: str | None, text: str, **bounds: int) -> list[Passage]:
    """Passages for a plain-text article whose paragraphs are separated by line breaks.

    When the text already begins with the title (a headline-only item, or a text with its
    headline glued on), the title is not repeated as a passage of its own.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]
    title_clean, text_clean = _clean(title or ""), _clean(text or "")
    if title_clean and text_clean == title_clean:
        return split_passages(title_clean, [], **bounds)
    if title_clean and text_clean.startswith(title_clean):
        title = None
    return split_passages(title, paragraphs, **bounds)


def sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _GLUED_END.split(text):
        for sentence in _SENTENCE_END.split(piece):
            sentence = sentence.strip()
            if not sentence:
                continue
            if parts and _ABBREVIATION.search(parts[-1]):
                parts[-1] = f"{parts[-1]} {sentence}"
            else:
                parts.append(sentence)
    return parts


def _clean(text: str) -> str:
    return " ".join(text.split())


def _bounded(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        for part in _hard_wrap(sentence, max_chars):
            if current and len(current) + 1 + len(part) > max_chars:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return _balance_tail(pieces, max_chars)


def _hard_wrap(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out, current = [], ""
    for word in sentence.split(" "):
        if current and len(current) + 1 + len(word) > max_chars:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def _balance_tail(pieces: list[str], max_chars: int) -> list[str]:
    # A last piece of a few words carries little meaning alone; fold it into the one before
    # when the two still fit in one and a half passages' length.
    if (
        len(pieces) >= 2
        and len(pieces[-1]) < max_chars // 4
        and len(pieces[-2]) + len(pieces[-1]) < max_chars * 1.5
    ):
        pieces[-2:] = [f"{pieces[-2]} {pieces[-1]}"]
    return pieces


def _merge_small(chunks: list[str], min_chars: int, max_chars: int) -> list[str]:
    merged: list[str] = []
    for chunk in chunks:
        if (
            merged
            and (len(merged[-1]) < min_chars or len(chunk) < min_chars)
            and (len(merged[-1]) + 1 + len(chunk) <= max_chars)
        ):
            merged[-1] = f"{merged[-1]} {chunk}"
        else:
            merged.append(chunk)
    return merged
