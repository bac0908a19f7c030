"""Bytes to text for HTML pages whose charset may be missing, wrong or contradicted."""

from __future__ import annotations

import codecs
import logging
import re

from charset_normalizer import from_bytes

logger = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w\-:.]+)""", re.IGNORECASE)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w\-:.]+)", re.IGNORECASE)
# The WHATWG encoding standard decodes these labels as windows-1252, and so do browsers.
_AS_CP1252 = {
    "iso-8859-1",
    "iso8859-1",
    "latin-1",
    "latin1",
    "l1",
    "ascii",
    "us-ascii",
    "cp819",
    "iso-ir-100",
}
_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "gzip-compressed data",
    b"RIFF": "a RIFF media file",
    b"\x00\x00\x00": "binary media",
    b"OggS": "an Ogg media file",
    b"ID3": "an MP3 file",
}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# Every byte but the control characters that text never holds (tab, newlines, form feed and
# carriage return are text); deleting these from a sample leaves only the control bytes.
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def sniff_binary(data: bytes) -> str | None:
    """What the bytes are when they are clearly not text (a file type), else None."""
    head = data[:8192]
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    if not head:
        return None
    if any(head.startswith(bom) for bom, _ in _BOMS[1:]):
        return None  # UTF-16 text has NULs
    control = len(head.translate(None, _NOT_CONTROL))  # bytes 0-8 and 14-31 are left
    if b"\x00" in head or control / len(head) > 0.05:
        return "binary data (control bytes)"
    return None


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, the encoding used).

    Order: byte-order mark; UTF-8 when the bytes are valid UTF-8 (other encodings almost never
    are, so this beats a stale "iso-8859-1" label); HTTP charset; <meta charset>; detection.
    A declared charset that does not decode cleanly is treated as a mislabel (cp1252 sent as
    utf-8 is the usual case) and replaced by detection rather than decoded with replacement
    characters.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared: list[str] = []
    if content_type:
        match = _HTTP_CHARSET.search(content_type)
        if match:
            declared.append(match[1])
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared.append(match[1].decode("ascii", "ignore"))
    for label in declared:
        encoding = _codec(label)
        if encoding is None:
            continue
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            logger.debug("declared charset %s does not decode the page; detecting instead", label)
    matches = from_bytes(data[:200_000])
    best = matches.best()
    encoding = _codec(best.encoding) if best is not None else None
    if best is not None and any(
        m.encoding == "cp1252" and (m.chaos, m.coherence) == (best.chaos, best.coherence)
        for m in matches
    ):
        encoding = "cp1252"  # among equally good single-byte guesses, the one browsers default to
    if encoding in {None, "latin_1", "iso8859-1"}:
        encoding = "cp1252"
    return data.decode(encoding, errors="replace"), encoding
