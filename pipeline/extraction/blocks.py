"""Turn trafilatura's body tree into a flat list of text blocks that can be kept or dropped one by one."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree
from trafilatura.xml import xmltotxt

_SPACES = re.compile(r"[ \t\u00a0\u2009\u200b]+")
_TABLE_RULE = re.compile(r"^\|?(\s*-{3,}\s*\|)+\s*$")


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of extracted text with what is known about where it came from."""

    kind: str  # p | head | item | quote | table | other
    text: str
    link_ratio: float  # share of the characters that were link text in the page
    css_class: str


def _clean_text(text: str) -> str:
    lines = []
    for line in text.splitlines():
        line = _SPACES.sub(" ", line).strip()
        if line and not _TABLE_RULE.match(line):
            lines.append(line)
    return "\n".join(lines)


def _to_text(element: etree._Element) -> tuple[str, float]:
    """Plain text of one element, and how much of it was inside links."""
    link_chars = sum(len("".join(ref.itertext()).strip()) for ref in element.iter("ref"))
    clone = copy.deepcopy(element)
    clone.tail = None
    etree.strip_tags(clone, "ref")
    wrapper = etree.Element("body")
    wrapper.append(clone)
    text = _clean_text(xmltotxt(wrapper, False))
    return text, (min(1.0, link_chars / len(text)) if text else 0.0)


def _loose_text(text: str | None) -> Block | None:
    cleaned = _clean_text(text or "")
    return Block("p", cleaned, 0.0, "") if cleaned else None


_BLOCK_TAGS = {"p", "head", "quote", "table", "list", "div", "lb"}


def _has_block_children(element: etree._Element) -> bool:
    return any(child.tag in _BLOCK_TAGS for child in element)


def body_blocks(body: etree._Element | None) -> list[Block]:
    """Top-level elements of a trafilatura body as blocks; list items become blocks of their own.

    Containers (a div trafilatura kept whole) are opened so that their paragraphs can be judged
    one by one.
    """
    if body is None:
        return []
    blocks: list[Block] = []
    _collect(body, blocks, "")
    return blocks


def _collect(container: etree._Element, blocks: list[Block], inherited_class: str) -> None:
    loose = _loose_text(container.text)
    if loose:
        blocks.append(loose)
    for element in container:
        css_class = element.get("class") or inherited_class
        if element.tag == "list":
            for item in element.iterchildren("item"):
                text, ratio = _to_text(item)
                if text:
                    blocks.append(Block("item", text, ratio, css_class))
        elif element.tag == "div" and _has_block_children(element):
            _collect(element, blocks, css_class)
        else:
            kind = element.tag if element.tag in {"p", "head", "quote", "table"} else "other"
            text, ratio = _to_text(element)
            if text:
                blocks.append(Block(kind, text, ratio, css_class))
        loose = _loose_text(element.tail)
        if loose:
            blocks.append(loose)
