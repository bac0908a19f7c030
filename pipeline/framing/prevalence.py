"""Frame shares per group (a week, an outlet) that account for the labeller's errors.

A labeller that marks a frame present with 70% precision and 60% recall does not count the
stories that carry it: "classify and count" (the share of stories the labeller marked) measures
the labeller as much as the press. This module turns the labeller's probabilities into shares
with intervals that include its errors, choosing per group from what data there is:

* **gold labels in the group** (a random sample of the group's items, labelled by hand):
  the prediction-powered estimate (Angelopoulos et al., "Prediction-powered inference",
  Science 2023; the power-tuned PPI++ of ppi_py). The labeller's probabilities of every item
  give the share, the gold sample measures how far off they are, and the interval is valid
  whatever the labeller's quality. When the gold sample was drawn with unequal inclusion
  probabilities (stratified by outlet or week), each gold item is weighted by 1/probability:
  the design-based correction of Egami et al. ("Using imperfect surrogates for downstream
  inference: design-based supervised learning", NeurIPS 2023).
* **no gold in the group, labelled calibration data** (the labelled rows the calibration was
  trained on, with out-of-fold probabilities, or gold labels pooled from other groups):
  a quantification method from quapy (PACC, probabilistic adjusted classify-and-count, by
  default; or EMQ, the EM prior adjustment of Saerens et al.), which corrects for the
  labeller's measured error rates and stays right when a frame's prevalence shifts. Its 95%
  interval has two parts, added in quadrature:
  - a percentile bootstrap that resamples the calibration rows and the group's items together
    and refits the quantifier each round (the noise of the measured rates and of the sample);
  - the quantifier's *held-out error*: the root-mean-square error of the same correction on
    each fold of the calibration rows, calibrated on the other folds. The calibration's rows
    were scored by models fitted on different folds, and a week is scored by yet another model,
    whose error rates differ from the measured ones by more than the bootstrap sees; PACC
    divides that difference by the labeller's separation (tpr - fpr), so a poorly separating
    labeller gets a wide interval.
  A frame the labeller may separate by less than MIN_SEPARATION (mean probability of the stories
  carrying it minus that of the others, on the calibration rows, at the lower end of its 95%
  interval) is not corrected at all: the correction could divide by almost nothing; nor is one
  whose held-out error exceeds MAX_HELD_OUT_ERROR, or cannot be measured for want of rows. Such
  a frame falls back to classify-and-count, with a `note` saying why,
  and is flagged as measuring the labeller.
* **nothing labelled**: classify-and-count with a Wilson interval, which covers sampling noise
  only; its method says so.

Every estimate names its method. Shares of the items carrying each frame are one binary
problem per frame (a story can carry several frames); for single-label codebooks the shares of
each frame as the primary frame are one multi-class problem and sum to one.

Everything here is pure: arrays in, `ShareEstimate` records out.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pipeline.errors import FramewatchError

logger = logging.getLogger(__name__)

CONFIDENCE = 0.95
PPI = "ppi"
CLASSIFY_AND_COUNT = "classify_and_count"
QUANTIFIERS = ("pacc", "emq")
DEFAULT_QUANTIFIER = "pacc"
PRESENT = "present"
PRIMARY = "primary"
# Fewer gold items than this in a group: its PPI interval rests on too few rectifier terms for
# the normal approximation, so the group is estimated by quantification instead.
MIN_GOLD_FOR_PPI = 10
# A quantifier needs positive and negative calibration rows to measure the labeller's error rates.
MIN_CALIBRATION_PER_CLASS = 3
# With fewer gold items than this on either side of a frame (carrying it, or not), PPI's normal
# approximation is not to be trusted (twelve gold items without the frame give a zero-width
# interval); its interval is then widened to also hold the Wilson interval of the gold labels
# alone. Each of the two is a valid interval, so their union is too.
MIN_GOLD_PER_SIDE = 5
DEFAULT_BOOTSTRAP = 200
# The quantifier corrects a count by dividing by the labeller's separation (tpr - fpr, here the
# mean probability of the calibration rows carrying a frame minus that of the rows without it).
# Below this the correction is unstable: on the public framing sets, frames separated by less
# than 0.2 were corrected worse than they were counted (MAE 0.10-0.46 against 0.01-0.19) and
# their intervals missed the true share in up to two weeks of three (tests/bench/bench_prevalence.py).
# The rule takes the lower end of the separation's 95% interval: on frermann a frame measured at
# 0.24 on 127 rows (lower end 0.19) was 0.17-0.30 on the three folds' models, and its correction
# missed a week by 0.34.
MIN_SEPARATION = 0.2
# A correction that misses the share of held-out calibration folds by more than this (root mean
# square) cannot tell a week's movement from its own error: on frermann, corrections with a
# held-out error near 0.2 had intervals 0.77 wide and twice classify-and-count's error. Refused.
MAX_HELD_OUT_ERROR = 0.10
# Folds of the calibration rows for the quantifier's held-out error, when the rows do not say
# which cross-fitting fold scored them (pooled gold, rows stored without ids).
HELD_OUT_FOLDS = 5


CROSS_FIT_FOLDS = 5
CROSS_FIT_KEY = "train"  # fold key of training rows (`frames calibrate --holdout`, `frames shares`)


def fold_of(key: str, row_id: Any, folds: int = CROSS_FIT_FOLDS) -> int:
    """The cross-fitting fold of a labelled row: sha256("<key>:<id>") % folds, the framing
    quality gate's protocol (crossfit.cross_fitted scores each fold by a model fitted on the
    others; the stored holdout rows find their fold again from their ids)."""
    return int(hashlib.sha256(f"{key}:{row_id}".encode()).hexdigest(), 16) % folds


class PrevalenceError(FramewatchError):
    """The data given for a share estimate is inconsistent (names what and where)."""


@dataclass(frozen=True)
class ShareEstimate:
    """One frame's share in one group, with its 95% interval and the method that made it."""

    group: str
    frame: str
    share: float
    ci_low: float
    ci_high: float
    n: int  # items in the group
    n_gold: int  # gold-labelled items of the group used by the estimate
    method: str  # "ppi" | "pacc" | "emq" | "classify_and_count"
    measure: str = PRESENT  # "present": items carrying the frame; "primary": items with it as primary
    raw_share: float = 0.0  # classify-and-count of the same group, always kept for comparison
    calibrated_on: str = ""  # for quantification: "gold" (pooled gold labels) or "train"
    note: str = ""  # why a correction was refused (classify-and-count despite calibration data)

    def to_row(self) -> dict[str, Any]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Labelled:
    """Items with the labeller's probabilities and their true (gold) labels.

    probabilities: (items, frames) labeller scores on a 0..1 scale (per-frame probabilities for
    a multi-label codebook, a distribution over frames for a single-label one);
    labels: (items, frames) 0/1 gold; primary: (items,) gold primary frame index, or None;
    inclusion: (items,) probability each item had of being drawn into the gold sample, or None
    for a simple random sample; folds: (items,) the cross-fitting fold whose model scored each
    row (crossfit.fold_of), or None: the quantifier's held-out error is measured per fold.
    """

    probabilities: np.ndarray
    labels: np.ndarray
    primary: np.ndarray | None = None
    inclusion: np.ndarray | None = None
    folds: np.ndarray | None = None

    def __post_init__(self) -> None:
        p, y = np.asarray(self.probabilities), np.asarray(self.labels)
        if p.ndim != 2 or p.shape != y.shape:
            raise PrevalenceError(
                f"gold probabilities {p.shape} and labels {y.shape} must be (items, frames) alike"
            )
        for name, value in (("primary", self.primary), ("inclusion", self.inclusion), ("folds", self.folds)):
            if value is not None and len(value) != len(p):
                raise PrevalenceError(f"gold {name} has {len(value)} rows, not {len(p)}")
        if self.inclusion is not None:
            inclusion = np.asarray(self.inclusion, dtype=float)
            if not np.all((inclusion > 0) & (inclusion <= 1)):
                raise PrevalenceError("inclusion probabilities must lie in (0, 1]")

    def __len__(self) -> int:
        return len(self.probabilities)

    @property
    def weights(self) -> np.ndarray | None:
        """Design weights (1 / inclusion probability), None for a simple random sample."""
        return None if self.inclusion is None else 1.0 / np.asarray(self.inclusion, dtype=float)

    def subset(self, rows: np.ndarray) -> Labelled:
        return Labelled(
            self.probabilities[rows],
            self.labels[rows],
            None if self.primary is None else self.primary[rows],
            None if self.inclusion is None else self.inclusion[rows],
            None if self.folds is None else self.folds[rows],
        )

    def held_out_folds(self) -> np.ndarray:
        """Each row's fold for the held-out error: its cross-fitting fold when known, else one of
        HELD_OUT_FOLDS folds drawn by a fixed permutation (the same rows, the same folds)."""
        if self.folds is not None:
            return np.asarray(self.folds)
        return np.random.default_rng(0).permutation(len(self)) % HELD_OUT_FOLDS

    @classmethod
    def concat(cls, parts: Sequence[Labelled]) -> Labelled | None:
        parts = [p for p in parts if p is not None and len(p)]
        if not parts:
            return None
        return cls(
            np.concatenate([p.probabilities for p in parts]),
            np.concatenate([p.labels for p in parts]),
            None if any(p.primary is None for p in parts) else np.concatenate([p.primary for p in parts]),
            None if all(p.inclusion is None for p in parts) else np.concatenate(
                [np.ones(len(p)) if p.inclusion is None else p.inclusion for p in parts]),
            # Folds of different sources are not one cross-fitting: drawn afresh when mixed.
            parts[0].folds if len(parts) == 1 else None,
        )


