"""Frame shares of JSONL rows grouped by a field: calibrate, label, estimate (`frames shares`).

Input rows are grouped by one of their fields (a week, an outlet); training rows calibrate the
labeller as `framewatch label --train` does (frozen-encoder heads) and, cross-fitted, tell the
quantifier how wrong it is; gold rows (a random sample of the input's items, with labels)
correct each group's estimate (prediction-powered inference). See prevalence.py for the
estimators and when each is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.framing.crossfit import cross_fitted, gold_matrix, probabilities
from pipeline.framing.labeler import calibrate_on_rows, embed_texts
from pipeline.framing.model import FrameModel
from pipeline.framing.prevalence import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_QUANTIFIER,
    Group,
    Labelled,
    PrevalenceError,
    ShareEstimate,
    estimate_shares,
)

logger = logging.getLogger(__name__)

INCLUSION_FIELD = "inclusion_probability"  # written by `annotate export --design ...`


def group_of(row: Mapping[str, Any], field: str, where: str) -> str:
    value = row.get(field)
    if value is None or isinstance(value, (dict, list, bool)) or str(value).strip() == "":
        raise PrevalenceError(f"{where} {row.get('id')!r}: no {field!r} field to group by (a string or number)")
    return str(value)


def inclusion_of(row: Mapping[str, Any], where: str) -> float | None:
    value = row.get(INCLUSION_FIELD)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise PrevalenceError(f"{where} {row.get('id')!r}: {INCLUSION_FIELD} must be a number in (0, 1], got {value!r}")
    return float(value)


def shares_for_rows(
    model: FrameModel,
    encoder: Any,
    rows: Sequence[Mapping[str, Any]],
    group_by: str,
    *,
    train_rows: Sequence[Mapping[str, Any]] = (),
    gold_rows: Sequence[Mapping[str, Any]] = (),
    quantifier: str = DEFAULT_QUANTIFIER,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    announce: Callable[[str], None] = logger.info,
) -> list[ShareEstimate]:
    """Share estimates per (group, frame) of `rows`; `model` is the zero-shot model (a
    calibration from `train_rows` is fitted here, with cross-fitted rows for the quantifier)."""
    groups = [group_of(row, group_by, "input row") for row in rows]
    by_id = {str(row["id"]): i for i, row in enumerate(rows)}
    gold_groups = []
    for row in gold_rows:
        key = str(row["id"])
        if group_by in row:
            gold_groups.append(group_of(row, group_by, "gold row"))
        elif key in by_id:
            gold_groups.append(groups[by_id[key]])
        else:
            raise PrevalenceError(f"gold row {row['id']!r}: no {group_by!r} field and no input row with its id")
    unknown = sorted(set(gold_groups) - set(groups))
    if unknown:
        raise PrevalenceError(f"gold rows name group(s) {unknown[:5]} that no input row has: gold must be a sample of the input")
    inclusion = [inclusion_of(row, "gold row") for row in gold_rows]
    if gold_rows and any(p is None for p in inclusion) and not all(p is None for p in inclusion):
        raise PrevalenceError(f"some gold rows have {INCLUSION_FIELD} and some do not: give it for all or none")

    calibration = None
    if train_rows:
        announce(f"calibrating on {len(train_rows)} labelled rows, cross-fitted in 5 folds for the quantifier")
        train_embedded = embed_texts(train_rows, encoder)
        calibration, _ = cross_fitted(model, train_rows, train_embedded, where="training row")
        model.use_calibration(calibrate_on_rows(model, train_rows, train_embedded, where="training row"))
    announce(f"labelling {len(rows)} rows")
    item_probs, item_present = probabilities(model, embed_texts(rows, encoder))

    gold_labelled = None
    if gold_rows:
        labels, primary = gold_matrix(model, gold_rows, "gold row")
        outside = [i for i, row in enumerate(gold_rows) if str(row["id"]) not in by_id]
        gold_probs = np.zeros(labels.shape)
        for i, row in enumerate(gold_rows):
            if str(row["id"]) in by_id:
                gold_probs[i] = item_probs[by_id[str(row["id"])]]
        if outside:  # gold items not among the input rows: label their own texts
            gold_probs[outside] = probabilities(model, embed_texts([gold_rows[i] for i in outside], encoder))[0]
        gold_labelled = Labelled(
            gold_probs, labels, primary,
            None if not inclusion or inclusion[0] is None else np.array(inclusion, dtype=float))

    names = list(dict.fromkeys(sorted(groups)))
    group_index = np.array(groups)
    gold_index = np.array(gold_groups)
    built = []
    for name in names:
        members = np.flatnonzero(group_index == name)
        gold = None
        if gold_labelled is not None and (name == gold_index).any():
            gold = gold_labelled.subset(np.flatnonzero(gold_index == name))
        built.append(Group(name, item_probs[members], item_present[members], gold))
    return estimate_shares(
        built, model.frame_ids, multi_label=model.codebook.multi_label, calibration=calibration,
        quantifier=quantifier, n_bootstrap=n_bootstrap,
    )
