"""Frame shares per (week, frame) from the warehouse, with intervals that include the labeller's
errors (the estimators are in pipeline/framing/prevalence.py).

Reads the current labels' scores and decisions per week, the gold labels imported with
`framewatch annotate import` (only those from a probability sample, whose inclusion
probabilities are known, can correct an estimate), and the calibration's cross-fitted rows
(`store_calibration_holdout`). The weekly report calls `weekly_frame_shares`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb
import numpy as np

from pipeline.framing.prevalence import (
    CROSS_FIT_KEY,
    DEFAULT_BOOTSTRAP,
    DEFAULT_QUANTIFIER,
    Group,
    Labelled,
    ShareEstimate,
    by_key,
    estimate_shares,
    fold_of,
)
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)


class CodebookFrames(Protocol):
    """What the estimates need of a codebook: a loaded Codebook, or (the weekly report, which
    has no codebook file) its fingerprint, frame ids and multi_label flag read from the warehouse."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def frame_ids(self) -> list[str]: ...

    @property
    def multi_label(self) -> bool: ...


@dataclass(frozen=True)
class WeeklyShares:
    """The estimates per (week, frame) and what they rest on."""

    estimates: list[ShareEstimate]
    gold_items: int  # gold-labelled stories from probability samples, used
    gold_without_design: int  # gold-labelled stories whose inclusion probability is unknown: not used
    calibration_rows: int  # cross-fitted rows of the labels' calibration

    def get(self, week: str, frame: str, measure: str = "present") -> ShareEstimate | None:
        return by_key(self.estimates).get((week, frame, measure))


def weekly_frame_shares(
    con: duckdb.DuckDBPyConnection,
    codebook: CodebookFrames,
    *,
    weeks: Sequence[str] | None = None,
    quantifier: str = DEFAULT_QUANTIFIER,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
) -> WeeklyShares:
    """Share of stories carrying each frame of `codebook` (and, single-label, with it as primary)
    per ISO week, each estimate by the best method the stored data allows (see prevalence.py):
    PPI with the week's gold labels, else a quantifier calibrated on pooled gold or the
    calibration's cross-fitted rows, else classify-and-count. `weeks` limits the weeks (default:
    every week with labels); gold from other weeks still calibrates the quantifier."""
    queries = named_queries("prevalence")
    frame_ids = list(codebook.frame_ids)
    column = {frame: f for f, frame in enumerate(frame_ids)}
    scores: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    decisions: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for week, article_id, frame_id, score, present in con.execute(
            queries["frame_scores"], [codebook.fingerprint]).fetchall():
        if frame_id not in column:
            continue
        if article_id not in scores[week]:
            scores[week][article_id] = np.zeros(len(frame_ids))
            decisions[week][article_id] = np.zeros(len(frame_ids), dtype=bool)
        scores[week][article_id][column[frame_id]] = score
        decisions[week][article_id][column[frame_id]] = present
    gold, without_design = _gold(con, codebook, scores)
    chosen = sorted(scores) if weeks is None else [w for w in sorted(set(weeks)) if w in scores]
    groups = []
    for week in chosen:
        ids = sorted(scores[week])
        groups.append(Group(week, np.stack([scores[week][i] for i in ids]),
                            np.stack([decisions[week][i] for i in ids]), gold.get(week)))
    calibration = _holdout(con, codebook)
    estimates = estimate_shares(
        groups, frame_ids, multi_label=codebook.multi_label, calibration=calibration,
        # Gold of weeks outside the chosen ones still measures the labeller's error rates.
        other_gold=Labelled.concat([g for w, g in gold.items() if w not in chosen]),
        quantifier=quantifier, n_bootstrap=n_bootstrap, seed=seed)
    return WeeklyShares(estimates, sum(len(g) for g in gold.values()), without_design,
                        0 if calibration is None else len(calibration))


def _gold(con, codebook: CodebookFrames, scores) -> tuple[dict[str, Labelled], int]:
    """Gold labels per week (merged over coders), with the labeller's scores of the same stories;
    stories without a known inclusion probability are counted, not used."""
    frame_ids = list(codebook.frame_ids)
    rows: dict[str, dict] = {}
    for article_id, week, frame_id, present, primary_votes, _, _, inclusion in con.execute(
            named_queries("prevalence")["gold_votes"], [codebook.fingerprint]).fetchall():
        if frame_id not in frame_ids:
            continue
        item = rows.setdefault(article_id, {"week": week, "inclusion": inclusion,
                                            "labels": np.zeros(len(frame_ids), dtype=bool),
                                            "votes": np.zeros(len(frame_ids))})
        item["labels"][frame_ids.index(frame_id)] = present
        item["votes"][frame_ids.index(frame_id)] = primary_votes
    usable = {a: r for a, r in rows.items() if r["inclusion"] is not None and a in scores.get(r["week"], {})}
    by_week: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for article_id, item in sorted(usable.items()):
        by_week[item["week"]].append((article_id, item))
    gold = {}
    for week, items in by_week.items():
        labels = np.stack([i["labels"] for _, i in items])
        primary = np.array([int(np.argmax(i["votes"])) if i["votes"].any() else int(np.argmax(i["labels"]))
                            for _, i in items])
        gold[week] = Labelled(np.stack([scores[week][a] for a, _ in items]), labels, primary,
                              np.array([i["inclusion"] for _, i in items], dtype=float))
    return gold, len(rows) - len(usable)


def _holdout(con, codebook: CodebookFrames) -> Labelled | None:
    queries = named_queries("prevalence")
    found = con.execute(queries["current_calibration"], [codebook.fingerprint]).fetchone()
    if not found or found[0] is None:
        return None
    frame_ids = list(codebook.frame_ids)
    probs: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    primary: dict[str, int] = {}
    for row_id, frame_id, probability, gold, is_primary in con.execute(
            queries["calibration_holdout"], [found[0]]).fetchall():
        if frame_id not in frame_ids:
            continue
        f = frame_ids.index(frame_id)
        probs.setdefault(row_id, np.zeros(len(frame_ids)))[f] = probability
        labels.setdefault(row_id, np.zeros(len(frame_ids), dtype=bool))[f] = gold
        if is_primary:
            primary[row_id] = f
    if not probs:
        return None
    ids = sorted(probs)
    # The rows were cross-fitted by crossfit.cross_fitted with its default key: their ids give
    # back the fold whose model scored them, which the quantifier's held-out error needs.
    return Labelled(np.stack([probs[i] for i in ids]), np.stack([labels[i] for i in ids]),
                    None if codebook.multi_label else np.array([primary.get(i, int(np.argmax(labels[i]))) for i in ids]),
                    folds=np.array([fold_of(CROSS_FIT_KEY, i) for i in ids]))


def store_calibration_holdout(con: duckdb.DuckDBPyConnection, calibration_version: str, frame_ids: Sequence[str],
                              row_ids: Sequence[str], holdout: Labelled) -> int:
    """Keep a calibration's cross-fitted rows (crossfit.cross_fitted) under its version, replacing
    earlier ones; returns the rows stored. Call it where a calibration is made for the corpus."""
    queries = named_queries("prevalence")
    values = []
    for r, row_id in enumerate(row_ids):
        primary = None if holdout.primary is None else int(holdout.primary[r])
        for f, frame_id in enumerate(frame_ids):
            values.append([calibration_version, str(row_id), frame_id, float(holdout.probabilities[r, f]),
                           bool(holdout.labels[r, f]), primary == f])
    con.execute("begin transaction")
    try:
        con.execute(queries["forget_holdout"], [calibration_version])
        if values:
            con.executemany(queries["store_holdout"], values)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(row_ids)