@dataclass(frozen=True)
class Group:
    """One group's items: the labeller's probabilities and decisions, and its gold sample."""

    name: str
    probabilities: np.ndarray  # (items, frames)
    present: np.ndarray  # (items, frames) bool: the labeller's decisions
    gold: Labelled | None = None  # gold-labelled items of this group (a sample of its items)

    def __post_init__(self) -> None:
        if np.shape(self.probabilities) != np.shape(self.present) or np.ndim(self.present) != 2:
            raise PrevalenceError(
                f"group {self.name!r}: probabilities {np.shape(self.probabilities)} and decisions "
                f"{np.shape(self.present)} must be (items, frames) alike"
            )


# -- the three estimators ------------------------------------------------------------------


def wilson_interval(successes: float, n: int) -> tuple[float, float]:
    """The 95% Wilson interval of a proportion (sampling noise only)."""
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return 0.0, 1.0
    low, high = proportion_confint(successes, n, alpha=1 - CONFIDENCE, method="wilson")
    return float(low), float(high)


def classify_and_count(decisions: np.ndarray) -> tuple[float, float, float]:
    """Share of items the labeller marked, with a Wilson interval that ignores its errors."""
    decisions = np.asarray(decisions, dtype=float)
    n = len(decisions)
    share = float(decisions.mean()) if n else 0.0
    return (share, *wilson_interval(decisions.sum(), n))


