"""Units of work: a stage's input cut into batches with ids that name their content.

A unit's id is a hash of what it holds (page URLs and content hashes; article ids and text
hashes under a label version), so the same work gets the same id in every run and on every
machine: a claim on it (warehouse/claims.py) means "this content is being processed". A forced
re-run (clean everything, relabel all) salts the ids with its run id, so the units it redoes are
new units rather than ones already completed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Unit(Generic[Item]):
    unit_id: str
    items: tuple[Item, ...]


def make_units(items: Sequence[Item], size: int, key: Callable[[Item], str], *,
               salt: str = "") -> list[Unit[Item]]:
    """Consecutive units of at most `size` items; `key` names an item's content."""
    if size < 1:
        raise ValueError(f"unit size must be at least 1, got {size}")
    units = []
    for start in range(0, len(items), size):
        chunk = tuple(items[start : start + size])
        units.append(Unit(unit_id(chunk, key, salt), chunk))
    return units


def unit_id(items: Iterable[Item], key: Callable[[Item], str], salt: str = "") -> str:
    digest = hashlib.sha256(salt.encode("utf-8"))
    for item in items:
        digest.update(b"\0" + key(item).encode("utf-8"))
    return digest.hexdigest()[:24]
