"""Out-of-fold frame probabilities of labelled rows: what a calibrated labeller says about rows
it was not trained on.

Quantification methods learn the labeller's error rates from labelled rows; measured on the
rows a calibration was trained on, those rates would be flattering. Cross-fitting gives every
row a probability from a calibration fitted on the other folds, the same protocol as the
framing quality gate: fold = sha256("<key>:<id>") % folds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.framing.calibrate import gold_frames
from pipeline.framing.labeler import EmbeddedText, calibrate_on_rows, label_embedded
from pipeline.framing.model import FrameModel
from pipeline.framing.prevalence import (
    CROSS_FIT_FOLDS,
    CROSS_FIT_KEY,
    Labelled,
    PrevalenceError,
    fold_of,
)

FOLDS = CROSS_FIT_FOLDS

__all__ = ["CROSS_FIT_KEY", "FOLDS", "cross_fitted", "fold_of", "gold_matrix", "probabilities"]


def gold_matrix(model: FrameModel, rows: Sequence[Mapping[str, Any]], where: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Labelled rows as a (rows, frames) 0/1 matrix and, for single-label codebooks, each row's
    primary frame index (its "primary", else its first label in codebook order)."""
    ids = model.frame_ids
    golds = [gold_frames(row, model.codebook, f"{where} {row.get('id')!r}") for row in rows]
    labels = np.array([[fid in frames for fid in ids] for frames, _ in golds], dtype=bool).reshape(len(rows), len(ids))
    if model.codebook.multi_label:
        return labels, None
    primary = np.array([
        ids.index(first) if (first := primary_id or next((f for f in ids if f in frames), None)) else -1
        for frames, primary_id in golds
    ])
    if (primary < 0).any():
        missing = rows[int(np.flatnonzero(primary < 0)[0])].get("id")
        raise PrevalenceError(f"{where} {missing!r}: no label or primary frame (a single-label codebook needs one)")
    return labels, primary


def probabilities(model: FrameModel, embedded: Sequence[EmbeddedText]) -> tuple[np.ndarray, np.ndarray]:
    """The labeller's (items, frames) probabilities and present/absent decisions."""
    results = label_embedded(model, embedded)
    ids = model.frame_ids
    probs = np.array([[r.scores[f] for f in ids] for r in results], dtype=float).reshape(len(results), len(ids))
    present = np.array([[f in r.present for f in ids] for r in results], dtype=bool).reshape(len(results), len(ids))
    return probs, present


def cross_fitted(
    model: FrameModel,
    rows: Sequence[Mapping[str, Any]],
    embedded: Sequence[EmbeddedText],
    *,
    key: str = CROSS_FIT_KEY,
    folds: int = FOLDS,
    where: str = "row",
) -> tuple[Labelled, np.ndarray]:
    """Labelled rows with out-of-fold probabilities (and each row's fold), and the out-of-fold
    present/absent decisions: each fold scored by a calibration (frozen encoder heads,
    `calibrate_on_rows`) fitted on the other folds."""
    labels, primary = gold_matrix(model, rows, where)
    assignment = np.array([fold_of(key, row["id"], folds) for row in rows])
    out = np.zeros(labels.shape)
    decided = np.zeros(labels.shape, dtype=bool)
    for k in range(folds):
        test = np.flatnonzero(assignment == k)
        if not len(test):
            continue
        train = np.flatnonzero(assignment != k)
        fitted = copy.copy(model)  # the same codebook anchors: no second encoding pass
        fitted.calibration = None
        fitted.use_calibration(calibrate_on_rows(
            fitted, [rows[i] for i in train], [embedded[i] for i in train], where=where))
        out[test], decided[test] = probabilities(fitted, [embedded[i] for i in test])
    return Labelled(out, labels, primary, folds=assignment), decided