def _ppi_functions():
    # ppi_py calls warnings.simplefilter("ignore") when imported, which would silence every
    # warning in the process: import it inside a catch_warnings block so the filters come back.
    with warnings.catch_warnings():
        from ppi_py import ppi_mean_ci, ppi_mean_pointestimate
    return ppi_mean_ci, ppi_mean_pointestimate


def ppi_mean(
    gold: np.ndarray, gold_predictions: np.ndarray, predictions: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prediction-powered estimate and 95% interval of the mean of `gold` (one column per
    quantity): ppi_py's power-tuned PPI++ with one tuning parameter shared by all columns, so
    the estimates of a distribution (one-hot gold) still sum to one. `weights` are design
    weights of the gold items (1 / inclusion probability, Egami et al. 2023)."""
    ppi_mean_ci, ppi_mean_pointestimate = _ppi_functions()
    y = np.asarray(gold, dtype=float)
    yhat = np.asarray(gold_predictions, dtype=float)
    yhat_all = np.asarray(predictions, dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # A column with no variation (no gold positive, all probabilities equal) makes the
        # tuning's variance ratio 0/0; ppi_py clips the result, numpy warns about it.
        warnings.simplefilter("ignore", RuntimeWarning)
        estimate = np.atleast_1d(ppi_mean_pointestimate(y, yhat, yhat_all, w=w))
        low, high = ppi_mean_ci(y, yhat, yhat_all, alpha=1 - CONFIDENCE, w=w)
    return estimate, np.atleast_1d(low), np.atleast_1d(high)


def _posteriors_classifier(n_classes: int):
    """A fitted scikit-learn classifier whose "features" are already its posteriors: lets quapy's
    aggregative quantifiers run on probabilities the framing model made elsewhere."""
    from sklearn.base import BaseEstimator, ClassifierMixin  # scikit-learn loads slowly: only here

    class Posteriors(ClassifierMixin, BaseEstimator):
        def fit(self, X: np.ndarray, y: np.ndarray) -> Posteriors:
            return self

        def predict_proba(self, X: np.ndarray) -> np.ndarray:
            return np.asarray(X, dtype=float)

        def predict(self, X: np.ndarray) -> np.ndarray:
            return np.asarray(X).argmax(axis=1)

    classifier = Posteriors()
    classifier.classes_ = np.arange(n_classes)
    return classifier


def _quantifier(method: str, n_classes: int):
    from quapy.method.aggregative import EMQ, PACC

    classifier = _posteriors_classifier(n_classes)
    if method == "pacc":
        # Exact adjustment (fast, and the classic PACC formula for two classes), falling back to
        # the unadjusted estimate when the labeller's rates cannot be inverted; clipped to [0, 1].
        return PACC(classifier, fit_classifier=False, val_split=None, solver="exact-cc", norm="clip")
    if method == "emq":
        return EMQ(classifier, fit_classifier=False, val_split=None)
    raise PrevalenceError(f"unknown quantification method {method!r}: use one of {', '.join(QUANTIFIERS)}")


def _quantify_once(method: str, cal_posteriors, cal_classes, posteriors) -> np.ndarray:
    quantifier = _quantifier(method, cal_posteriors.shape[1])
    with warnings.catch_warnings():
        # EMQ warns when it stops at its iteration cap; the estimate it returns is still its best.
        warnings.simplefilter("ignore", UserWarning)
        quantifier.fit(cal_posteriors, cal_classes)
        return np.asarray(quantifier.predict(posteriors), dtype=float)


def quantify(
    cal_posteriors: np.ndarray, cal_classes: np.ndarray, posteriors: np.ndarray, *,
    method: str = DEFAULT_QUANTIFIER, n_bootstrap: int = DEFAULT_BOOTSTRAP,
    rng: np.random.Generator | None = None, held_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class prevalences of `posteriors` (items, classes) by a quapy quantifier calibrated on
    labelled rows (`cal_posteriors`, `cal_classes`), with a 95% interval.

    Each bootstrap round resamples the calibration rows (the labeller's measured error rates)
    and the group's items (sampling noise) together and refits the quantifier; the percentile
    interval of the rounds is then widened, per class, by `held_out` (the quantifier's held-out
    error, `held_out_error`: how far its corrections missed on calibration folds it was not
    calibrated on), added in quadrature to each side.
    """
    if n_bootstrap < 1:
        raise PrevalenceError(f"a bootstrap interval needs at least one round, not {n_bootstrap}")
    rng = rng if rng is not None else np.random.default_rng(0)
    cal_posteriors = np.asarray(cal_posteriors, dtype=float)
    cal_classes = np.asarray(cal_classes)
    posteriors = np.asarray(posteriors, dtype=float)
    estimate = _quantify_once(method, cal_posteriors, cal_classes, posteriors)
    draws = []
    for _ in range(n_bootstrap):
        cal = rng.integers(0, len(cal_classes), len(cal_classes))
        items = rng.integers(0, len(posteriors), len(posteriors))
        draws.append(_quantify_once(method, cal_posteriors[cal], cal_classes[cal], posteriors[items]))
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(np.stack(draws), [tail, 100 - tail], axis=0)
    low, high = np.minimum(low, estimate), np.maximum(high, estimate)
    if held_out is not None:
        z = _z()
        extra = (z * np.asarray(held_out, dtype=float)) ** 2
        low = estimate - np.sqrt((estimate - low) ** 2 + extra)
        high = estimate + np.sqrt((high - estimate) ** 2 + extra)
    return estimate, low, high


def separation(cal_posteriors: np.ndarray, cal_classes: np.ndarray, *, lower_bound: bool = False) -> np.ndarray:
    """Per class c, how well the labeller tells class c from the rest on the calibration rows:
    mean probability of c over the rows of class c minus over the other rows (tpr - fpr on the
    probability scale, PACC's divisor). With `lower_bound`, the lower end of its 95% normal
    interval (the difference of two means, each with its standard error): how small the
    separation may be, given how few rows measured it. NaN for a class without rows on both sides."""
    cal_posteriors = np.asarray(cal_posteriors, dtype=float)
    cal_classes = np.asarray(cal_classes)
    out = np.full(cal_posteriors.shape[1], np.nan)
    for c in range(cal_posteriors.shape[1]):
        inside = cal_classes == c
        if inside.any() and (~inside).any():
            scores_in, scores_out = cal_posteriors[inside, c], cal_posteriors[~inside, c]
            out[c] = scores_in.mean() - scores_out.mean()
            if lower_bound:
                out[c] -= _z() * np.sqrt(scores_in.var() / len(scores_in) + scores_out.var() / len(scores_out))
    return out


def held_out_error(
    cal_posteriors: np.ndarray, cal_classes: np.ndarray, folds: np.ndarray, *,
    method: str = DEFAULT_QUANTIFIER,
) -> np.ndarray | None:
    """Root-mean-square error per class of the quantifier's estimate on each fold of the
    calibration rows, calibrated on the other folds: the error a new period's correction can
    carry beyond the bootstrap's noise (the labeller that scored it is not the one whose rates
    were measured, and its stories are not those rows). Each fold's error includes its own
    sampling noise, so this leans wide. None when fewer than two folds can be scored."""
    cal_posteriors = np.asarray(cal_posteriors, dtype=float)
    cal_classes = np.asarray(cal_classes)
    folds = np.asarray(folds)
    n_classes = cal_posteriors.shape[1]
    needed = set(np.unique(cal_classes).tolist())
    squared = []
    for fold in np.unique(folds):
        test, train = folds == fold, folds != fold
        counts = np.bincount(cal_classes[train], minlength=n_classes)
        if test.sum() < MIN_CALIBRATION_PER_CLASS or any(counts[c] < MIN_CALIBRATION_PER_CLASS for c in needed):
            continue
        estimate = _quantify_once(method, cal_posteriors[train], cal_classes[train], cal_posteriors[test])
        truth = np.bincount(cal_classes[test], minlength=n_classes) / test.sum()
        squared.append((estimate - truth) ** 2)
    if len(squared) < 2:
        return None
    return np.sqrt(np.mean(squared, axis=0))


def _z() -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - CONFIDENCE) / 2))


