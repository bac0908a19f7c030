"""Compose article texts (headline, paragraphs) from the phrase pools: pure, seeded by the caller.

Each article draws its sentence templates without replacement (no template twice in one
article), renders each with fresh alternative phrasings (`grammar.render`) and its own slot
values, and varies paragraph sizes and order, so two distinct stories on the same frame share
little more than their subject.
"""

from __future__ import annotations

import random
import re
from datetime import datetime

from pipeline.demo_site.grammar import render
from pipeline.demo_site.phrases_frames import (
    BACKGROUND_SENTENCES,
    FRAME_SENTENCES,
    FRAME_TITLES,
    NEUTRAL_SENTENCES,
)
from pipeline.demo_site.phrases_other import OFF_TOPIC
from pipeline.demo_site.phrases_slots import ANALYST_ROLES, PEOPLE, SLOT_VALUES

_N_BN = ("1.2", "2.5", "3", "4.8", "6", "7.5", "10", "12", "15", "20", "25", "40", "1.8", "9")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Slots naming a person: the first mention is "<role> <full name>", later ones the surname.
_PERSON_SLOTS = ("us_official", "cn_official", "intl_official", "analyst", "analyst2")
_INTL_GROUPS = (("intl_official", 3), ("asia_official", 2), ("kr_official", 1))
# Numbers drawn per slot name: (low, high) for randint.
_RANGES: dict[str, tuple[int, int]] = {
    "n_small": (2, 9),
    "n_small2": (2, 9),
    "n_k": (2, 90),
    "n_k2": (2, 90),
    "n_bn2": (2, 9),
    "pct": (6, 60),
    "pct2": (6, 60),
    "pct_small": (1, 9),
    "founded": (1998, 2019),
    "n_hundred": (120, 950),
    "score_a": (1, 4),
    "score_b": (0, 3),
    "minute": (52, 90),
    "temp": (24, 38),
    "temp_low": (-4, 3),
    "mm": (20, 120),
    "kmh": (60, 130),
}


class SlotFiller(dict):
    """Slot values for one article: each slot is drawn once, so a name stays the same throughout.

    People are named in full at their first mention and by surname afterwards; `<slot>_short`
    always gives the surname (for headlines and second references).
    """

    def __init__(self, rng: random.Random, published: datetime) -> None:
        super().__init__()
        self._rng = rng
        self._people: dict[str, tuple[str, str]] = {}
        self._named: set[str] = set()
        weekday = _WEEKDAYS[published.weekday()]
        # Stories filed at weekends still refer to the last working day.
        self["weekday"] = weekday if published.weekday() < 5 else "Friday"
        self["year"] = str(published.year)
        self["next_year"] = str(published.year + 1)

    def __getitem__(self, key: str) -> str:
        if key in _PERSON_SLOTS:
            full, short = self._person(key)
            if key in self._named:
                return short
            self._named.add(key)
            return full
        if key.endswith("_short") and key[: -len("_short")] in _PERSON_SLOTS:
            return self._person(key[: -len("_short")])[1]
        return super().__getitem__(key)

    def close_appositions(self, text: str) -> str:
        """A comma after a mid-sentence "Name, role at Org": "..., role at Org, said"."""
        for full, _ in self._people.values():
            if "," in full:
                text = re.sub(rf"{re.escape(full)}(?= \w)", f"{full},", text)
        return text

    def _person(self, key: str) -> tuple[str, str]:
        if key not in self._people:
            taken = {short for _, short in self._people.values()}
            for _ in range(20):  # two people in one article should not share a surname
                person = self._draw_person(key)
                if person[1] not in taken:
                    break
            self._people[key] = person
        return self._people[key]

    def _draw_person(self, key: str) -> tuple[str, str]:
        rng = self._rng
        if key in ("analyst", "analyst2"):
            name = rng.choice(SLOT_VALUES["analyst_person"])
            org = rng.choice(SLOT_VALUES["analyst_org"])
            return f"{name}, {rng.choice(ANALYST_ROLES)} {org}", name.split()[-1]
        group = key
        if key == "intl_official":
            names, weights = zip(*_INTL_GROUPS)
            group = rng.choices(names, weights=weights)[0]
        roles, names_pool, family_first = PEOPLE[group]
        name = rng.choice(names_pool)
        surname = name.split()[0] if family_first else name.split()[-1]
        return f"{rng.choice(roles)} {name}", surname

    def __missing__(self, key: str) -> str:
        rng = self._rng
        if key in SLOT_VALUES:
            value = rng.choice(SLOT_VALUES[key])
        elif key in _RANGES:
            value = str(rng.randint(*_RANGES[key]))
        elif key == "n_bn":
            value = rng.choice(_N_BN)
        else:
            raise KeyError(f"phrase pools use an unknown slot {{{key}}}")
        self[key] = value
        return value


