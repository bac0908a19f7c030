"""`build_corpus`: the whole synthetic news web as data, deterministic from a seed and an anchor."""

from __future__ import annotations

import hashlib
import logging
import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from pipeline.demo_site.compose import (
    compose_alternate_title,
    compose_extra_paragraph,
    compose_off_topic,
    compose_on_topic,
)
from pipeline.demo_site.faults import FAULTS
from pipeline.demo_site.model import Corpus, DemoArticle, DemoOutlet
from pipeline.demo_site.outlets import HOSTILE, outlets_for
from pipeline.demo_site.phrases_frames import WIRE_DATELINES
from pipeline.demo_site.phrases_other import OFF_TOPIC
from pipeline.demo_site.schedule import (
    StorySlot,
    iso_week_mondays,
    plan_stories,
    planted_trends,
    weekly_volumes,
)
from pipeline.demo_site.timefmt import local_time, publish_moment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScaleSpec:
    weeks: int
    articles: int  # total pages, wire copies included
    thin: tuple[int, int]  # (on-topic, off-topic) stories in the thin early week
    recent_boost: float  # extra volume in the last four weeks, so the trend rests on enough stories
    page_size: int  # links per section page: small scales still paginate
    copy_share: float = 0.08  # share of all articles that are republished wire copies


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(weeks=14, articles=56, thin=(1, 1), recent_boost=2.0, page_size=4),
    "demo": ScaleSpec(weeks=16, articles=520, thin=(3, 2), recent_boost=1.15, page_size=12),
    "bench": ScaleSpec(weeks=20, articles=5000, thin=(3, 2), recent_boost=1.1, page_size=20),
}
THIN_WEEK_INDEX = 1


def build_corpus(
    seed: int = 7,
    scale: str = "demo",
    anchor: date | None = None,
    *,
    outlets: int | None = None,
    articles: int | None = None,
    weeks: int | None = None,
) -> Corpus:
    """Build the synthetic corpus. Pure: the same arguments always give the same corpus.

    `anchor` (default: today, UTC) fixes the calendar: the corpus covers the `weeks` ISO weeks
    ending with the last complete week before it. `outlets`, `articles` and `weeks` override the
    scale's defaults (e.g. `outlets=8, articles=5000` for the crawl benchmark).
    """
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r}: choose one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    week_count = spec.weeks if weeks is None else weeks
    if week_count < 6:
        raise ValueError(f"weeks={week_count}: the planted trends need at least 6 weeks")
    total = spec.articles if articles is None else articles
    anchor = anchor or datetime.now(UTC).date()
    chosen_outlets = [replace(o, page_size=spec.page_size) for o in outlets_for(outlets, scale)]

    mondays = iso_week_mondays(anchor, week_count)
    copies_wanted = round(total * spec.copy_share)
    plan_rng = random.Random(f"{seed}:plan")
    volumes = weekly_volumes(
        plan_rng, week_count, total - copies_wanted, THIN_WEEK_INDEX, spec.thin, spec.recent_boost
    )
    slots = plan_stories(plan_rng, mondays, volumes)
    corpus_end = datetime.combine(mondays[-1] + timedelta(days=7), time(0), UTC)

    originals = _write_originals(seed, slots, chosen_outlets)
    copies = _write_wire_copies(seed, originals, chosen_outlets, copies_wanted, corpus_end)
    everything = _assign_urls(seed, originals + copies, chosen_outlets)
    corpus = Corpus(
        seed=seed,
        scale=scale,
        anchor=anchor,
        weeks=tuple(m.strftime("%G-W%V") for m in mondays),
        outlets=chosen_outlets,
        articles=everything,
        planted=planted_trends(mondays),
        thin_week=mondays[THIN_WEEK_INDEX].strftime("%G-W%V"),
        fault_outlet=HOSTILE,
        faults=FAULTS,
        private_paths={
            o.id: (
                f"/{o.private_section}/",
                *(f"/{o.private_section}/preview-{i}" for i in (1, 2, 3)),
            )
            for o in chosen_outlets
            if o.private_section
        },
    )
    logger.debug(
        "built %s corpus: %d articles, %d outlets", scale, len(everything), len(chosen_outlets)
    )
    return corpus


def _wire_outlet(outlets: list[DemoOutlet]) -> DemoOutlet:
    wires = [o for o in outlets if o.kind == "wire"]
    if len(wires) != 1:
        raise ValueError(f"the demo corpus needs exactly one wire outlet, got {len(wires)}")
    return wires[0]