def _binary(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return np.column_stack([1.0 - p, p])


def _clip(value: float) -> float:
    return float(min(1.0, max(0.0, value)))


# -- choosing per group ----------------------------------------------------------------------


def estimate_shares(
    groups: Sequence[Group],
    frame_ids: Sequence[str],
    *,
    multi_label: bool,
    calibration: Labelled | None = None,
    other_gold: Labelled | None = None,
    quantifier: str = DEFAULT_QUANTIFIER,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
) -> list[ShareEstimate]:
    """Per group and frame, the share of items carrying the frame (and, for a single-label
    codebook, the share with it as primary), each by the best method the data allows.

    `calibration` holds labelled rows with out-of-fold probabilities (the rows the labeller's
    calibration was trained on, cross-fitted). Gold labels pooled from all groups (and
    `other_gold`, gold of periods not estimated here), when there are enough, calibrate the
    quantifier instead: they come from the data being measured.
    """
    if quantifier not in QUANTIFIERS:
        raise PrevalenceError(f"unknown quantification method {quantifier!r}: use one of {', '.join(QUANTIFIERS)}")
    n_frames = len(frame_ids)
    for group in groups:
        if group.probabilities.shape[1] != n_frames:
            raise PrevalenceError(
                f"group {group.name!r} has {group.probabilities.shape[1]} frame columns, "
                f"the codebook {n_frames}"
            )
    pooled_gold = Labelled.concat([g.gold for g in groups if g.gold is not None] + [other_gold])
    sources = _calibration_sources(pooled_gold, calibration)
    rng = np.random.default_rng(seed)
    checks: dict[tuple[str, int | str], _Check] = {}  # per (source, frame): the same for every group
    out: list[ShareEstimate] = []
    for group in groups:
        out.extend(_present_shares(group, frame_ids, sources, quantifier, n_bootstrap, rng, checks))
        if not multi_label:
            out.extend(_primary_shares(group, frame_ids, sources, quantifier, n_bootstrap, rng, checks))
    return out


@dataclass(frozen=True)
class _Check:
    """Whether the calibration rows let a quantifier correct one frame (or the primary frame),
    and the held-out error its intervals carry."""

    usable: bool
    held_out: np.ndarray | None = None
    note: str = ""


def _usable_source(candidates: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], key: int | str,
                   quantifier: str, what: str, checks: dict[tuple[str, int | str], _Check]
                   ) -> tuple[str, _Check | None, str]:
    """The first calibration source (name, posteriors, classes, folds) whose correction passes
    `_check_correction`, with its check; else no source, and the first refusal's note."""
    notes = []
    for name, posteriors, classes, folds in candidates:
        if (name, key) not in checks:
            checks[(name, key)] = _check_correction(posteriors, classes, folds, quantifier, what, name)
        if checks[(name, key)].usable:
            return name, checks[(name, key)], ""
        notes.append(checks[(name, key)].note)
    return "", None, notes[0] if notes else ""


