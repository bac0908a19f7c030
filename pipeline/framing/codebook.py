"""The one codebook parser: a frame codebook (TOML) read, checked and returned as a `Codebook`.

The framing stage, `framewatch label`, calibration and `framewatch seeds check` all read
codebooks here, so a file that `seeds check` passes is a file the pipeline loads. Every problem in
a file is reported in one go (`SeedErrors`), each naming the key path (``frames[2].exemplars``).

The format (docs/architecture.md): a `[codebook]` table with `id` (a slug), `version`, `title`,
`multi_label` (true or false) and an optional `description`; at least two `[[frames]]`, each with
a unique slug `id`, a `label` unique after folding case and separators, a `definition`, at least
one distinct exemplar (three or more recommended: fewer only warn, since a calibrated codebook
learns from labelled rows) and optional `negatives` (near misses, none repeating an exemplar).
Unknown keys are errors (a typo such as `exemplar` would otherwise be ignored silently).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.seeds.checks import (
    SeedProblems,
    check_disjoint,
    check_keys,
    check_slug,
    check_unique_ids,
    key_path,
    optional,
    read_toml,
    require,
    string_list,
    table_array,
)

logger = logging.getLogger(__name__)

MIN_EXEMPLARS = 1
RECOMMENDED_EXEMPLARS = 3  # fewer give unsteady zero-shot prototypes: a warning, not an error
MIN_FRAMES = 2  # one frame leaves nothing to choose between
_CODEBOOK_KEYS = ("id", "version", "title", "multi_label", "description")
_FRAME_KEYS = ("id", "label", "definition", "exemplars", "negatives")


def fold_label(name: str) -> str:
    """Fold a frame name for matching: case, and runs of space, '_', '-', '/' are all the same."""
    return re.sub(r"[\s_\-/]+", " ", str(name).strip().lower())


@dataclass(frozen=True)
class Frame:
    id: str
    label: str
    definition: str
    exemplars: tuple[str, ...]
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    id: str
    version: str
    title: str
    multi_label: bool
    description: str
    frames: tuple[Frame, ...]
    source: str = field(default="<memory>", compare=False)
    # Advice that does not stop the codebook loading ("FILE: KEY: advice"), logged on load and
    # listed by `framewatch seeds check`.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def frame_ids(self) -> list[str]:
        return [f.id for f in self.frames]

    @property
    def fingerprint(self) -> str:
        """Hash of everything that affects labels (not the file path): stored with every label."""
        content = {
            "id": self.id,
            "version": self.version,
            "multi_label": self.multi_label,
            "frames": [
                [f.id, f.label, f.definition, list(f.exemplars), list(f.negatives)]
                for f in self.frames
            ],
        }
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def frame(self, frame_id: str) -> Frame:
        for f in self.frames:
            if f.id == frame_id:
                return f
        raise KeyError(frame_id)

    def match_label(self, name: str) -> str | None:
        """The frame id a gold label name refers to (by id or label, after folding), or None."""
        folded = fold_label(name)
        for f in self.frames:
            if folded in (fold_label(f.id), fold_label(f.label)):
                return f.id
        return None


def load_codebook(path: str | Path) -> Codebook:
    """Read and check a codebook TOML file; raises SeedError (or SeedErrors) naming every problem."""
    return parse_codebook(read_toml(path), path)


def parse_codebook(data: dict[str, Any], source: str | Path = "<memory>") -> Codebook:
    """Check an already-parsed codebook mapping (the TOML document) and build the Codebook."""
    problems = SeedProblems(source)
    check_keys(data, ("codebook", "frames"), problems)
    head = require(data, "codebook", dict, problems) or {}
    check_keys(head, _CODEBOOK_KEYS, problems, "codebook")
    codebook_id = require(head, "id", str, problems, "codebook")
    if codebook_id is not None:
        check_slug(codebook_id, problems, "codebook.id")
    version = require(head, "version", str, problems, "codebook")
    title = require(head, "title", str, problems, "codebook")
    multi_label = require(head, "multi_label", bool, problems, "codebook")
    description = optional(head, "description", str, problems, "codebook", default="")

    tables = table_array(data, "frames", problems)
    if 0 < len(tables) < MIN_FRAMES:
        problems.add("frames", f"has {len(tables)} frame: give at least {MIN_FRAMES} to choose between")
    frames = [_frame(table, problems, where) for where, table in tables]
    check_unique_ids([(key_path(where, "id"), f.id) for (where, _), f in zip(tables, frames, strict=True)
                      if f.id], problems, "frame id")
    check_unique_ids([(key_path(where, "label"), fold_label(f.label))
                      for (where, _), f in zip(tables, frames, strict=True) if f.label],
                     problems, "frame label (case and separators ignored)")
    problems.raise_if_any()
    warnings = tuple(
        f"{source}: {key_path(where, 'exemplars')}: only {len(f.exemplars)} exemplar(s); "
        f"{RECOMMENDED_EXEMPLARS} or more give steadier zero-shot labels"
        for (where, _), f in zip(tables, frames, strict=True)
        if len(f.exemplars) < RECOMMENDED_EXEMPLARS
    )
    for warning in warnings:
        logger.warning("%s", warning)
    return Codebook(
        id=codebook_id,
        version=version,
        title=" ".join(title.split()),
        multi_label=multi_label,
        description=(description or "").strip(),
        frames=tuple(frames),
        source=str(source),
        warnings=warnings,
    )


def _frame(table: dict[str, Any], problems: SeedProblems, where: str) -> Frame:
    """One [[frames]] table; missing or bad values are recorded and left empty."""
    check_keys(table, _FRAME_KEYS, problems, where)
    frame_id = require(table, "id", str, problems, where)
    if frame_id is not None and not check_slug(frame_id, problems, key_path(where, "id")):
        frame_id = None
    label = require(table, "label", str, problems, where)
    definition = require(table, "definition", str, problems, where)
    exemplars = string_list(table, "exemplars", problems, where, required=True,
                            min_items=MIN_EXEMPLARS)
    negatives = string_list(table, "negatives", problems, where)
    check_disjoint(exemplars, negatives, problems, where)
    return Frame(
        id=frame_id or "",
        label=" ".join((label or "").split()),
        definition=" ".join((definition or "").split()),
        exemplars=tuple(" ".join(e.split()) for e in exemplars),
        negatives=tuple(" ".join(n.split()) for n in negatives),
    )
