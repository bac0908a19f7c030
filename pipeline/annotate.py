"""A labelling workflow for users' own gold data: sample, label by hand, read back, agree.

`stratified_sample` picks articles spread over weeks, outlets and predicted primary frames;
`write_sheet` writes them as CSV (one frame column to mark with 1/0) or JSONL; `read_sheets`
reads labelled sheets back, `agreement` gives Krippendorff's alpha per frame where two or more
annotators labelled the same items, and `merge_gold` turns the labels into gold rows
(`{id, title, text, labels, primary}`) for `framewatch frames calibrate/evaluate`.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import FramewatchError

TRUE_MARKS = {"1", "x", "yes", "y", "true"}
FALSE_MARKS = {"", "0", "no", "n", "false"}


class SheetError(FramewatchError):
    """A labelled sheet cannot be read: names the file, the row and the problem."""


@dataclass(frozen=True)
class Candidate:
    article_id: str
    week: str
    outlet: str
    predicted_primary: str | None
    title: str
    url: str
    passages: tuple[str, ...]
    predicted_frames: tuple[str, ...] = ()


@dataclass
class Annotation:
    item_id: str
    annotator: str
    labels: set[str]
    primary: str | None
    title: str = ""
    text: str = ""
    origin: str = ""


def stratified_sample(candidates: Sequence[Candidate], n: int, *, seed: int = 0) -> list[Candidate]:
    """Up to `n` articles spread evenly over (week, outlet, predicted primary frame) strata.

    Strata are visited round-robin, in random order, one article at a time, so rare weeks,
    outlets and frames get items before common ones get many.
    """
    rng = random.Random(seed)
    strata: dict[tuple[str, str, str], list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates, key=lambda c: c.article_id):
        strata[(candidate.week, candidate.outlet, candidate.predicted_primary or "")].append(candidate)
    queues = []
    for key in sorted(strata):
        members = strata[key][:]
        rng.shuffle(members)
        queues.append(members)
    rng.shuffle(queues)
    chosen: list[Candidate] = []
    while len(chosen) < n and any(queues):
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop())
    return sorted(chosen, key=lambda c: (c.week, c.outlet, c.article_id))


def write_sheet(path: Path, items: Sequence[Candidate], frame_ids: Sequence[str], *,
                show_predictions: bool = False) -> None:
    """A sheet to label: CSV with one 0/1 column per frame, or JSONL with a `labels` list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        header = ["id", "annotator", "week", "outlet", "title", "url", "text", "primary", *frame_ids]
        if show_predictions:
            header.append("predicted")
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for item in items:
                text = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(item.passages))
                row = [item.article_id, "", item.week, item.outlet, item.title, item.url, text, "",
                       *([""] * len(frame_ids))]
                if show_predictions:
                    row.append(" ".join(item.predicted_frames))
                writer.writerow(row)
        return
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            row: dict[str, Any] = {
                "id": item.article_id, "annotator": "", "week": item.week, "outlet": item.outlet,
                "title": item.title, "url": item.url, "passages": list(item.passages),
                "labels": [], "primary": None, "frames": list(frame_ids),
            }
            if show_predictions:
                row["predicted"] = list(item.predicted_frames)
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _mark(value: str, where: str) -> bool:
    folded = (value or "").strip().lower()
    if folded in TRUE_MARKS:
        return True
    if folded in FALSE_MARKS:
        return False
    raise SheetError(f"{where}: expected 1/0 (or x/blank), got {value!r}")


def _check_frames(labels: Iterable[str], frame_ids: set[str], where: str) -> set[str]:
    unknown = sorted(set(labels) - frame_ids)
    if unknown:
        raise SheetError(f"{where}: unknown frame(s) {unknown}; the codebook has {sorted(frame_ids)}")
    return set(labels)


