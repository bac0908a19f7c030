"""Fit a calibration on labelled articles: class-balanced logistic heads over embeddings and
similarity features (and word n-grams), with every setting chosen by repeated inner cross-validation.

With few labels only a small head over the zero-shot similarity features is trained. With enough,
two heads are trained (one-vs-rest for multi-label codebooks, multinomial for single-label
ones): one over the mean passage embedding plus those features, one over TF-IDF word unigrams
and bigrams of the passages' texts (cue words an embedding blurs). Their probabilities are
mixed, then blended with the zero-shot model's, so the codebook keeps its say where labels are
thin. Each head's regularisation, the word head's share, the prior's weight and per-frame
thresholds are chosen together on out-of-fold predictions inside the training rows only; a word
head that does not help gets no share and is not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from pipeline.errors import FramewatchError
from pipeline.framing.calibration import (
    Calibration,
    _blend,
    _mix,
    _probabilities,
    _zero_shot_prior,
)
from pipeline.framing.codebook import Codebook
from pipeline.framing.lexical import Vocabulary

logger = logging.getLogger(__name__)

# On standardised features of a few hundred dimensions and a few hundred rows the best C sits
# low (0.003-0.03); the grid spans three decades so other data can pick its own.
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
DEFAULT_C = 0.03  # when there are too few rows per frame to cross-validate
# TF-IDF rows have unit length, so useful C values are larger than for standardised features.
LEXICAL_C_GRID = (1.0, 3.0, 10.0, 30.0)
LEXICAL_WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65)  # the word head's share of the supervised mix
INNER_FOLDS = 4
INNER_REPEATS = 3  # inner cross-validation repeated with other splits: steadier choices
# Below these counts a head over 384+ embedding dimensions overfits; use similarity features only.
MIN_ROWS_PER_FRAME_FOR_EMBEDDING_HEAD = 8
MIN_POSITIVES = 3
PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
UNTRAINED_INTERCEPT = -50.0  # a frame without training rows: the head says no, the prior decides


@dataclass(frozen=True)
class _Choice:
    score: float
    c: float
    lexical_c: float
    lexical_weight: float
    prior_weight: float
    thresholds: np.ndarray


def fit_calibration(
    codebook: Codebook,
    encoder_model_id: str,
    features: np.ndarray,
    labels: Sequence[Sequence[str]],
    primaries: Sequence[str | None],
    *,
    n_similarity_features: int,
    texts: Sequence[str] | None = None,
    seed: int = 0,
) -> Calibration:
    """Train the heads on article features (FrameModel.article_features rows), the articles'
    texts (lexical.article_text of their passages; None: no word head) and gold frame ids.

    Regularisation, the word head's share, the weight of the zero-shot prior and (multi-label)
    per-frame thresholds are chosen on out-of-fold predictions within these rows.
    """
    features = np.asarray(features, dtype=np.float64)
    ids = codebook.frame_ids
    n = len(features)
    if n != len(labels) or n != len(primaries) or (texts is not None and n != len(texts)):
        raise ValueError("features, labels, primaries and texts must have one row per article")
    if n < 2 * len(ids):
        raise FramewatchError(
            f"{n} labelled rows are too few to calibrate {len(ids)} frames (need {2 * len(ids)}+)"
        )
    Y = np.array([[fid in row for fid in ids] for row in labels], dtype=bool)
    enough = n >= MIN_ROWS_PER_FRAME_FOR_EMBEDDING_HEAD * len(ids)
    start = 0 if enough else features.shape[1] - n_similarity_features
    X = features[:, start:]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    # A near-constant feature carries nothing; a tiny scale would also round to 0 in the saved
    # file (8 decimals) and divide by zero when the calibration is loaded.
    scale[scale < 1e-6] = 1.0
    Xs = (X - mean) / scale
    vocabulary = Vocabulary.fit(texts) if enough and texts is not None else None
    if vocabulary is not None and not vocabulary.terms:
        vocabulary = None
    W = vocabulary.transform(texts) if vocabulary is not None else None
    prior = _zero_shot_prior(features[:, -len(ids) :], codebook.multi_label)
    target, trainable = _targets(codebook, Y, primaries)
    head = _Head(codebook.multi_label, len(ids), trainable)
    # Many small fits: BLAS threads cost more in start-up than they save (and starve the embedder).
    with threadpool_limits(limits=1):
        choice = _choose(head, Xs, W, target, prior, seed)
        thresholds = choice.thresholds.copy()
        if codebook.multi_label:
            for f in set(range(len(ids))) - set(trainable):
                # Only the prior speaks for this frame: present when the prior alone says so.
                w = choice.prior_weight
                thresholds[f] = 0.5 * w / (1.0 + w) if w else 1.01
        coef, intercept = head.fit(Xs, target, choice.c)
        if W is not None and choice.lexical_weight > 0:
            lexical_coef, lexical_intercept = head.fit(W, target, choice.lexical_c)
        else:
            vocabulary, lexical_coef, lexical_intercept = None, np.zeros((len(ids), 0)), np.zeros(0)
    feature_set = "embedding+similarity" if enough else "similarity"
    if vocabulary is not None:
        feature_set += "+words"
    logger.info(
        "calibrated %s head on %d rows (C=%s, word C=%s share %s, prior weight %s)",
        feature_set,
        n,
        choice.c,
        choice.lexical_c,
        choice.lexical_weight,
        choice.prior_weight,
    )
    return Calibration(
        inner_cv_score=choice.score,
        codebook_fingerprint=codebook.fingerprint,
        encoder_model_id=encoder_model_id,
        frame_ids=list(ids),
        multi_label=codebook.multi_label,
        feature_set=feature_set,
        n_features=features.shape[1],
        feature_start=start,
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=intercept,
        thresholds=thresholds,
        regularisation=choice.c,
        prior_weight=choice.prior_weight,
        n_train=n,
        lexical_weight=choice.lexical_weight if vocabulary is not None else 0.0,
        lexical_regularisation=choice.lexical_c if vocabulary is not None else 0.0,
        lexical_terms=list(vocabulary.terms) if vocabulary is not None else [],
        lexical_idf=vocabulary.idf if vocabulary is not None else np.zeros(0),
        lexical_coef=lexical_coef,
        lexical_intercept=lexical_intercept,
    )


def tuned_calibration(
    codebook: Codebook,
    encoder_model_id: str,
    encoder_dir: Path,
    coef: np.ndarray,
    intercept: np.ndarray,
    *,
    encoder_sha256: str,
    n_features: int,
    n_train: int,
) -> Calibration:
    """The calibration of a tuned encoder: the head trained with it, over the mean passage vector.

    Nothing is chosen on the training rows afterwards (the tuned vectors of those rows are fitted
    to them, so inner cross-validation would be blind): the head is used as trained, multi-label
    frames are present at probability 0.5, and the zero-shot prior has no weight.
    """
    n_frames, dim = coef.shape
    full = np.zeros((n_frames, n_features))
    full[:, :dim] = coef
    return Calibration(
        codebook_fingerprint=codebook.fingerprint,
        encoder_model_id=encoder_model_id,
        frame_ids=list(codebook.frame_ids),
        multi_label=codebook.multi_label,
        feature_set="tuned-encoder",
        n_features=n_features,
        feature_start=0,
        mean=np.zeros(n_features),
        scale=np.ones(n_features),
        coef=full,
        intercept=np.asarray(intercept, dtype=np.float64),
        thresholds=np.full(n_frames, 0.5 if codebook.multi_label else 0.0),
        regularisation=0.0,
        prior_weight=0.0,
        n_train=n_train,
        encoder_sha256=encoder_sha256,
        encoder_dir=encoder_dir,
    )


def training_targets(
    codebook: Codebook, labels: Sequence[Sequence[str]], primaries: Sequence[str | None]
) -> np.ndarray:
    """What a head learns from gold frame ids: a (rows, frames) 0/1 matrix for a multi-label
    codebook, else each row's primary frame index (without a primary, the first of its labels
    in codebook order)."""
    Y = np.array([[fid in row for fid in codebook.frame_ids] for row in labels], dtype=bool)
    return _targets(codebook, Y, primaries)[0]


def _targets(
    codebook: Codebook, Y: np.ndarray, primaries: Sequence[str | None]
) -> tuple[np.ndarray, list[int]]:
    """What the heads learn (the label matrix, or each row's primary frame index) and which
    frames have enough rows to learn from."""
    ids = codebook.frame_ids
    n = len(Y)
    if codebook.multi_label:
        trainable = [
            f for f in range(len(ids)) if MIN_POSITIVES <= Y[:, f].sum() <= n - MIN_POSITIVES
        ]
        for f in sorted(set(range(len(ids))) - set(trainable)):
            logger.warning(
                "frame %s has %d of %d positive rows: left to the zero-shot prior",
                ids[f],
                Y[:, f].sum(),
                n,
            )
        return Y, trainable
    if not all(primaries) and Y.sum(axis=1).min() == 0:
        raise FramewatchError("single-label calibration needs a label (or primary) for every row")
    target = np.array(
        [ids.index(p) if p else int(np.argmax(row)) for p, row in zip(primaries, Y, strict=True)]
    )
    trainable = sorted(set(target.tolist()))
    for f in sorted(set(range(len(ids))) - set(trainable)):
        logger.warning("frame %s has no training rows: left to the zero-shot prior", ids[f])
    return target, trainable


class _Head:
    """Class-balanced logistic regression: one-vs-rest over trainable frames, or multinomial."""

    def __init__(self, multi_label: bool, n_frames: int, trainable: list[int]) -> None:
        self.multi_label = multi_label
        self.n_frames = n_frames
        self.trainable = trainable

    def fit(self, X, target: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
        """(coef, intercept) for all frames; untrainable frames get a head that says no."""
        coef = np.zeros((self.n_frames, X.shape[1]))
        intercept = np.full(self.n_frames, UNTRAINED_INTERCEPT)
        if self.multi_label:
            for f in self.trainable:
                y = target[:, f]
                if y.all() or not y.any():  # possible inside an inner fold
                    intercept[f] = UNTRAINED_INTERCEPT if not y.any() else -UNTRAINED_INTERCEPT
                    continue
                model = _logistic(c).fit(X, y)
                coef[f], intercept[f] = model.coef_[0], model.intercept_[0]
            return coef, intercept
        classes_present = np.unique(target)
        if len(classes_present) == 1:
            intercept[classes_present[0]] = 0.0
            return coef, intercept
        model = _logistic(c).fit(X, target)
        classes = list(model.classes_)
        if len(classes) == 2:  # sklearn keeps one row for two classes: split it symmetrically
            coef[classes[1]], intercept[classes[1]] = model.coef_[0] / 2, model.intercept_[0] / 2
            coef[classes[0]], intercept[classes[0]] = -model.coef_[0] / 2, -model.intercept_[0] / 2
        else:
            for row, cls in enumerate(classes):
                coef[cls], intercept[cls] = model.coef_[row], model.intercept_[row]
        return coef, intercept

    def out_of_fold(self, X, target: np.ndarray, c: float, folds) -> np.ndarray:
        oof = np.zeros((X.shape[0], self.n_frames))
        for train, test in folds:
            coef, intercept = self.fit(X[train], target[train], c)
            oof[test] = _probabilities(np.asarray(X[test] @ coef.T) + intercept, self.multi_label)
        return oof


def _logistic(c: float):
    from sklearn.linear_model import LogisticRegression  # scikit-learn loads slowly: only here

    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)


def _choose(head: _Head, X: np.ndarray, W, target: np.ndarray, prior: np.ndarray, seed: int):
    """Pick C, the word head's C and share, and the prior weight on inner out-of-fold predictions.

    Each head's C is chosen on its own first, then the mix: fewer combinations leave less to
    luck, and repeating the inner cross-validation with other splits steadies every choice.
    """
    splits = [_inner_folds(target, head.multi_label, seed + r) for r in range(INNER_REPEATS)]
    if splits[0] is None:  # a frame with a single row: nothing to hold out
        return _Choice(0.0, DEFAULT_C, LEXICAL_C_GRID[0], 0.0, 0.0, np.zeros(head.n_frames))
    scorer = _scorer(head, target)

    def score(oofs: list[np.ndarray]) -> tuple[float, np.ndarray]:
        results = [scorer(oof) for oof in oofs]
        return float(np.mean([s for s, _ in results])), np.mean([t for _, t in results], axis=0)

    def best_c(data, grid: Sequence[float]) -> tuple[float, list[np.ndarray]]:
        oofs = {c: [head.out_of_fold(data, target, c, folds) for folds in splits] for c in grid}
        c = max(grid, key=lambda c: score(oofs[c])[0])
        return c, oofs[c]

    c, from_embedding = best_c(X, C_GRID)
    mixes = [(LEXICAL_C_GRID[0], 0.0, from_embedding)]
    if W is not None:
        lexical_c, from_words = best_c(W, LEXICAL_C_GRID)
        mixes += [
            (
                lexical_c,
                share,
                [_mix(e, w, share) for e, w in zip(from_embedding, from_words, strict=True)],
            )
            for share in LEXICAL_WEIGHTS
            if share > 0
        ]
    best: _Choice | None = None
    for lexical_c, share, mixed in mixes:
        for weight in PRIOR_WEIGHTS:
            value, thresholds = score([_blend(m, prior, weight) for m in mixed])
            if best is None or value > best.score + 1e-9:
                best = _Choice(value, c, lexical_c, share, weight, thresholds)
    assert best is not None
    return best


def _inner_folds(target: np.ndarray, multi_label: bool, seed: int) -> list | None:
    from sklearn.model_selection import KFold, StratifiedKFold

    if multi_label:
        return list(KFold(INNER_FOLDS, shuffle=True, random_state=seed).split(target))
    counts = np.bincount(target)
    k = min(INNER_FOLDS, int(counts[counts > 0].min()))
    if k < 2 or len(np.unique(target)) < 2:
        return None
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(target, target))


def _scorer(head: _Head, target: np.ndarray) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """What the inner search maximises, with the thresholds that go with it.

    Multi-label: mean over trained frames of the best F1 each frame's threshold reaches.
    Single-label: accuracy plus macro-F1 of the argmax (a frame is always given, no threshold).
    """
    n_frames = head.n_frames
    if not head.multi_label:

        def single(proba: np.ndarray) -> tuple[float, np.ndarray]:
            pred = proba.argmax(axis=1)
            return float((pred == target).mean()) + _macro_f1(target, pred), np.zeros(n_frames)

        return single
    trainable = head.trainable

    def multi(proba: np.ndarray) -> tuple[float, np.ndarray]:
        cuts = [_best_threshold(proba[:, f], target[:, f]) for f in range(n_frames)]
        thresholds = np.array([t for t, _ in cuts])
        score = float(np.mean([cuts[f][1] for f in trainable])) if trainable else 0.0
        return score, thresholds

    return multi


def _macro_f1(target: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the classes that occur in target or pred (as sklearn's average='macro')."""
    classes = np.union1d(target, pred)
    scores = []
    for c in classes:
        tp = float(np.sum((pred == c) & (target == c)))
        scores.append(2 * tp / (np.sum(pred == c) + np.sum(target == c)) if tp else 0.0)
    return float(np.mean(scores))


def _best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The cut on scores (rounded to 4 decimals) that maximises F1 on these rows.

    Among cuts with equal F1 the one nearest 0.5 wins: it is less fitted to these rows.
    """
    gold = np.asarray(gold, dtype=bool)
    if not gold.any():
        return 0.5, 0.0
    rounded = np.round(scores, 4)
    order = np.argsort(-rounded, kind="stable")
    ranked = rounded[order]
    true_positives = np.cumsum(gold[order])
    # A cut at value t keeps every score >= t: the last position of each run of equal values.
    last = np.r_[ranked[1:] != ranked[:-1], True]
    cuts, tp, predicted = ranked[last], true_positives[last], np.flatnonzero(last) + 1
    f1 = 2 * tp / (predicted + gold.sum())
    best = f1.max()
    candidates = np.flatnonzero(f1 >= best - 1e-9)
    pick = candidates[np.argmin(np.abs(cuts[candidates] - 0.5))]
    return float(cuts[pick]), float(best)
