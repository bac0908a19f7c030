"""Calibration in one import: the record and its file (calibration.py), fitting (fitting.py) and
scoring against gold (scoring.py), under the names callers used before those were split."""

from __future__ import annotations

from pipeline.framing.calibration import (
    FORMAT,
    Calibration,
    embedding_model,
)
from pipeline.framing.fitting import (
    C_GRID,
    INNER_FOLDS,
    INNER_REPEATS,
    _best_threshold,
    fit_calibration,
    training_targets,
    tuned_calibration,
)
from pipeline.framing.scoring import evaluate, gold_frames

__all__ = [
    "C_GRID",
    "FORMAT",
    "INNER_FOLDS",
    "INNER_REPEATS",
    "Calibration",
    "_best_threshold",
    "embedding_model",
    "evaluate",
    "fit_calibration",
    "gold_frames",
    "training_targets",
    "tuned_calibration",
]