@dataclass
class _Draft:
    """An article before it has a key and URLs."""

    outlet: DemoOutlet
    title: str
    published: datetime
    authors: tuple[str, ...]
    paragraphs: list[str]
    on_topic: bool
    primary_frame: str | None
    frames: tuple[str, ...]
    section: str
    topic: str
    updated: datetime | None = None
    wire_of: _Draft | None = None


def _write_originals(seed: int, slots: list[StorySlot], outlets: list[DemoOutlet]) -> list[_Draft]:
    wire = _wire_outlet(outlets)
    drafts = []
    for index, slot in enumerate(slots):
        rng = random.Random(f"{seed}:story:{index}")
        weights = [o.on_topic_weight if slot.on_topic else o.off_topic_weight for o in outlets]
        outlet = rng.choices(outlets, weights=weights)[0]
        published = publish_moment(rng, slot.day, outlet.local_tz)
        if slot.on_topic:
            title, paragraphs = compose_on_topic(
                rng, slot.primary_frame, slot.secondary_frames, published
            )
            section, topic = rng.choice(outlet.topic_sections), "ai_race"
            frames = (slot.primary_frame, *slot.secondary_frames)
        else:
            topic = rng.choice(outlet.off_topics)
            title, paragraphs = compose_off_topic(rng, topic, published)
            section, frames = OFF_TOPIC[topic]["section"], ()
        if outlet is wire:
            paragraphs[0] = f"{rng.choice(WIRE_DATELINES)} ({wire.name}) - {paragraphs[0]}"
        authors = tuple(rng.sample(outlet.authors, 2 if rng.random() < 0.2 else 1))
        updated = (
            published + timedelta(minutes=rng.randint(40, 600)) if rng.random() < 0.2 else None
        )
        if updated and not _same_local_day(updated, outlet):
            updated = None
        drafts.append(
            _Draft(
                outlet,
                title,
                published,
                authors,
                paragraphs,
                slot.on_topic,
                slot.primary_frame,
                frames,
                section,
                topic,
                updated,
            )
        )
    return drafts


def _same_local_day(moment: datetime, outlet: DemoOutlet) -> bool:
    return local_time(moment, outlet.local_tz)[0].date() == moment.date()


def _copy_moment(
    rng: random.Random, original: datetime, outlet: DemoOutlet, end: datetime
) -> datetime | None:
    """When `outlet` runs a wire story: hours later, inside its own newsroom day, before `end`."""
    for day_offset in (0, 1):
        day = original.date() + timedelta(days=day_offset)
        moment = publish_moment(rng, day, outlet.local_tz)
        if moment <= original:
            moment = original + timedelta(minutes=rng.randint(25, 150))
        if moment < end and _same_local_day(moment, outlet):
            return moment
    return None


def _write_wire_copies(
    seed: int, originals: list[_Draft], outlets: list[DemoOutlet], wanted: int, end: datetime
) -> list[_Draft]:
    rng = random.Random(f"{seed}:wire")
    wire = _wire_outlet(outlets)
    republishers = [o for o in outlets if o is not wire]
    candidates = [d for d in originals if d.outlet is wire and d.on_topic]
    rng.shuffle(candidates)
    copies: list[_Draft] = []
    for original in candidates:
        if len(copies) >= wanted:
            break
        count = min(rng.choice((2, 3)), len(republishers), wanted - len(copies))
        for outlet in rng.sample(republishers, count):
            published = _copy_moment(rng, original.published, outlet, end)
            if published is None:
                continue
            paragraphs = list(original.paragraphs)
            edit = rng.choice(("trim", "add", "both"))
            if edit == "trim" and len(paragraphs) <= 4:
                edit = "add"  # too short to lose a paragraph: a copy must still differ
            if edit in ("trim", "both") and len(paragraphs) > 4:
                paragraphs.pop()
            if edit in ("add", "both"):
                paragraphs.insert(len(paragraphs) - 1, compose_extra_paragraph(rng, published))
            title = compose_alternate_title(rng, original.primary_frame, published, original.title)
            authors = original.authors if rng.random() < 0.5 else (f"{wire.name} staff",)
            section = rng.choice(outlet.topic_sections)
            copies.append(
                _Draft(
                    outlet,
                    title,
                    published,
                    authors,
                    paragraphs,
                    True,
                    original.primary_frame,
                    original.frames,
                    section,
                    "ai_race",
                    None,
                    wire_of=original,
                )
            )
    return copies