def _check_correction(cal_posteriors: np.ndarray, cal_classes: np.ndarray, folds: np.ndarray,
                      method: str, what: str, source: str) -> _Check:
    """Refuse a correction the labeller cannot support (separation below MIN_SEPARATION, too few
    rows to measure it or its held-out error, or a held-out error above MAX_HELD_OUT_ERROR);
    otherwise return that error."""
    counts = np.bincount(np.asarray(cal_classes, dtype=int), minlength=cal_posteriors.shape[1])
    enough = counts >= MIN_CALIBRATION_PER_CLASS
    gaps = separation(cal_posteriors, cal_classes)[enough]
    bounds = separation(cal_posteriors, cal_classes, lower_bound=True)[enough]
    rows = "pooled gold labels" if source == "gold" else "calibration rows"
    worst = int(np.nanargmin(bounds)) if np.isfinite(bounds).any() else None
    if worst is None:
        return _Check(False, note=(
            f"not corrected: too few {rows} (at least {MIN_CALIBRATION_PER_CLASS} with and without "
            f"{what}) to measure how well the labeller tells it apart; this share counts the "
            f"labeller's marks"))
    if not bounds[worst] >= MIN_SEPARATION:
        gap, bound = gaps[worst], bounds[worst]
        return _Check(False, note=(
            f"not corrected: on the {rows} the labeller's mean probability of {what} is only "
            f"{gap:.2f} higher for stories that carry it than for the others (95% lower bound "
            f"{bound:.2f}; a correction needs at least {MIN_SEPARATION}); this share counts the "
            f"labeller's marks"))
    error = held_out_error(cal_posteriors, cal_classes, folds, method=method)
    if error is None:
        rarest = int(counts[counts > 0].min())
        return _Check(False, note=(
            f"not corrected: too few {rows} to measure the correction's error on held-out parts "
            f"(the rarest outcome has {rarest}; what is left of each part needs "
            f"{MIN_CALIBRATION_PER_CLASS} of every outcome); this share counts the labeller's marks"))
    worst_error = float(np.max(error[counts >= MIN_CALIBRATION_PER_CLASS]))
    if worst_error > MAX_HELD_OUT_ERROR:
        return _Check(False, note=(
            f"not corrected: on held-out parts of the {rows} the correction missed the share of "
            f"{what} by {worst_error:.2f} (root mean square; at most {MAX_HELD_OUT_ERROR} is usable); "
            f"this share counts the labeller's marks"))
    return _Check(True, error)


