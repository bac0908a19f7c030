"""Calibrate a FrameModel on labelled texts: per-frame thresholds, a linear head, and scores against gold.

Labelled rows look like {"id", "text", "title"?, "labels": [...], "primary"?}. With few labels
only a small head over the zero-shot similarity features is trained; with enough, a class-
balanced logistic head over the mean passage embedding plus those features (one-vs-rest for
multi-label codebooks, multinomial for single-label ones), whose probabilities are blended
with the zero-shot model's, so the codebook keeps its say where labels are thin. Regularisation
strength, the blend weight and per-frame thresholds are chosen by cross-validation inside the
training rows only. The result is a plain
JSON file (no pickles) with a content hash used as the calibration version.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from pipeline.errors import FramewatchError
from pipeline.framing.codebook import Codebook, fold_label
from pipeline.framing.model import zero_shot_scores

logger = logging.getLogger(__name__)

FORMAT = "framewatch-calibration/1"
C_GRID = (0.03, 0.1, 0.3, 1.0)
INNER_FOLDS = 4
# Below these counts a head over 384+ embedding dimensions overfits; use similarity features only.
MIN_ROWS_PER_FRAME_FOR_EMBEDDING_HEAD = 8
MIN_POSITIVES = 3
PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
SINGLE_LABEL_TEMPERATURE = 0.02


@dataclass
class Calibration:
    codebook_fingerprint: str
    encoder_model_id: str
    frame_ids: list[str]
    multi_label: bool
    feature_set: str  # "embedding+similarity" | "similarity"
    n_features: int  # length of FrameModel.article_features()
    feature_start: int  # first column of article_features() the head uses
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (frames, used features)
    intercept: np.ndarray  # (frames,)
    thresholds: np.ndarray  # (frames,) on predict_proba's scale
    regularisation: float
    prior_weight: float  # weight of the zero-shot prior blended into the head's probabilities
    n_train: int

    @property
    def version(self) -> str:
        return hashlib.sha256(json.dumps(self._payload(), sort_keys=True).encode()).hexdigest()[:16]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if features.shape[1] != self.n_features:
            raise FramewatchError(
                f"calibration expects {self.n_features} features per article, got {features.shape[1]}"
            )
        x = (features[:, self.feature_start :] - self.mean) / self.scale
        logits = x @ self.coef.T + self.intercept
        if self.multi_label:
            head = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
        else:
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            head = exp / exp.sum(axis=1, keepdims=True)
        prior = _zero_shot_prior(features[:, -len(self.frame_ids) :], self.multi_label)
        return _blend(head, prior, self.prior_weight)

    def check_compatible(self, codebook: Codebook, encoder_model_id: str) -> None:
        if (
            self.codebook_fingerprint != codebook.fingerprint
            or self.frame_ids != codebook.frame_ids
        ):
            raise FramewatchError(
                f"calibration was made for codebook {self.codebook_fingerprint}, not for "
                f"{codebook.source} ({codebook.fingerprint}): recalibrate with --train"
            )
        if self.encoder_model_id != encoder_model_id:
            # Vectors from another model (or backend) live in another space: the head would be noise.
            raise FramewatchError(
                f"calibration was made with embeddings from {self.encoder_model_id}, "
                f"not {encoder_model_id}: use that model and backend, or recalibrate"
            )

    def save(self, path: str | Path) -> None:
        payload = self._payload() | {"version": self.version}
        Path(path).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf8")

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf8"))
        except FileNotFoundError:
            raise FramewatchError(f"{path}: no such calibration file") from None
        except json.JSONDecodeError as exc:
            raise FramewatchError(f"{path}: not a calibration file (bad JSON: {exc})") from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise FramewatchError(f"{path}: not a calibration file (format is not {FORMAT})")
        try:
            arrays = {
                k: np.asarray(payload[k], dtype=np.float64)
                for k in ("mean", "scale", "coef", "intercept", "thresholds")
            }
            cal = cls(
                codebook_fingerprint=payload["codebook_fingerprint"],
                encoder_model_id=payload["encoder_model_id"],
                frame_ids=list(payload["frame_ids"]),
                multi_label=bool(payload["multi_label"]),
                feature_set=payload["feature_set"],
                n_features=int(payload["n_features"]),
                feature_start=int(payload["feature_start"]),
                regularisation=float(payload["regularisation"]),
                prior_weight=float(payload["prior_weight"]),
                n_train=int(payload["n_train"]),
                **arrays,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FramewatchError(
                f"{path}: damaged calibration file ({exc.__class__.__name__}: {exc})"
            ) from None
        if payload.get("version") != cal.version:
            raise FramewatchError(
                f"{path}: calibration content does not match its version hash (edited?)"
            )
        return cal

    def _payload(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, np.ndarray):
                out[key] = np.round(value, 8).tolist()
        return {"format": FORMAT} | out


# -- gold labels ---------------------------------------------------------------------------


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


# -- fitting ---------------------------------------------------------------------------------


def fit_calibration(
    codebook: Codebook,
    encoder_model_id: str,
    features: np.ndarray,
    labels: Sequence[Sequence[str]],
    primaries: Sequence[str | None],
    *,
    n_similarity_features: int,
    seed: int = 0,
) -> Calibration:
    """Train the head on article features (FrameModel.article_features rows) and gold frame ids.

    Regularisation, the weight of the zero-shot prior and (multi-label) per-frame thresholds
    are chosen on out-of-fold predictions within these rows.
    """
    features = np.asarray(features, dtype=np.float64)
    ids = codebook.frame_ids
    n = len(features)
    if n != len(labels) or n != len(primaries):
        raise ValueError("features, labels and primaries must have one row per article")
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
    relative = features[:, -len(ids) :]
    # Many small fits: BLAS threads cost more in start-up than they save (and starve the embedder).
    with threadpool_limits(limits=1):
        if codebook.multi_label:
            head = _fit_one_vs_rest(Xs, Y, _zero_shot_prior(relative, True), seed)
        else:
            if not all(primaries) and Y.sum(axis=1).min() == 0:
                raise FramewatchError(
                    "single-label calibration needs a label (or primary) for every row"
                )
            target = np.array(
                [
                    ids.index(p) if p else int(np.argmax(row))
                    for p, row in zip(primaries, Y, strict=True)
                ]
            )
            head = _fit_multinomial(Xs, target, len(ids), _zero_shot_prior(relative, False), seed)
    coef, intercept, thresholds, c, prior_weight = head
    feature_set = "embedding+similarity" if enough else "similarity"
    logger.info(
        "calibrated %s head on %d rows (C=%s, prior weight %s)", feature_set, n, c, prior_weight
    )
    return Calibration(
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
        regularisation=c,
        prior_weight=prior_weight,
        n_train=n,
    )


def _zero_shot_prior(relative: np.ndarray, multi_label: bool) -> np.ndarray:
    """The zero-shot model's opinion, as probabilities, from the pooled relative similarities."""
    if multi_label:
        return zero_shot_scores(relative)
    logits = relative / SINGLE_LABEL_TEMPERATURE
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _blend(head: np.ndarray, prior: np.ndarray, weight: float) -> np.ndarray:
    return (head + weight * prior) / (1.0 + weight)


