"""topic.toml: what counts as on-topic coverage, read into a typed `Topic` record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.seeds.checks import (
    SeedProblems,
    check_disjoint,
    check_keys,
    check_slug,
    key_path,
    optional,
    read_toml,
    require,
    string_list,
)


@dataclass(frozen=True)
class Topic:
    """What counts as on-topic coverage, as written in seeds/topic.toml."""

    id: str
    description: str
    terms: tuple[str, ...]
    exemplars: tuple[str, ...]
    negatives: tuple[str, ...] = ()
    threshold: float | None = None  # None: the relevance stage's default


_TOPIC_KEYS = ("id", "description", "terms", "exemplars", "negatives", "threshold")


def load_topic(path: str | Path) -> Topic:
    """Read and validate topic.toml; raises SeedError (or SeedErrors) listing every problem."""
    problems = SeedProblems(path)
    document = read_toml(path)
    check_keys(document, ("topic",), problems)
    table = require(document, "topic", dict, problems)
    if table is None:
        problems.raise_if_any()
    where = "topic"
    check_keys(table, _TOPIC_KEYS, problems, where)
    topic_id = require(table, "id", str, problems, where)
    if topic_id is not None:
        check_slug(topic_id, problems, key_path(where, "id"))
    description = require(table, "description", str, problems, where)
    terms = string_list(table, "terms", problems, where, required=True, min_items=1)
    _check_terms_distinct(terms, problems, key_path(where, "terms"))
    exemplars = string_list(table, "exemplars", problems, where, required=True, min_items=1)
    negatives = string_list(table, "negatives", problems, where)
    check_disjoint(exemplars, negatives, problems, where)
    threshold = optional(table, "threshold", float, problems, where)
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        problems.add(key_path(where, "threshold"), f"must be between 0 and 1, got {threshold}")
    problems.raise_if_any()
    return Topic(
        id=topic_id,
        description=description.strip(),
        terms=terms,
        exemplars=exemplars,
        negatives=negatives,
        threshold=threshold,
    )


def _check_terms_distinct(terms: tuple[str, ...], problems: SeedProblems, where: str) -> None:
    # Terms match case-insensitively, so "AI" and "ai" are the same term written twice.
    first_seen: dict[str, int] = {}
    for index, term in enumerate(terms):
        folded = term.strip().casefold()
        if folded in first_seen:
            problems.add(
                key_path(where, index),
                f"{term!r} repeats {key_path(where, first_seen[folded])} (terms ignore case)",
            )
        else:
            first_seen[folded] = index
