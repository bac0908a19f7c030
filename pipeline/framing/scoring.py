"""Score frame predictions against gold rows: gold labels read against a codebook, micro and
macro F1, per-frame precision/recall/F1, and primary-frame accuracy and macro-F1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.errors import FramewatchError
from pipeline.framing.codebook import Codebook, fold_label


def gold_frames(
    row: Mapping[str, Any], codebook: Codebook, where: str
) -> tuple[list[str], str | None]:
    """A labelled row's frame ids and primary frame id; unknown label names are errors."""
    labels = row.get("labels")
    if not isinstance(labels, list):
        raise FramewatchError(f"{where}: 'labels' must be a list of frame names")
    frames: list[str] = []
    for name in labels:
        frame_id = codebook.match_label(str(name))
        if frame_id is None:
            raise FramewatchError(
                f"{where}: label {name!r} matches no frame id or label of codebook {codebook.id} "
                f"({', '.join(codebook.frame_ids)})"
            )
        if frame_id not in frames:
            frames.append(frame_id)
    primary = row.get("primary")
    primary_id = None
    if primary:
        primary_id = codebook.match_label(str(primary))
        if primary_id is None:
            raise FramewatchError(
                f"{where}: primary {primary!r} matches no frame of codebook {codebook.id}"
            )
    return frames, primary_id


def evaluate(
    rows: Sequence[Mapping[str, Any]], preds: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Micro/macro F1 over the gold label set, per-frame P/R/F1, and primary accuracy and macro-F1.

    Gold rows carry "labels" (and optionally "primary"); predictions carry "frames" and
    "primary". Names match after folding case and spaces/_/-//. A gold row without a prediction
    counts as predicting nothing.
    """
    by_id = {str(p["id"]): p for p in preds}
    frames = sorted(
        {fold_label(l) for r in rows for l in r["labels"]}
        | {fold_label(r["primary"]) for r in rows if r.get("primary")}
    )
    per = {f: [0, 0, 0] for f in frames}
    primary_pairs = []
    for r in rows:
        p = by_id.get(str(r["id"]), {})
        gold = {fold_label(l) for l in r["labels"]}
        pred = {fold_label(l) for l in p.get("frames") or []}
        for f in frames:
            per[f][0] += f in gold and f in pred
            per[f][1] += f in pred and f not in gold
            per[f][2] += f in gold and f not in pred
        if r.get("primary"):
            pp = p.get("primary") or ((p.get("frames") or [None])[0])
            primary_pairs.append((fold_label(r["primary"]), fold_label(pp) if pp else None))
    tp, fp, fn = (sum(v[i] for v in per.values()) for i in range(3))
    out: dict[str, Any] = {
        "items": len(rows),
        "micro_f1": _f1(tp, fp, fn),
        "macro_f1": float(np.mean([_f1(*v) for v in per.values()])) if per else 0.0,
        "per_frame": {
            f: {
                "precision": v[0] / (v[0] + v[1]) if v[0] + v[1] else 0.0,
                "recall": v[0] / (v[0] + v[2]) if v[0] + v[2] else 0.0,
                "f1": _f1(*v),
                "support": v[0] + v[2],
            }
            for f, v in per.items()
        },
    }
    if primary_pairs:
        out["primary_accuracy"] = float(np.mean([g == p for g, p in primary_pairs]))
        out["primary_macro_f1"] = float(
            np.mean(
                [
                    _f1(
                        sum(g == f and p == f for g, p in primary_pairs),
                        sum(p == f and g != f for g, p in primary_pairs),
                        sum(g == f and p != f for g, p in primary_pairs),
                    )
                    for f in frames
                ]
            )
        )
    return out


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