def _fit_one_vs_rest(X: np.ndarray, Y: np.ndarray, prior: np.ndarray, seed: int):
    from sklearn.linear_model import LogisticRegression

    n_frames = Y.shape[1]
    trainable = [
        f for f in range(n_frames) if MIN_POSITIVES <= Y[:, f].sum() <= len(Y) - MIN_POSITIVES
    ]
    for f in sorted(set(range(n_frames)) - set(trainable)):
        logger.warning(
            "frame %d has %d of %d positive rows: left to the zero-shot prior",
            f,
            Y[:, f].sum(),
            len(Y),
        )
    best = (-1.0, C_GRID[0], PRIOR_WEIGHTS[0], np.full(n_frames, 0.5))
    for c in C_GRID:
        oof = _out_of_fold_ovr(X, Y, trainable, c, seed)
        for weight in PRIOR_WEIGHTS:
            blended = _blend(oof, prior, weight)
            cuts = [_best_threshold(blended[:, f], Y[:, f]) for f in range(n_frames)]
            score = float(np.mean([cuts[f][1] for f in trainable])) if trainable else 0.0
            if score > best[0] + 1e-9:
                best = (score, c, weight, np.array([t for t, _ in cuts]))
    _, c, weight, thresholds = best
    coef = np.zeros((n_frames, X.shape[1]))
    intercept = np.full(n_frames, -50.0)  # untrained frames: the head says no, the prior decides
    for f in trainable:
        head = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(X, Y[:, f])
        coef[f], intercept[f] = head.coef_[0], head.intercept_[0]
    for f in set(range(n_frames)) - set(trainable):
        thresholds[f] = 0.5 * weight / (1.0 + weight) if weight else 1.01
    return coef, intercept, thresholds, c, weight


