"""Load and validate a frame codebook (TOML): the frames a text can carry, with definitions and examples."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SeedError

logger = logging.getLogger(__name__)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RECOMMENDED_EXEMPLARS = 3
_CODEBOOK_KEYS = {"id", "version", "title", "multi_label", "description"}
_FRAME_KEYS = {"id", "label", "definition", "exemplars", "negatives"}


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
    """Read and validate a codebook TOML file; raises SeedError naming file, key and problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf8"))
    except FileNotFoundError:
        raise SeedError(path, "<file>", "no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(path, "<file>", f"not valid TOML: {exc}") from None
    return parse_codebook(data, path)


def parse_codebook(data: dict[str, Any], source: str | Path = "<memory>") -> Codebook:
    """Validate an already-parsed codebook mapping (the TOML document)."""
    head = data.get("codebook")
    if not isinstance(head, dict):
        raise SeedError(source, "codebook", "missing [codebook] table")
    _warn_unknown(source, "codebook", head, _CODEBOOK_KEYS)
    cb_id = _slug(source, "codebook.id", head.get("id"))
    version = _text(source, "codebook.version", head.get("version"))
    title = _text(source, "codebook.title", head.get("title", cb_id))
    multi_label = head.get("multi_label")
    if not isinstance(multi_label, bool):
        raise SeedError(source, "codebook.multi_label", "must be true or false")
    description = head.get("description", "")
    if not isinstance(description, str):
        raise SeedError(source, "codebook.description", "must be a string")

    raw_frames = data.get("frames")
    if not isinstance(raw_frames, list) or not raw_frames:
        raise SeedError(source, "frames", "at least one [[frames]] table is required")
    if len(raw_frames) < 2:
        raise SeedError(source, "frames", "a codebook needs at least two frames to choose between")
    frames = [_frame(source, i, raw) for i, raw in enumerate(raw_frames)]
    _check_unique(source, frames)
    return Codebook(
        id=cb_id,
        version=version,
        title=title,
        multi_label=multi_label,
        description=description.strip(),
        frames=tuple(frames),
        source=str(source),
    )


def _frame(source: str | Path, i: int, raw: Any) -> Frame:
    where = f"frames[{i}]"
    if not isinstance(raw, dict):
        raise SeedError(source, where, "must be a table")
    _warn_unknown(source, where, raw, _FRAME_KEYS)
    frame_id = _slug(source, f"{where}.id", raw.get("id"))
    exemplars = _texts(source, f"{where}.exemplars", raw.get("exemplars"), required=True)
    if len(exemplars) < RECOMMENDED_EXEMPLARS:
        logger.warning(
            "%s: %s.exemplars: only %d exemplar(s); %d or more give steadier zero-shot labels",
            source,
            where,
            len(exemplars),
            RECOMMENDED_EXEMPLARS,
        )
    return Frame(
        id=frame_id,
        label=_text(source, f"{where}.label", raw.get("label")),
        definition=_text(source, f"{where}.definition", raw.get("definition")),
        exemplars=exemplars,
        negatives=_texts(source, f"{where}.negatives", raw.get("negatives", []), required=False),
    )


def _check_unique(source: str | Path, frames: list[Frame]) -> None:
    seen_ids: dict[str, int] = {}
    seen_labels: dict[str, int] = {}
    for i, f in enumerate(frames):
        if f.id in seen_ids:
            raise SeedError(
                source, f"frames[{i}].id", f"duplicate id {f.id!r} (also frames[{seen_ids[f.id]}])"
            )
        seen_ids[f.id] = i
        folded = fold_label(f.label)
        if folded in seen_labels:
            raise SeedError(
                source,
                f"frames[{i}].label",
                f"label {f.label!r} is the same as frames[{seen_labels[folded]}].label",
            )
        seen_labels[folded] = i


def _slug(source: str | Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise SeedError(source, key, "required, a slug like 'data_advantage'")
    if not SLUG.match(value):
        raise SeedError(
            source, key, f"{value!r} is not a slug (lower-case letters, digits, _ and -)"
        )
    return value


def _text(source: str | Path, key: str, value: Any) -> str:
    if value is None:
        raise SeedError(source, key, "required")
    if not isinstance(value, str) or not value.strip():
        raise SeedError(source, key, "must be a non-empty string")
    return " ".join(value.split())


def _texts(source: str | Path, key: str, value: Any, *, required: bool) -> tuple[str, ...]:
    if value is None and required:
        raise SeedError(source, key, "required: a list of example sentences")
    if not isinstance(value, list):
        raise SeedError(source, key, "must be a list of strings")
    if required and not value:
        raise SeedError(source, key, "needs at least one example sentence")
    out = []
    for j, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise SeedError(source, f"{key}[{j}]", "must be a non-empty string")
        out.append(" ".join(item.split()))
    return tuple(out)


def _warn_unknown(source: str | Path, where: str, table: dict[str, Any], known: set[str]) -> None:
    for key in sorted(set(table) - known):
        logger.warning("%s: %s.%s: unknown key, ignored", source, where, key)