def read_sheet(path: Path, frame_ids: Sequence[str], *, default_annotator: str | None = None) -> list[Annotation]:
    """Read one labelled sheet (CSV or JSONL). Rows with no label and no primary are skipped."""
    known = set(frame_ids)
    annotator_default = default_annotator or path.stem
    annotations: list[Annotation] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [f for f in ("id", *frame_ids) if f not in (reader.fieldnames or [])]
            if missing:
                raise SheetError(f"{path}: missing column(s) {missing}")
            for line, row in enumerate(reader, start=2):
                where = f"{path}:{line}"
                labels = {f for f in frame_ids if _mark(row.get(f, ""), f"{where} column {f}")}
                primary = (row.get("primary") or "").strip() or None
                if primary:
                    _check_frames([primary], known, f"{where} column primary")
                annotations.append(Annotation(
                    row["id"], (row.get("annotator") or "").strip() or annotator_default, labels,
                    primary, row.get("title", ""), row.get("text", ""), where))
    else:
        with path.open(encoding="utf-8") as handle:
            for line, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                where = f"{path}:{line}"
                try:
                    row = json.loads(raw)
                except json.JSONDecodeError as error:
                    raise SheetError(f"{where}: not valid JSON ({error.msg})") from error
                if "id" not in row:
                    raise SheetError(f"{where}: row has no id")
                labels = _check_frames(row.get("labels") or [], known, f"{where} labels")
                primary = row.get("primary") or None
                if primary:
                    _check_frames([primary], known, f"{where} primary")
                passages = row.get("passages") or []
                annotations.append(Annotation(
                    str(row["id"]), (row.get("annotator") or "").strip() or annotator_default, labels,
                    primary, row.get("title", ""), row.get("text") or "\n\n".join(passages), where))
    return [a for a in annotations if a.labels or a.primary]


@dataclass
class Agreement:
    items_multiply_labelled: int
    annotators: list[str]
    alpha: dict[str, float | None] = field(default_factory=dict)
    primary_alpha: float | None = None


def agreement(annotations: Sequence[Annotation], frame_ids: Sequence[str]) -> Agreement:
    """Krippendorff's alpha (nominal) per frame, over items labelled by two or more annotators."""
    import krippendorff

    by_item: dict[str, dict[str, Annotation]] = defaultdict(dict)
    for annotation in annotations:
        by_item[annotation.item_id][annotation.annotator] = annotation
    shared = sorted(item for item, coders in by_item.items() if len(coders) >= 2)
    annotators = sorted({a.annotator for a in annotations})
    result = Agreement(len(shared), annotators)
    if not shared or len(annotators) < 2:
        result.alpha = {f: None for f in frame_ids}
        return result
    for frame in frame_ids:
        matrix = np.full((len(annotators), len(shared)), np.nan)
        for j, item in enumerate(shared):
            for i, coder in enumerate(annotators):
                if coder in by_item[item]:
                    matrix[i, j] = float(frame in by_item[item][coder].labels)
        values = matrix[~np.isnan(matrix)]
        result.alpha[frame] = (
            None if len(set(values.tolist())) < 2
            else round(float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")), 4)
        )
    codes = {f: k for k, f in enumerate(frame_ids)}
    primary = np.full((len(annotators), len(shared)), np.nan)
    for j, item in enumerate(shared):
        for i, coder in enumerate(annotators):
            annotation = by_item[item].get(coder)
            if annotation and annotation.primary:
                primary[i, j] = codes[annotation.primary]
    values = primary[~np.isnan(primary)]
    if len(set(values.tolist())) >= 2:
        result.primary_alpha = round(
            float(krippendorff.alpha(reliability_data=primary, level_of_measurement="nominal")), 4)
    return result


def merge_gold(annotations: Sequence[Annotation]) -> list[dict[str, Any]]:
    """One gold row per item: frames marked by a majority of its annotators (ties count as yes)."""
    by_item: dict[str, list[Annotation]] = defaultdict(list)
    for annotation in annotations:
        by_item[annotation.item_id].append(annotation)
    rows = []
    for item_id in sorted(by_item):
        group = by_item[item_id]
        votes = Counter(label for a in group for label in a.labels)
        labels = sorted(label for label, count in votes.items() if 2 * count >= len(group))
        primaries = Counter(a.primary for a in group if a.primary)
        primary = primaries.most_common(1)[0][0] if primaries else None
        if primary and primary not in labels:
            labels.append(primary)
        first = group[0]
        rows.append({"id": item_id, "title": first.title, "text": first.text,
                     "labels": sorted(labels), "primary": primary, "annotators": len(group)})
    return rows