def _out_of_fold_ovr(
    X: np.ndarray, Y: np.ndarray, trainable: list[int], c: float, seed: int
) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    oof = np.zeros(Y.shape)
    for train, test in KFold(INNER_FOLDS, shuffle=True, random_state=seed).split(X):
        for f in trainable:
            y = Y[train, f]
            if y.all() or not y.any():
                oof[test, f] = float(y.mean())
                continue
            head = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(X[train], y)
            oof[test, f] = head.predict_proba(X[test])[:, 1]
    return oof


def _best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The cut on scores that maximises F1 on these rows."""
    best_t, best_f1 = 0.5, -1.0
    positives = gold.sum()
    for t in np.unique(np.round(scores, 4)):
        pred = scores >= t
        tp = float((pred & gold).sum())
        f1 = 2 * tp / (pred.sum() + positives) if tp else 0.0
        # Among equals prefer the cut nearest 0.5: less fitted to these particular rows.
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(t - 0.5) < abs(best_t - 0.5)):
            best_t, best_f1 = float(t), f1
    return best_t, best_f1


def _fit_multinomial(
    X: np.ndarray, target: np.ndarray, n_frames: int, prior: np.ndarray, seed: int
):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(target, minlength=n_frames)
    folds = min(INNER_FOLDS, int(counts[counts > 0].min()))
    best = (-1.0, C_GRID[0], PRIOR_WEIGHTS[0])
    if folds >= 2 and len(np.unique(target)) > 1:
        for c in C_GRID:
            oof = np.zeros((len(target), n_frames))
            for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
                X, target
            ):
                head = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(
                    X[train], target[train]
                )
                oof[np.ix_(test, head.classes_)] = head.predict_proba(X[test])
            for weight in PRIOR_WEIGHTS:
                pred = _blend(oof, prior, weight).argmax(axis=1)
                score = (pred == target).mean() + f1_score(target, pred, average="macro")
                if score > best[0] + 1e-9:
                    best = (score, c, weight)
    _, c, weight = best
    head = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(X, target)
    coef = np.zeros((n_frames, X.shape[1]))
    intercept = np.full(n_frames, -50.0)  # frames never seen in training: only the prior speaks
    classes = list(head.classes_)
    if len(classes) == 2:  # sklearn keeps one row for two classes: split it symmetrically
        coef[classes[1]], intercept[classes[1]] = head.coef_[0] / 2, head.intercept_[0] / 2
        coef[classes[0]], intercept[classes[0]] = -head.coef_[0] / 2, -head.intercept_[0] / 2
    else:
        for row, cls in enumerate(classes):
            coef[cls], intercept[cls] = head.coef_[row], head.intercept_[row]
    for f in sorted(set(range(n_frames)) - set(classes)):
        logger.warning("frame %d has no training rows: left to the zero-shot prior", f)
    return coef, intercept, np.zeros(n_frames), c, weight


# -- evaluation --------------------------------------------------------------------------


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