def fill(template: str, rng: random.Random, slots: SlotFiller) -> str:
    """One sentence from a template, with this article's slot values."""
    return slots.close_appositions(render(template, rng, slots))


_HEADLINE_FORMS = (
    "Analysis: {}",
    "Explainer: {}",
    "Exclusive: {}",
    "{}, report says",
    "{}: what it means",
    "{} - five takeaways",
    "Insight: {}",
    "{}, sources say",
    "Focus: {}",
)


def headline(rng: random.Random, template: str, slots: SlotFiller) -> str:
    """A headline from a pool template, sometimes in one of the standard desk forms."""
    title = fill(template, rng, slots)
    if rng.random() < 0.35 and not title.endswith("?"):
        title = rng.choice(_HEADLINE_FORMS).format(title)
    return title


def _chunks(rng: random.Random, sentences: list[str], low: int, high: int) -> list[list[str]]:
    chunks: list[list[str]] = []
    while sentences:
        size = min(len(sentences), rng.randint(low, high))
        chunks.append(sentences[:size])
        sentences = sentences[size:]
    return chunks


def _interleave(
    rng: random.Random, lead: list[str], main: list[list[str]], asides: list[list[str]]
) -> list[list[str]]:
    """Lead first, then main paragraphs with asides slotted in at varying places."""
    ordered = [lead]
    while main or asides:
        take_main = main and (not asides or rng.random() < 0.6)
        ordered.append(main.pop(0) if take_main else asides.pop(0))
    return ordered


def compose_on_topic(
    rng: random.Random, primary: str, secondary: tuple[str, ...], published: datetime
) -> tuple[str, list[str]]:
    """An AI-race story: most paragraphs carry `primary`, one each carries a secondary frame."""
    slots = SlotFiller(rng, published)
    primary_sentences = rng.sample(FRAME_SENTENCES[primary], rng.randint(6, 9))
    lead_size = rng.randint(1, 2)
    lead = primary_sentences[:lead_size]
    primary_chunks = _chunks(rng, primary_sentences[lead_size:], 1, 3)
    other_chunks = [rng.sample(FRAME_SENTENCES[frame], rng.randint(2, 3)) for frame in secondary]
    other_chunks += _chunks(rng, rng.sample(NEUTRAL_SENTENCES, rng.randint(2, 3)), 1, 2)
    rng.shuffle(other_chunks)
    ordered = _interleave(rng, lead, primary_chunks, other_chunks)
    # Fill in reading order, so a person's first mention is the one that names them in full.
    paragraphs = [" ".join(fill(sentence, rng, slots) for sentence in chunk) for chunk in ordered]
    title = headline(rng, rng.choice(FRAME_TITLES[primary]), slots)
    return title, paragraphs


def compose_off_topic(rng: random.Random, topic: str, published: datetime) -> tuple[str, list[str]]:
    """A story outside the AI race (sport, weather, recipes ...), sharing some of its words."""
    slots = SlotFiller(rng, published)
    pool = OFF_TOPIC[topic]
    if "angles" in pool:
        # One dish, its steps in order, then a general tip or two.
        angle = rng.choice(pool["angles"])
        titles, lead = angle["titles"], [rng.choice(angle["leads"])]
        steps = angle["sentences"]
        picked = sorted(rng.sample(range(len(steps)), min(len(steps), rng.randint(3, 5))))
        body = [steps[i] for i in picked] + rng.sample(pool["sentences"], rng.randint(1, 3))
    else:
        titles, lead = pool["titles"], [rng.choice(pool["leads"])]
        body = rng.sample(pool["sentences"], rng.randint(4, 7))
    chunks = [lead, *_chunks(rng, body, 1, 3)]
    paragraphs = [" ".join(fill(s, rng, slots) for s in chunk) for chunk in chunks]
    title = fill(rng.choice(titles), rng, slots)
    return title, paragraphs


def compose_extra_paragraph(rng: random.Random, published: datetime) -> str:
    """A background paragraph a republishing outlet adds to a wire story."""
    slots = SlotFiller(rng, published)
    return " ".join(fill(s, rng, slots) for s in rng.sample(BACKGROUND_SENTENCES, 2))


def compose_alternate_title(rng: random.Random, frame: str, published: datetime, avoid: str) -> str:
    """A different headline for the same story, as a republishing desk would write."""
    slots = SlotFiller(rng, published)
    for _ in range(10):
        title = headline(rng, rng.choice(FRAME_TITLES[frame]), slots)
        if title != avoid:
            return title
    return f"{avoid} (update)"
