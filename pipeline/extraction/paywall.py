"""Tell a whole article from a teaser: paywalls, "subscribe to read" stubs and cut-off text."""

from __future__ import annotations

import re

from lxml import html as lxml_html

# What paywalled pages say to the reader, in the languages of our sources.
_CUES = re.compile(
    r"subscribe (now )?to (continue|keep) reading|subscribe to read|to continue reading,? (please )?(subscribe|log ?in|sign in)"
    r"|this (article|content|story) is (only )?(available )?(for|to) (subscribers|members|premium)"
    r"|already a subscriber|subscribers only|become a (subscriber|member) to read|unlock this article"
    r"|(jetzt|hier) (weiterlesen|abonnieren)|dieser artikel ist (nur )?für abonnenten|nur für abonnenten|weiterlesen mit"
    r"|mit (\w+ )?plus lesen|plus-artikel|artikel freischalten"
    r"|réservé aux abonnés|article réservé|contenu réservé|abonnez-vous pour lire"
    r"|contenido exclusivo para suscriptores|exclusivo para suscriptores|suscríbete para (seguir )?leer"
    r"|riservato agli abbonati|contenuto riservato|abbonati per (continuare a )?leggere"
    r"|kun for abonnenter|for abonnenter|bli abonnent|endast för prenumeranter|alleen voor abonnees"
    r"|この記事は(有料)?会員限定|会員限定|有料会員|続きを読む",
    re.IGNORECASE,
)
_PAYWALL_CLASS = re.compile(
    r"paywall|subscriber-only|premium-(content|article|wall)|meteredcontent|piano-(offer|template)",
    re.IGNORECASE,
)
SHORT_TEXT_WORDS = 250  # a teaser is short; a long text with a cue is a whole article plus a banner


def _accessible_for_free(articles: list[dict]) -> bool | None:
    for article in articles:
        value = article.get("isAccessibleForFree")
        if value is None:
            continue
        if isinstance(value, str):
            return value.strip().lower() not in {"false", "no", "0"}
        return bool(value)
    return None


def detect_truncation(
    tree: lxml_html.HtmlElement, articles: list[dict], text: str, n_words: int, page_text: str
) -> str | None:
    """A readable reason when the text is not the whole article, else None.

    `page_text` is the visible text of the whole page, where a teaser's subscription prompt sits.
    """
    if _accessible_for_free(articles) is False:
        return "page marks the article as not free to read (isAccessibleForFree=false)"
    if n_words >= SHORT_TEXT_WORDS:
        return None  # a long text with a cue is a whole article plus a banner
    cue = _CUES.search(text) or _CUES.search(page_text[:200_000])
    if cue:
        return f"short text ({n_words} words) with a subscription cue: {cue.group(0)!r}"
    if any(_PAYWALL_CLASS.search(c) for c in tree.xpath("//@class")):
        return f"short text ({n_words} words) on a page with paywall markup"
    if 0 < n_words < SHORT_TEXT_WORDS and re.search(r"(\.\.\.|…)\s*$", text):
        return f"short text ({n_words} words) that ends in an ellipsis"
    return None
