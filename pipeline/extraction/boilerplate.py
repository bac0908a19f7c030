"""Drop the non-article blocks that trafilatura lets through: repeated titles, link lists,
newsletter and share prompts, captions and credits, bylines and date stamps.

Every rule here is general (text patterns in several languages, link density, position,
agreement between extractor settings); none names a site.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from pipeline.extraction.blocks import Block

_WORD = re.compile(r"\w+", re.UNICODE)

# Tuned on half of the development pages (by site) and checked on the other half.
OUTSIDE_MIN_WORDS = 30  # a block outside the precision run's span must be this long to stay
REPEAT_MIN = 30  # blocks with this many shingles or more are checked for repeating kept text

# Short lines that invite the reader somewhere else rather than tell the story.
_PROMPT_PATTERNS = [
    r"^(read|see) (more|also)\b",
    r"^more:",
    r"^more\s*:",
    r"^related( stories| articles| content| coverage)?\s*:",
    r"^you (may|might) also (like|be interested)",
    r"^recommended( for you)?\b",
    r"^(also|more) (read|on this|from)\b",
    r"^(click|tap) here\b",
    r"\bsign(ing)? up\b.*\b(newsletter|emails?|inbox|alerts?|updates)\b",
    r"^for more (stories|news|articles|coverage)\b",
    r"^(privacy policy|terms of (service|use))",
    r"\bnewsletters?\b.*\b(sign|subscribe|inbox|deliver)",
    r"\b(subscribe|sign up) (to|for) (our|the)\b",
    r"\bfollow (us|him|her|them|along)? ?(on|at) (twitter|facebook|instagram|x\b|whatsapp|telegram|linkedin|tiktok)",
    r"^follow\b.{0,60}\b(on|at) (twitter|facebook|instagram|whatsapp)",
    r"\bget in touch\b",
    r"^(got|have) a (story|tip)\b",
    r"\b(e-?mail|write to|contact) .{0,60}\bat\b \S+@\S+",
    r"^\S+@\S+\.\w+$",
    r"\ball rights reserved\b",
    r"^copyright\b",
    r"^©",
    r"\bthis copy is for your personal, non-commercial use\b",
    r"^(share|share this|share on|share article)\b",
    r"^(comments?|join (the|our) (conversation|commenting forum|discussion))\b",
    r"^https?://\S+$",
    r"^\d{4}-\d\d-\d\d[T ][\d:+\-.Z]+$",
    r"^(print|email|order reprints|print article)$",
    r"^advertisement$",
    r"^(sponsored|promoted)( content)?$",
    r"^thanks? (you )?for (signing up|subscribing)",
    r"^(sorry!?|there was an error processing)",
    r"\btrending\b|^popular\b|^most (read|popular|viewed)\b",
    r"^watch( the video| now)?\s*:",
    # German, Dutch, Scandinavian, Romance languages and others seen in European news
    r"^(lesen sie (auch|mehr)|mehr zum thema|mehr dazu|auch interessant|das könnte sie (auch )?interessieren|weiterlesen|weiterführende links|ähnliche( artikel|s)?:?)",
    r"\b(newsletter|abonnieren|abonniere|jetzt testen|kostenlos testen|unterstützen sie|folgst du)\b",
    r"^(les også|les mer|se også|läs också|läs mer|læs også|lees ook|lees meer)\b",
    r"^(leggi anche|leggi di più|potrebbe interessarti|lee también|lea también|te puede interesar|lire aussi|à lire aussi|voir aussi|leia também|leia mais)\b",
    r"^mehr (zu|zum|zur|über)\b.{0,80}\blesen sie\b|\bein klick für den datenschutz\b",
    r"^(quellen?|kilde|källa|fuente|fonte|sources?)\s*:?$",
    r"^(関連キーワード|関連記事|おすすめ情報|この記事は会員限定です)",
    r"^(čtěte také|přečtěte si|читайте также|также читайте|baca juga|ayrıca okuyun)\b",
    r"\b(suscríbete|suscripción|abonnez-vous|abonnement|iscriviti|abbonati|assine)\b",
]
_PROMPT = re.compile("|".join(f"(?:{p})" for p in _PROMPT_PATTERNS), re.IGNORECASE)

# A caption/credit tail: "... Photo: AFP", "(Foto: dpa)", "Credit: Getty Images", "Quelle: Reuters".
_CREDIT = re.compile(
    r"(^|[\s(|/])(photo|foto|bild|image|picture|credit|quelle|source|kilde|källa|fuente|fonte|crédit|grafik|illustration|video)s?"
    r"\s*(credit)?\s*[:©]\s*[^.!?]{1,80}\)?\s*$|©\s*[^.!?]{1,60}$|\b(getty images|reuters|afp|dpa|ap photo|epa|ntb|picture alliance|imago|shutterstock)\)?\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(by|von|van|av|par|por|di|de|af|door|od|от)\s+\S+(\s+\S+){0,6}$", re.IGNORECASE
)
_DATELINE = re.compile(
    r"^(\w+[:.]?\s*)?(updated|published|posted|stand|aktualisiert|veröffentlicht|publicerad|uppdaterad|oppdatert|publisert)?[\s:,]*"
    r"[\d./:\-–|, ]{6,}\s*(uhr|am|pm|h|utc|gmt|cet|cest)?\.?$",
    re.IGNORECASE,
)
_BOILER_CLASS = re.compile(
    r"caption|credit|byline|author|autor|dateline|timestamp|share|social|newsletter|related|promo|advert|sponsor|"
    r"teaser-list|subscribe|paywall|copyright|meta\b|breadcrumb|tags?\b",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def _is_title_like(text: str, titles: Sequence[str], fuzzy: bool = False) -> bool:
    """Same words as a title, give or take a kicker, a site name or a reworded half."""
    norm = _norm(text)
    if not norm:
        return True
    tokens = set(norm.split())
    for title in titles:
        t = _norm(title)
        if not t:
            continue
        if norm == t or (len(t) >= 12 and (t in norm or norm in t) and len(norm) < 2 * len(t) + 20):
            return True
        title_tokens = set(t.split())
        similar_length = len(norm) < 2 * len(t) + 20
        if (
            fuzzy
            and len(tokens) >= 3
            and similar_length
            and len(tokens & title_tokens) >= 0.5 * len(tokens)
        ):
            return True
    return False


# Pure in the block, and asked about the same blocks by the clean-edges test and the vote: the
# prompt pattern is the most expensive rule here, so each block is tested once.
@functools.lru_cache(maxsize=4096)
def is_prompt(block: Block) -> bool:
    n = len(words(block.text))
    if n == 0:
        return True
    if n <= 40 and _PROMPT.search(block.text):
        return True
    if block.kind != "head" and n <= 25 and _CREDIT.search(block.text):
        return True
    if n <= 8 and (_BYLINE.match(block.text) or _DATELINE.match(block.text)):
        return True
    return bool(block.css_class and n <= 40 and _BOILER_CLASS.search(block.css_class))


def is_link_list(block: Block) -> bool:
    """Link lists (related stories, tags, menus) are mostly link text and short.

    Paragraphs need a higher share than list items and headings: a sentence with two long
    links in it is still prose.
    """
    n = len(words(block.text))
    threshold = 0.6 if block.kind in {"item", "head"} else 0.9
    return block.link_ratio >= threshold and n <= 30


def strip_leading_titles(blocks: list[Block], titles: Sequence[str]) -> list[Block]:
    """The headline (and its kicker/date lines) often opens the body; the title has its own field."""
    out = list(blocks)
    i = 0
    while i < len(out) and i < 6:
        block = out[i]
        if len(words(block.text)) >= 40:
            break
        if _is_title_like(block.text, titles, fuzzy=block.kind == "head"):
            del out[i]
            continue
        i += 1
    return out


# Pure in the text, and asked again for the same blocks by the agreement test, the vote and
# the span check of each block: normalising (NFKC, casefold, words) once per text is enough.
@functools.lru_cache(maxsize=8192)
def key(text: str) -> str:
    """What two blocks share when they are the same paragraph."""
    return _norm(text)[:200]


def select_blocks(
    recall_blocks: list[Block], precision_blocks: list[Block], titles: Sequence[str]
) -> list[Block]:
    """Keep the blocks of the wider extraction that look like article text.

    A block the precision-oriented run also kept is trusted more: a block outside the span of
    the precision run must be a long paragraph to stay.
    """
    agreed = {key(b.text) for b in precision_blocks}
    positions = [i for i, b in enumerate(recall_blocks) if key(b.text) in agreed]
    first, last = (positions[0], positions[-1]) if positions else (0, len(recall_blocks) - 1)
    kept = []
    for i, block in enumerate(recall_blocks):
        if is_prompt(block) or is_link_list(block):
            continue
        outside = positions and (i < first or i > last) and key(block.text) not in agreed
        if outside and len(words(block.text)) < OUTSIDE_MIN_WORDS:
            continue
        kept.append(block)
    return drop_repeats(strip_leading_titles(kept, titles))


def _shingles(text: str, n: int = 4) -> list[tuple[str, ...]]:
    toks = _norm(text).split()
    return [tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1))]


def drop_repeats(blocks: list[Block]) -> list[Block]:
    """Drop long blocks that repeat text already kept (pages that embed the story twice)."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for block in blocks:
        shingles = _shingles(block.text)
        if len(shingles) >= REPEAT_MIN and sum(s in seen for s in shingles) >= 0.8 * len(shingles):
            continue
        seen.update(shingles)
        out.append(block)
    return out