def _slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", title.lower()).split()
    return "-".join(words[:9]) or "story"


def article_path(
    outlet: DemoOutlet, section: str, slug: str, number: int, published: datetime
) -> str:
    """The canonical path of an article under the outlet's URL conventions."""
    d = published
    style = outlet.article_path_style
    if style == "dated_section":
        return f"/{section}/{d:%Y/%m/%d}/{slug}/"
    if style == "news_slug_id":
        return f"/news/{slug}-{number}"
    if style == "cd_style":
        digest = hashlib.sha1(f"{outlet.id}:{number}".encode()).hexdigest()[:16]
        return f"/a/{d:%Y%m}/{d:%d}/WS{digest}.html"
    if style == "section_slug_a":
        return f"/{section}/{slug}-a{number}.html"
    if style == "article_section":
        return f"/article/{section}/{slug}"
    if style == "wire_dated":
        return f"/{section}/{slug}-{d:%Y-%m-%d}/"
    raise ValueError(f"outlet {outlet.id}: unknown article_path_style {style!r}")


_UTM_SOURCES = ("homepage", "newsletter", "twitter", "rss", "partner")


def _assign_urls(seed: int, drafts: list[_Draft], outlets: list[DemoOutlet]) -> list[DemoArticle]:
    """Keys, canonical paths and linked URL variants, in publication order per outlet."""
    rng = random.Random(f"{seed}:urls")
    drafts = sorted(drafts, key=lambda d: (d.published, d.outlet.id, d.title))
    keys: dict[int, str] = {}
    sequence = {o.id: 0 for o in outlets}
    used_paths: dict[str, set[str]] = {o.id: set() for o in outlets}
    built: list[DemoArticle] = []
    for draft in drafts:
        outlet = draft.outlet
        sequence[outlet.id] += 1
        number = 100000 + sequence[outlet.id] * 37 + rng.randint(0, 30)
        key = f"{outlet.id}-{sequence[outlet.id]:05d}"
        keys[id(draft)] = key
        path = article_path(outlet, draft.section, _slug(draft.title), number, draft.published)
        if path in used_paths[outlet.id]:
            path = article_path(
                outlet, draft.section, f"{_slug(draft.title)}-{number}", number, draft.published
            )
        used_paths[outlet.id].add(path)
        variants, legacy = _variants(rng, outlet, path, number)
        built.append(
            DemoArticle(
                key=key,
                outlet_id=outlet.id,
                path=path,
                title=draft.title,
                published=draft.published,
                authors=draft.authors,
                paragraphs=tuple(draft.paragraphs),
                on_topic=draft.on_topic,
                primary_frame=draft.primary_frame,
                frames=draft.frames,
                wire_of=None,
                variant_paths=variants,
                section=draft.section,
                topic=draft.topic,
                summary=_first_sentence(draft.paragraphs[0]),
                updated=draft.updated,
                legacy_path=legacy,
            )
        )
    # Copies point at their original by key, known only once every draft has one.
    return [
        replace(article, wire_of=keys[id(draft.wire_of)]) if draft.wire_of else article
        for article, draft in zip(built, drafts)
    ]


def _variants(
    rng: random.Random, outlet: DemoOutlet, path: str, number: int
) -> tuple[tuple[str, ...], str | None]:
    variants: list[str] = []
    legacy = None
    if rng.random() < 0.08:
        legacy = f"{outlet.legacy_prefix}/{number}"
        variants.append(legacy)
    if rng.random() < 0.12:
        source = rng.choice(_UTM_SOURCES)
        variants.append(f"{path}?utm_source={source}&utm_medium=referral&utm_campaign=trending")
    if not path.endswith(".html") and rng.random() < 0.08:
        variants.append(path.rstrip("/") if path.endswith("/") else path + "/")
    if rng.random() < 0.15:
        variants.append(f"{path}#comments")
    if outlet.amp:
        variants.append(f"/amp{path}")
    return tuple(variants), legacy


def _first_sentence(paragraph: str) -> str:
    text = re.sub(r"^[A-Z ]+ \([^)]*\) - ", "", paragraph)
    match = re.match(r"(.+?[.!?][\"\u201d]?)(\s|$)", text)
    return match.group(1) if match else text
