"""A labelling workflow for users' own gold data: sample, label by hand, read back, agree.

`stratified_sample` picks articles spread over weeks, outlets and predicted primary frames;
`write_sheet` writes them as CSV (one frame column to mark with 1/0) or JSONL; `read_sheets`
reads labelled sheets back, `agreement` gives Krippendorff's alpha per frame where two or more
annotators labelled the same items, and `merge_gold` turns the labels into gold rows
(`{id, title, text, labels, primary}`) for `framewatch frames calibrate/evaluate`.

For prevalence estimates (pipeline/framing/prevalence.py) a sample must be a probability
sample: `probability_sample` draws a simple random sample, or one stratified by week or outlet
with equal allocation (every week gets gold labels), and records each item's inclusion
probability, which travels through the sheet into the gold rows.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
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
    # Set by probability_sample: the stratum the item was drawn from, how many candidates the
    # stratum held, and the item's probability of being drawn (1 / its design weight).
    stratum: str = ""
    stratum_size: int = 0
    inclusion_probability: float | None = None


@dataclass
class Annotation:
    item_id: str
    annotator: str
    labels: set[str]
    primary: str | None
    title: str = ""
    text: str = ""
    origin: str = ""
    # What the sheet says about how the item was drawn (probability_sample), and where it is from.
    sample_id: str = ""
    inclusion_probability: float | None = None
    week: str = ""
    outlet: str = ""


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


DESIGNS = ("spread", "simple", "stratified")
STRATIFY_BY = ("week", "outlet")


def probability_sample(candidates: Sequence[Candidate], n: int, *, design: str, stratify_by: str = "week",
                       seed: int = 0) -> list[Candidate]:
    """A sample whose inclusion probabilities are known, for prevalence estimation.

    simple: n articles drawn uniformly without replacement (probability n / N each).
    stratified: the candidates split by week or outlet and n shared out equally over the strata
    (a stratum smaller than its share gives all its articles, the rest go to the others), each
    drawn uniformly within its stratum (probability n_h / N_h); every week (or outlet) then has
    gold labels of its own, which is what per-week estimates need.
    """
    if design not in ("simple", "stratified"):
        raise SheetError(f"design must be simple or stratified for a probability sample, not {design!r}")
    if n < 1:
        raise SheetError(f"sample size must be at least 1, not {n}")
    rng = np.random.default_rng(seed)
    ordered = sorted(candidates, key=lambda c: c.article_id)
    if design == "simple":
        strata = {"all": ordered}
    else:
        if stratify_by not in STRATIFY_BY:
            raise SheetError(f"stratify by {' or '.join(STRATIFY_BY)}, not {stratify_by!r}")
        strata = defaultdict(list)
        for candidate in ordered:
            strata[getattr(candidate, stratify_by) or "(none)"].append(candidate)
    allocation = _equal_allocation({k: len(v) for k, v in strata.items()}, n)
    chosen: list[Candidate] = []
    for key in sorted(strata):
        members, take = strata[key], allocation[key]
        picked = rng.choice(len(members), take, replace=False) if take else []
        probability = take / len(members)
        chosen.extend(replace(members[i], stratum=key, stratum_size=len(members),
                              inclusion_probability=probability) for i in sorted(picked))
    return sorted(chosen, key=lambda c: (c.week, c.outlet, c.article_id))


def _equal_allocation(sizes: dict[str, int], n: int) -> dict[str, int]:
    """n shared as equally as the strata allow: a small stratum is taken whole, the rest go on."""
    allocation = dict.fromkeys(sizes, 0)
    remaining = min(n, sum(sizes.values()))
    open_strata = sorted(sizes)
    while remaining > 0 and open_strata:
        share, extra = divmod(remaining, len(open_strata))
        for k, key in enumerate(open_strata):
            want = share + (1 if k < extra else 0)
            give = min(want, sizes[key] - allocation[key])
            allocation[key] += give
            remaining -= give
        open_strata = [key for key in open_strata if allocation[key] < sizes[key]]
    return allocation


def write_sheet(path: Path, items: Sequence[Candidate], frame_ids: Sequence[str], *,
                show_predictions: bool = False, sample_id: str = "") -> None:
    """A sheet to label: CSV with one 0/1 column per frame, or JSONL with a `labels` list.
    Items of a probability sample also carry the sample's id and their inclusion probability."""
    path.parent.mkdir(parents=True, exist_ok=True)
    designed = any(item.inclusion_probability is not None for item in items)
    if path.suffix.lower() == ".csv":
        header = ["id", "annotator", "week", "outlet", "title", "url", "text", "primary", *frame_ids]
        if designed:
            header += ["sample_id", "inclusion_probability"]
        if show_predictions:
            header.append("predicted")
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for item in items:
                text = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(item.passages))
                row = [item.article_id, "", item.week, item.outlet, item.title, item.url, text, "",
                       *([""] * len(frame_ids))]
                if designed:
                    row += [sample_id, repr(item.inclusion_probability)]
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
            if designed:
                row |= {"sample_id": sample_id, "inclusion_probability": item.inclusion_probability}
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
                    primary, row.get("title", ""), row.get("text", ""), where,
                    **_design_fields(row, where)))
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
                    primary, row.get("title", ""), row.get("text") or "\n\n".join(passages), where,
                    **_design_fields(row, where)))
    return [a for a in annotations if a.labels or a.primary]


def _design_fields(row: dict[str, Any], where: str) -> dict[str, Any]:
    """The sheet's record of how an item was drawn, and its week and outlet."""
    raw = row.get("inclusion_probability")
    probability = None
    if raw not in (None, ""):
        try:
            probability = float(raw)
        except (TypeError, ValueError):
            probability = -1.0
        if not 0 < probability <= 1:
            raise SheetError(f"{where}: inclusion_probability must be a number in (0, 1], got {raw!r}")
    return {"sample_id": str(row.get("sample_id") or ""), "inclusion_probability": probability,
            "week": str(row.get("week") or ""), "outlet": str(row.get("outlet") or "")}


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
        row: dict[str, Any] = {"id": item_id, "title": first.title, "text": first.text,
                               "labels": sorted(labels), "primary": primary, "annotators": len(group)}
        # Where the item is from and how it was drawn: `frames shares --gold` groups by these
        # and weights by the inclusion probability.
        row |= {key: value for key in ("week", "outlet", "sample_id", "inclusion_probability")
                if (value := getattr(first, key)) not in ("", None)}
        rows.append(row)
    return rows
