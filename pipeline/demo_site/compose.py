"""Compose article texts (headline, paragraphs) from the phrase pools: pure, seeded by the caller."""

from __future__ import annotations

import random
from datetime import datetime

from pipeline.demo_site.phrases_frames import FRAME_SENTENCES, FRAME_TITLES, NEUTRAL_SENTENCES
from pipeline.demo_site.phrases_other import OFF_TOPIC, SLOT_VALUES

_N_BN = ("1.2", "2.5", "3", "4.8", "6", "7.5", "10", "12", "15", "20", "25", "40")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SlotFiller(dict):
    """Slot values for one article: each slot is drawn once, so a name stays the same throughout."""

    def __init__(self, rng: random.Random, published: datetime) -> None:
        super().__init__()
        self._rng = rng
        weekday = _WEEKDAYS[published.weekday()]
        # Stories filed at weekends still refer to the last working day.
        self["weekday"] = weekday if published.weekday() < 5 else "Friday"
        self["year"] = str(published.year)
        self["next_year"] = str(published.year + 1)

    def __missing__(self, key: str) -> str:
        rng = self._rng
        if key in SLOT_VALUES:
            value = rng.choice(SLOT_VALUES[key])
        elif key == "intl_official_short":
            value = self["intl_official"].split()[-1]
        elif key == "n_small":
            value = str(rng.randint(2, 9))
        elif key == "n_k":
            value = str(rng.randint(2, 90))
        elif key == "n_bn":
            value = rng.choice(_N_BN)
        elif key == "n_bn2":
            value = str(rng.randint(2, 9))
        elif key == "pct":
            value = str(rng.randint(6, 60))
        elif key == "pct_small":
            value = str(rng.randint(1, 9))
        elif key == "founded":
            value = str(rng.randint(1998, 2019))
        else:
            raise KeyError(f"phrase pools use an unknown slot {{{key}}}")
        self[key] = value
        return value


def fill(template: str, slots: SlotFiller) -> str:
    return template.format_map(slots)


_HEADLINE_FORMS = (
    "Analysis: {}",
    "Explainer: {}",
    "Exclusive: {}",
    "{}, report says",
    "{}: what it means",
    "{} - five takeaways",
    "Insight: {}",
)


def headline(rng: random.Random, template: str, slots: SlotFiller) -> str:
    """A headline from a pool template, sometimes in one of the standard desk forms."""
    title = fill(template, slots)
    if rng.random() < 0.4 and not title.endswith("?"):
        title = rng.choice(_HEADLINE_FORMS).format(title)
    return title


def _chunks(rng: random.Random, sentences: list[str], low: int, high: int) -> list[list[str]]:
    chunks: list[list[str]] = []
    while sentences:
        size = min(len(sentences), rng.randint(low, high))
        chunks.append(sentences[:size])
        sentences = sentences[size:]
    return chunks


def compose_on_topic(
    rng: random.Random, primary: str, secondary: tuple[str, ...], published: datetime
) -> tuple[str, list[str]]:
    """An AI-race story: most paragraphs carry `primary`, one each carries a secondary frame."""
    slots = SlotFiller(rng, published)
    primary_sentences = rng.sample(FRAME_SENTENCES[primary], rng.randint(7, 10))
    lead_size = rng.randint(1, 2)
    lead = primary_sentences[:lead_size]
    primary_chunks = _chunks(rng, primary_sentences[lead_size:], 1, 3)
    other_chunks = [rng.sample(FRAME_SENTENCES[frame], rng.randint(2, 3)) for frame in secondary]
    other_chunks += _chunks(rng, rng.sample(NEUTRAL_SENTENCES, rng.randint(2, 3)), 1, 2)
    rng.shuffle(other_chunks)
    ordered = [lead]
    while primary_chunks or other_chunks:
        if primary_chunks:
            ordered.append(primary_chunks.pop(0))
        if other_chunks:
            ordered.append(other_chunks.pop(0))
    title = headline(rng, rng.choice(FRAME_TITLES[primary]), slots)
    paragraphs = [" ".join(fill(sentence, slots) for sentence in chunk) for chunk in ordered]
    return title, paragraphs


def compose_off_topic(rng: random.Random, topic: str, published: datetime) -> tuple[str, list[str]]:
    """A story outside the AI race (sport, weather, recipes ...), sharing some of its words."""
    slots = SlotFiller(rng, published)
    pool = OFF_TOPIC[topic]
    sentences = rng.sample(pool["sentences"], rng.randint(6, min(9, len(pool["sentences"]))))
    title = fill(rng.choice(pool["titles"]), slots)
    paragraphs = [
        " ".join(fill(s, slots) for s in chunk) for chunk in _chunks(rng, sentences, 1, 3)
    ]
    return title, paragraphs


def compose_extra_paragraph(rng: random.Random, published: datetime) -> str:
    """A background paragraph a republishing outlet adds to a wire story."""
    slots = SlotFiller(rng, published)
    return " ".join(fill(s, slots) for s in rng.sample(NEUTRAL_SENTENCES, 2))


def compose_alternate_title(rng: random.Random, frame: str, published: datetime, avoid: str) -> str:
    """A different headline for the same story, as a republishing desk would write."""
    slots = SlotFiller(rng, published)
    options = [t for t in FRAME_TITLES[frame] if fill(t, slots) != avoid]
    return headline(rng, rng.choice(options), slots)
