"""When stories appear and which frame each carries: weekly volumes and the planted trends.

Frame counts per week follow target shares through error diffusion (each week's rounding error
is carried into the next), so even a small corpus hits its targets closely and deterministically.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.demo_site.model import FRAME_IDS, PlantedTrend

ON_TOPIC_SHARE = 0.65
TREND_WEEKS = 4  # the planted trends play out over the last four weeks

BASE_SHARES: dict[str, float] = {
    "data_advantage": 0.11,
    "talent": 0.10,
    "regulation": 0.12,
    "security": 0.12,
    "compute_chips": 0.18,
    "investment": 0.12,
    "public_benefit": 0.08,
    "ethics_surveillance": 0.09,
    "not_a_race": 0.08,
}
REGULATION_RISE = (0.20, 0.28, 0.37, 0.45)
COMPUTE_FALL = (0.14, 0.10, 0.07, 0.04)


@dataclass(frozen=True)
class StorySlot:
    """One original story to write: its week, day and what it is about."""

    week_index: int
    day: date
    on_topic: bool
    primary_frame: str | None
    secondary_frames: tuple[str, ...]


def iso_week_mondays(anchor: date, weeks: int) -> list[date]:
    """Mondays of the `weeks` ISO weeks ending with the last complete week before `anchor`."""
    last_monday = anchor - timedelta(days=anchor.weekday()) - timedelta(weeks=1)
    return [last_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def frame_shares(week_index: int, weeks: int) -> dict[str, float]:
    """Target primary-frame shares of on-topic stories in a week."""
    recent = week_index - (weeks - TREND_WEEKS)
    if recent < 0:
        return dict(BASE_SHARES)
    shares = {"regulation": REGULATION_RISE[recent], "compute_chips": COMPUTE_FALL[recent]}
    shares["not_a_race"] = BASE_SHARES["not_a_race"]
    rest = [f for f in FRAME_IDS if f not in shares]
    scale = (1.0 - sum(shares.values())) / sum(BASE_SHARES[f] for f in rest)
    shares.update({f: BASE_SHARES[f] * scale for f in rest})
    return shares


def planted_trends(mondays: list[date]) -> tuple[PlantedTrend, ...]:
    recent = tuple(m.strftime("%G-W%V") for m in mondays[-TREND_WEEKS:])
    flat = BASE_SHARES["not_a_race"]
    return (
        PlantedTrend("regulation", "rise", recent, REGULATION_RISE, BASE_SHARES["regulation"]),
        PlantedTrend("compute_chips", "fall", recent, COMPUTE_FALL, BASE_SHARES["compute_chips"]),
        PlantedTrend("not_a_race", "flat", recent, (flat,) * TREND_WEEKS, flat),
    )


def _diffuse(carry: dict[str, float], targets: dict[str, float], total: int) -> dict[str, int]:
    """Integer counts summing to `total` that track `targets` plus what earlier weeks owe."""
    wanted = {k: carry.get(k, 0.0) + targets[k] * total for k in targets}
    counts = {k: max(0, int(v)) for k, v in wanted.items()}
    # Ties are broken by key order, never by chance, so the plan is reproducible.
    while sum(counts.values()) < total:
        key = min(targets, key=lambda k: (-(wanted[k] - counts[k]), k))
        counts[key] += 1
    while sum(counts.values()) > total:
        key = min((k for k in targets if counts[k] > 0), key=lambda k: (wanted[k] - counts[k], k))
        counts[key] -= 1
    for k in targets:
        carry[k] = wanted[k] - counts[k]
    return counts


def weekly_volumes(
    rng: random.Random,
    weeks: int,
    originals: int,
    thin_index: int,
    thin: tuple[int, int],
    recent_boost: float,
) -> list[tuple[int, int]]:
    """(on-topic, off-topic) original stories per week.

    The thin week gets exactly `thin`; every other week has more on-topic stories than it, so
    it stays the thinnest even in a small corpus. Volumes otherwise vary at random, with a boost
    for the last weeks so the planted trend rests on enough stories.
    """
    weights = [rng.uniform(0.7, 1.3) for _ in range(weeks)]
    for i in range(weeks - TREND_WEEKS, weeks):
        weights[i] *= recent_boost
    weights[thin_index] = 0.0
    shares = {str(i): w / sum(weights) for i, w in enumerate(weights)}
    remaining = originals - sum(thin)
    on_total = round(ON_TOPIC_SHARE * remaining)
    floor = thin[0] + 1
    spare_on = on_total - floor * (weeks - 1)
    if spare_on < 0:
        raise ValueError(f"{originals} stories are too few to fill {weeks} weeks")
    on = _diffuse({}, shares, spare_on)
    off = _diffuse({}, shares, remaining - on_total)
    return [thin if i == thin_index else (floor + on[str(i)], off[str(i)]) for i in range(weeks)]


_DAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.45, 0.35)  # newsrooms publish less at weekends


def plan_stories(
    rng: random.Random, mondays: list[date], volumes: list[tuple[int, int]]
) -> list[StorySlot]:
    """Every original story of the corpus, week by week, with its frames decided."""
    slots: list[StorySlot] = []
    carry: dict[str, float] = {}
    weeks = len(mondays)
    for index, (monday, (on, off)) in enumerate(zip(mondays, volumes)):
        if index == weeks - TREND_WEEKS:
            carry = {}  # what the baseline weeks owe must not blur the start of the trend
        counts = _diffuse(carry, frame_shares(index, weeks), on)
        primaries = [frame for frame in FRAME_IDS for _ in range(counts[frame])]
        rng.shuffle(primaries)
        kinds: list[str | None] = [*primaries, *([None] * off)]
        for primary in kinds:
            day = monday + timedelta(days=rng.choices(range(7), weights=_DAY_WEIGHTS)[0])
            secondary: tuple[str, ...] = ()
            if primary is not None:
                how_many = rng.choices((0, 1, 2), weights=(0.35, 0.4, 0.25))[0]
                others = [f for f in FRAME_IDS if f != primary]
                secondary = tuple(rng.sample(others, how_many))
            slots.append(StorySlot(index, day, primary is not None, primary, secondary))
    return slots
