"""Page furniture that survives extraction inside passage text, and how to cut it.

Extraction (pipeline/extraction/boilerplate.py) drops whole blocks that are furniture; what it
cannot drop is furniture merged into a passage with real text, such as a bracketed editor's note
after the last paragraph. Passages are cut with `strip_page_furniture` wherever they are named
or quoted to a reader (emerging-framing labels and examples). Kept apart from `pipeline.framing`
so the report can use it without loading the model stack.
"""

from __future__ import annotations

import re

# Page furniture that extraction keeps inside article text: bracketed editorial notes, wire
# credits, and calls to read, share or subscribe. Cut wherever found, case-insensitively.
_FURNITURE = re.compile(
    r"\[\s*(?:editor|editors|editing|edited by|reporting|writing|additional reporting|"
    r"responsible editor|photo|image|video|source|translated by|compiled by)\b[^\]]{0,160}\]"
    r"|\(\s*(?:reporting|writing|editing|additional reporting|compiled|translated) by\b"
    r"[^)]{0,240}\)"
    r"|(?:read more|related(?: stories| articles| coverage)?|also read|see also)\s*:"
    r"[^.!?\n]{0,160}[.!?]?"
    r"|(?:^|(?<=[.!?] ))(?:click here|follow us|sign up|subscribe|share this(?: article| story)?)"
    r"\b[^.!?\n]{0,160}[.!?]?"
    r"|\bthis (?:story|article) (?:has been|was) (?:updated|corrected)\b[^.!?\n]{0,160}[.!?]?"
    # a wire dateline opening a passage: "LONDON (Meridian Wire) - "
    r"|^[A-Z]{3,}[A-Z .,'-]{0,40}\s\([A-Z][^)\n]{0,40}\)\s*[-–—]\s+"
    r"|©\s*\d{4}[^.\n]{0,120}\.?"
    r"|\ball rights reserved\b\.?",
    re.IGNORECASE,
)


def strip_page_furniture(text: str) -> str:
    """`text` without bracketed editorial notes, wire credits and read/share/subscribe calls,
    with the whitespace they leave behind collapsed."""
    return " ".join(_FURNITURE.sub(" ", text).split())