def _calibration_sources(pooled_gold: Labelled | None, calibration: Labelled | None) -> list[tuple[str, Labelled]]:
    """Labelled rows that may calibrate the quantifier, best first: pooled gold when there are
    enough of them (they come from the data being measured, labelled by the people the report
    believes), then the calibration's own cross-fitted rows. Each frame takes the first that
    has enough rows on both sides and passes `_check_correction`."""
    sources = []
    if pooled_gold is not None and len(pooled_gold) >= 2 * MIN_GOLD_FOR_PPI:
        sources.append(("gold", pooled_gold))
    if calibration is not None and len(calibration):
        sources.append(("train", calibration))
    return sources


def _present_shares(group: Group, frame_ids: Sequence[str], sources: list[tuple[str, Labelled]],
                    quantifier: str, n_bootstrap: int, rng: np.random.Generator,
                    checks: dict[tuple[str, int | str], _Check]) -> list[ShareEstimate]:
    n = len(group.probabilities)
    gold = group.gold if group.gold is not None and len(group.gold) >= MIN_GOLD_FOR_PPI else None
    out = []
    if gold is not None and n:
        estimate, low, high = ppi_mean(gold.labels, gold.probabilities, group.probabilities, gold.weights)
        low, high = _guarded(gold.labels, estimate, low, high)
    for f, frame in enumerate(frame_ids):
        raw, raw_low, raw_high = classify_and_count(group.present[:, f]) if n else (0.0, 0.0, 1.0)
        common = {"group": group.name, "frame": frame, "n": n, "measure": PRESENT, "raw_share": raw}
        if gold is not None and n:
            out.append(ShareEstimate(
                share=_clip(estimate[f]), ci_low=_clip(low[f]), ci_high=_clip(high[f]),
                n_gold=len(gold), method=PPI, **common))
            continue
        candidates = [(name, _binary(rows.probabilities[:, f]), np.asarray(rows.labels[:, f], dtype=int),
                       rows.held_out_folds()) for name, rows in sources
                      if min(rows.labels[:, f].sum(), len(rows) - rows.labels[:, f].sum()) >= MIN_CALIBRATION_PER_CLASS]
        source, check, note = _usable_source(candidates, f, quantifier, "the frame", checks) if n else ("", None, "")
        if sources and n and not candidates:
            note = (f"not corrected: fewer than {MIN_CALIBRATION_PER_CLASS} labelled rows with or without "
                    f"the frame; this share counts the labeller's marks")
        if check is not None:
            cal_posteriors, labels = next((p, y) for name, p, y, _ in candidates if name == source)
            prevalence, low_q, high_q = quantify(
                cal_posteriors, labels, _binary(group.probabilities[:, f]),
                method=quantifier, n_bootstrap=n_bootstrap, rng=rng, held_out=check.held_out)
            out.append(ShareEstimate(
                share=_clip(prevalence[1]), ci_low=_clip(low_q[1]), ci_high=_clip(high_q[1]),
                n_gold=0, method=quantifier, calibrated_on=source, **common))
            continue
        out.append(ShareEstimate(share=raw, ci_low=raw_low, ci_high=raw_high, n_gold=0,
                                 method=CLASSIFY_AND_COUNT, note=note, **common))
    return out


