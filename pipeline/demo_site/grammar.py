"""Turn a phrase template into a sentence: macros, alternative phrasings, then slots.

A template mixes three notations, expanded in this order:

- `<said>`: a macro, replaced by its alternation from `MACROS` (drawn afresh at each use);
- `[one wording|another wording|]`: alternative phrasings, one chosen at random; they nest, and
  an empty alternative drops the part;
- `{analyst}`: a slot, filled from a per-article mapping so a name stays the same throughout.

Everyday words a desk swaps freely (`SYNONYMS`: companies/firms, percent/per cent ...) become
alternatives too, outside quotations and outside alternatives already written.

Alternatives every few words keep two articles that draw the same template from sharing long
runs of identical words, as distinct news stories do not (a duplicate detector on word
5-shingles would take them for copies).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from functools import cache

_MACRO = re.compile(r"<([a-z_]+)>")

# Fresh at every use, unlike slots: a verb of saying need not repeat across an article.
MACROS: dict[str, str] = {
    "said": "[said|noted|argued|told reporters|said on {weekday}|told reporters on {weekday}]",
    "say": "[say|argue|note|contend|point out]",
    "says": "[says|argues|notes|contends|points out]",
    "ai": "[AI|artificial intelligence]",
    "ai_adj": "[AI|artificial intelligence|machine-learning]",
    "us": "[the United States|the US|America]",
    "recently": "[this year|in recent months|over the past year|since the spring|lately]",
    "rose": "[rose|climbed|increased|jumped|grew]",
    "fell": "[fell|dropped|declined|slipped]",
    "report": "[report|study|analysis|paper|review]",
    "published": "[published|released|issued|put out]",
    "when": "[on {weekday}|this week|last week|earlier this month|on {weekday} evening|late on {weekday}]",
    "officials_said": "[officials said|according to officials|people familiar with the matter said|two people briefed on the plan said|a government source said]",
    "firms": "[companies|firms|developers|groups]",
    "many": "[many|a growing number of|several|a number of]",
    "big": "[big|large|major|sizeable]",
    "warned": "[warned|cautioned|said]",
    "plan": "[plan|proposal|scheme|programme|initiative]",
    "experts": "[experts|analysts|specialists|observers]",
}

# Everyday synonyms news desks swap freely: applied outside quotes and outside alternatives, so
# the plainest template sentence still varies every few words.
SYNONYMS: dict[str, str] = {
    "companies": "[companies|firms]",
    "officials": "[officials|authorities]",
    "researchers": "[researchers|scientists]",
    "scientists": "[scientists|researchers]",
    "more than": "[more than|over]",
    "several": "[several|a number of]",
    "increasingly": "[increasingly|more and more]",
    "warned": "[warned|cautioned]",
    "warn": "[warn|caution]",
    "say": "[say|argue|contend]",
    "plans to": "[plans to|intends to|is set to]",
    "plan to": "[plan to|intend to]",
    "the largest": "[the largest|the biggest]",
    "biggest": "[biggest|largest]",
    "quickly": "[quickly|rapidly]",
    "found": "[found|showed]",
    "despite": "[despite|in spite of]",
    "because": "[because|since]",
    "also": "[also|]",
    "often": "[often|frequently]",
    "main": "[main|chief]",
    "major": "[major|big]",
    "nearly": "[nearly|almost]",
    "almost": "[almost|nearly]",
    "percent": "[percent|per cent]",
    "billion dollars": "[billion dollars|billion US dollars]",
    "artificial intelligence": "[artificial intelligence|AI]",
    "the United States": "<us>",
    "start-ups": "[start-ups|startups|young companies]",
    "this year": "[this year|in {year}]",
    "last year": "[last year|over the past year]",
    "ahead of": "[ahead of|before]",
    "including": "[including|such as]",
    "experts": "[experts|specialists]",
    "critics": "[critics|sceptics]",
    "Critics": "[Critics|Sceptics]",
    "analysts": "[analysts|observers]",
    "Analysts": "[Analysts|Observers]",
    "lawmakers": "[lawmakers|legislators]",
    "Lawmakers": "[Lawmakers|Legislators]",
    "executives": "[executives|bosses]",
    "programme": "[programme|scheme]",
    "rules": "[rules|regulations]",
    "reported": "[reported|said]",
    "the two countries": "[the two countries|the two powers]",
    "now": "[now|currently]",
    "showing": "[showing|that show]",
    "rivals": "[rivals|competitors]",
    "countries": "[countries|nations]",
    "firms": "[firms|companies]",
    "tools": "[tools|systems]",
    "largest": "[largest|biggest]",
    "growing": "[growing|rising]",
    "across": "[across|throughout]",
    "engineers": "[engineers|technologists]",
    "widely": "[widely|broadly]",
    "large": "[large|big]",
    "estimate": "[estimate|reckon]",
}
_SYNONYM = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, SYNONYMS), key=len, reverse=True)) + r")\b"
)
_CLOSING_VERB = re.compile(r"\b(said|says|show)\.$")
_CLOSING_ALTERNATIVES = {
    "said": "[said|added|noted]",
    "says": "[says|notes]",
    "show": "[show|indicate]",
}

_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")


def expand(template: str, rng: random.Random) -> str:
    """The template with macros and alternatives resolved; slots are left as `{name}`."""
    out: list[str] = []
    _walk(_compiled(template), rng, out)
    return "".join(out)


# A compiled template is a sequence of parts: a literal string, or a tuple of alternatives,
# each alternative itself a sequence of parts.
_Parts = tuple["str | tuple[_Parts, ...]", ...]


def _walk(parts: _Parts, rng: random.Random, out: list[str]) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            _walk(rng.choice(part), rng, out)


@cache
def _compiled(template: str) -> _Parts:
    """Parse once, draw many times: the corpus renders each template hundreds of times."""
    text = with_synonyms(template)
    stack: list[list[list[object]]] = [[[]]]  # open groups, each a list of alternatives
    literal: list[str] = []

    def flush() -> None:
        if literal:
            stack[-1][-1].append("".join(literal))
            literal.clear()

    for char in text:
        if char == "[":
            flush()
            stack.append([[]])
        elif char == "|" and len(stack) > 1:
            flush()
            stack[-1].append([])
        elif char == "]":
            if len(stack) == 1:
                raise ValueError(f"unbalanced brackets in phrase template {template!r}")
            flush()
            group = stack.pop()
            stack[-1][-1].append(tuple(tuple(alternative) for alternative in group))
        else:
            literal.append(char)
    flush()
    if len(stack) != 1:
        raise ValueError(f"unbalanced brackets in phrase template {template!r}")
    return tuple(stack[0][0])  # type: ignore[arg-type]


def with_synonyms(template: str) -> str:
    """The template with macros resolved and `SYNONYMS` turned into alternatives where the
    wording is the writer's own: not inside quotation marks (a quote is what someone said)
    nor inside alternatives already written."""
    template = _MACRO.sub(lambda m: _macro(m.group(1)), template)
    pieces: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, char in enumerate(template):
        if char in '["' and depth == 0 and not quoted:
            pieces.append(_vary_plain(template[start:i]))
            start = i
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        if depth == 0 and not quoted and char in ']"':
            pieces.append(template[start : i + 1])
            start = i + 1
    tail = template[start:]
    pieces.append(tail if quoted or depth else _vary_plain(tail))
    return "".join(pieces)


def _vary_plain(text: str) -> str:
    text = _SYNONYM.sub(lambda m: SYNONYMS[m.group(1)], text)
    return _CLOSING_VERB.sub(lambda m: _CLOSING_ALTERNATIVES[m.group(1)] + ".", text)


def _macro(name: str) -> str:
    try:
        return MACROS[name]
    except KeyError:
        raise KeyError(f"phrase template uses an unknown macro <{name}>") from None


def render(template: str, rng: random.Random, slots: Mapping[str, str]) -> str:
    """A finished sentence: expanded, filled, spaces tidied and the first letter capitalised."""
    text = expand(template, rng).format_map(slots)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()
    return _capitalise(text)


def _capitalise(text: str) -> str:
    # Skip an opening quote mark: '"we will...' reads as '"We will...'.
    for i, char in enumerate(text):
        if char.isalpha():
            return text[:i] + char.upper() + text[i + 1 :]
        if char not in "\"'\u201c\u2018":
            return text
    return text