def _primary_shares(group: Group, frame_ids: Sequence[str], sources: list[tuple[str, Labelled]],
                    quantifier: str, n_bootstrap: int, rng: np.random.Generator,
                    checks: dict[tuple[str, int | str], _Check]) -> list[ShareEstimate]:
    """Shares of each frame as the primary frame (single-label codebooks): they sum to one."""
    n_frames = len(frame_ids)
    n = len(group.probabilities)
    # A zero-shot single-label labeller scores each frame on its own: read its scores as a
    # distribution over frames, the scale the primary frame is chosen on.
    group = Group(group.name, _distribution(group.probabilities), group.present,
                  None if group.gold is None else Labelled(
                      _distribution(group.gold.probabilities), group.gold.labels, group.gold.primary,
                      group.gold.inclusion))
    candidates = [(name, _distribution(rows.probabilities), rows.primary, rows.held_out_folds())
                  for name, rows in sources if rows.primary is not None and len(np.unique(rows.primary)) >= 2]
    source, check, note = (_usable_source(candidates, PRIMARY, quantifier, "a frame as the primary one", checks)
                           if n else ("", None, ""))
    predicted = np.eye(n_frames)[group.probabilities.argmax(axis=1)] if n else np.zeros((0, n_frames))
    raw = predicted.mean(axis=0) if n else np.zeros(n_frames)
    gold = group.gold if group.gold is not None and len(group.gold) >= MIN_GOLD_FOR_PPI else None
    common = {"group": group.name, "n": n, "measure": PRIMARY}
    if gold is not None and gold.primary is not None and n:
        one_hot = np.eye(n_frames)[gold.primary]
        estimate, low, high = ppi_mean(one_hot, gold.probabilities, group.probabilities, gold.weights)
        low, high = _guarded(one_hot, estimate, low, high)
        shares = _on_simplex(estimate)
        return [ShareEstimate(frame=frame, share=float(shares[f]), ci_low=_clip(min(low[f], shares[f])),
                              ci_high=_clip(max(high[f], shares[f])), n_gold=len(gold), method=PPI,
                              raw_share=float(raw[f]), **common)
                for f, frame in enumerate(frame_ids)]
    if check is not None:
        cal_posteriors, cal_primary = next((p, y) for name, p, y, _ in candidates if name == source)
        prevalence, low, high = quantify(cal_posteriors, cal_primary, group.probabilities,
                                         method=quantifier, n_bootstrap=n_bootstrap, rng=rng,
                                         held_out=check.held_out)
        shares = _on_simplex(prevalence)
        return [ShareEstimate(frame=frame, share=float(shares[f]), ci_low=_clip(min(low[f], shares[f])),
                              ci_high=_clip(max(high[f], shares[f])), n_gold=0, method=quantifier,
                              raw_share=float(raw[f]), calibrated_on=source, **common)
                for f, frame in enumerate(frame_ids)]
    out = []
    for f, frame in enumerate(frame_ids):
        low, high = wilson_interval(predicted[:, f].sum(), n)
        out.append(ShareEstimate(frame=frame, share=float(raw[f]), ci_low=low, ci_high=high, n_gold=0,
                                 method=CLASSIFY_AND_COUNT, raw_share=float(raw[f]), note=note, **common))
    return out


def _guarded(gold: np.ndarray, estimate: np.ndarray, low: np.ndarray, high: np.ndarray):
    """PPI bounds per column, widened where the gold sample has too few items on one side
    (MIN_GOLD_PER_SIDE) to hold the Wilson interval of the gold labels alone as well."""
    gold = np.asarray(gold, dtype=float)
    low, high = np.minimum(low, estimate), np.maximum(high, estimate)
    n = len(gold)
    for f in range(gold.shape[1]):
        positives = gold[:, f].sum()
        if min(positives, n - positives) < MIN_GOLD_PER_SIDE:
            wilson_low, wilson_high = wilson_interval(positives, n)
            low[f], high[f] = min(low[f], wilson_low), max(high[f], wilson_high)
    return low, high


def _distribution(scores: np.ndarray) -> np.ndarray:
    scores = np.clip(np.asarray(scores, dtype=float), 1e-12, None)
    return scores / scores.sum(axis=1, keepdims=True)


def _on_simplex(shares: np.ndarray) -> np.ndarray:
    """Shares clipped at zero and rescaled to sum to one (a corrected estimate can dip below 0)."""
    shares = np.clip(np.asarray(shares, dtype=float), 0.0, None)
    total = shares.sum()
    return shares / total if total > 0 else np.full(len(shares), 1.0 / len(shares))


# -- planning a gold sample ----------------------------------------------------------------


def gold_needed(target_width: float, *, share: float = 0.5, correlation: float = 0.0) -> int:
    """Gold items one group needs for a 95% interval of about `target_width` (full width).

    Without a labeller (correlation 0) this is the classical n = (2 z)^2 p (1 - p) / width^2; a
    labeller whose probabilities correlate with the truth at rho shrinks the variance PPI
    leaves by (1 - rho^2) (Angelopoulos et al. 2023, PPI++), when the group has many more items
    than gold labels. share 0.5 is the worst case.
    """
    from scipy.stats import norm

    if not 0 < target_width < 1:
        raise PrevalenceError(f"target interval width must be between 0 and 1, not {target_width}")
    if not 0 <= correlation < 1:
        raise PrevalenceError(f"correlation must be in [0, 1), not {correlation}")
    z = norm.ppf(1 - (1 - CONFIDENCE) / 2)
    variance = share * (1 - share) * (1 - correlation**2)
    return int(np.ceil((2 * z) ** 2 * variance / target_width**2))


def labeller_correlation(labelled: Labelled) -> float:
    """Mean over frames of the correlation between the labeller's probability and the gold
    label: what gold_needed() credits the labeller with."""
    values = []
    for f in range(labelled.labels.shape[1]):
        y, p = labelled.labels[:, f].astype(float), labelled.probabilities[:, f]
        if y.std() > 0 and p.std() > 0:
            values.append(float(np.corrcoef(y, p)[0, 1]))
    return float(np.clip(np.mean(values), 0.0, 0.99)) if values else 0.0


def by_key(estimates: Sequence[ShareEstimate]) -> Mapping[tuple[str, str, str], ShareEstimate]:
    """Estimates keyed by (group, frame, measure), as a report looks them up."""
    return {(e.group, e.frame, e.measure): e for e in estimates}
