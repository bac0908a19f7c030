"""Calibrate a FrameModel on labelled texts: per-frame thresholds, linear heads, and scores against gold.

Labelled rows look like {"id", "text", "title"?, "labels": [...], "primary"?}. With few labels
only a small head over the zero-shot similarity features is trained. With enough, two class-
balanced logistic heads are trained (one-vs-rest for multi-label codebooks, multinomial for
single-label ones): one over the mean passage embedding plus those features, one over TF-IDF
word unigrams and bigrams of the passages' texts (cue words an embedding blurs). Their
probabilities are mixed, then blended with the zero-shot model's, so the codebook keeps its say
where labels are thin. Each head's regularisation, the word head's share, the prior's weight and
per-frame thresholds are chosen together on out-of-fold predictions inside the training rows
only; a word head that does not help gets no share and is not stored. The result is a plain JSON
file (no pickles) with a content hash used as the calibration version.

A tuned calibration (tune.py) is the other kind: the head trained together with a fine-tuned
copy of the encoder, which is saved as a folder next to the JSON file and checked by the sha256
of its weights whenever the calibration is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from pipeline.errors import FramewatchError
from pipeline.framing.codebook import Codebook, fold_label
from pipeline.framing.lexical import Vocabulary
from pipeline.framing.model import zero_shot_scores

logger = logging.getLogger(__name__)

FORMAT = "framewatch-calibration/2"
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
SINGLE_LABEL_TEMPERATURE = 0.02
UNTRAINED_INTERCEPT = -50.0  # a frame without training rows: the head says no, the prior decides


@dataclass
class Calibration:
    codebook_fingerprint: str
    encoder_model_id: str
    frame_ids: list[str]
    multi_label: bool
    feature_set: str  # "embedding+similarity[+words]" | "similarity"
    n_features: int  # length of FrameModel.article_features()
    feature_start: int  # first column of article_features() the head uses
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (frames, used features)
    intercept: np.ndarray  # (frames,)
    thresholds: np.ndarray  # (frames,) on predict_proba's scale
    regularisation: float
    prior_weight: float  # weight of the zero-shot prior blended into the heads' probabilities
    n_train: int
    # The word head (lexical.py); lexical_weight 0 means none, and the arrays are empty.
    lexical_weight: float = 0.0  # its share of the supervised mix
    lexical_regularisation: float = 0.0
    lexical_terms: list[str] = field(default_factory=list)
    lexical_idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lexical_coef: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (frames, terms)
    lexical_intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (frames,)
    # A tuned calibration (tune.py) brings its own encoder: the sha256 of its weights, and the
    # directory it is in (next to the calibration file once saved; not part of the version).
    encoder_sha256: str = ""
    encoder_dir: Path | None = None
    # Which encoder was chosen and why (labeler.choose_encoder): {"model", "chosen_by",
    # "scores" (inner cross-validation score per candidate), "passages_per_second" per
    # candidate, "backend", "installed"}. Empty for calibrations made before encoders were
    # chosen. Saved in the file, but not part of the version hash.
    encoder_choice: dict[str, Any] = field(default_factory=dict)
    # The inner cross-validation score of the chosen head settings (not saved: a fitting result
    # the encoder chooser compares; encoder_choice keeps the scores that decided).
    inner_cv_score: float = float("nan")

    @property
    def tuned(self) -> bool:
        """Whether the passages must be embedded with this calibration's own (tuned) encoder."""
        return bool(self.encoder_sha256)

    @property
    def version(self) -> str:
        return hashlib.sha256(json.dumps(self._payload(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def uses_texts(self) -> bool:
        """Whether predict_proba needs the articles' passage texts as well as their features."""
        return self.lexical_weight > 0

    def predict_proba(self, features: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """(articles, frames) probabilities from article_features() rows and, when the
        calibration has a word head, each article's text (lexical.article_text of its passages)."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if features.shape[1] != self.n_features:
            raise FramewatchError(
                f"calibration expects {self.n_features} features per article, got {features.shape[1]}"
            )
        x = (features[:, self.feature_start :] - self.mean) / self.scale
        head = _probabilities(x @ self.coef.T + self.intercept, self.multi_label)
        if self.uses_texts:
            if texts is None or len(texts) != len(features):
                raise FramewatchError(
                    "this calibration has a word head: pass one text per article "
                    f"({len(features)}) along with the features"
                )
            vocabulary = Vocabulary(tuple(self.lexical_terms), self.lexical_idf)
            words = vocabulary.transform(list(texts)) @ self.lexical_coef.T + self.lexical_intercept
            head = _mix(
                head, _probabilities(np.asarray(words), self.multi_label), self.lexical_weight
            )
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
        """Write the calibration as JSON; a tuned encoder is copied into the same folder."""
        path = Path(path)
        payload = self._payload() | {"version": self.version}
        if self.encoder_choice:
            payload["encoder_choice"] = self.encoder_choice
        if self.tuned:
            payload["encoder_dir"] = _place_encoder(self.encoder_dir, path.parent).name
        path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf8")

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf8"))
        except FileNotFoundError:
            raise FramewatchError(f"{path}: no such calibration file") from None
        except json.JSONDecodeError as exc:
            raise FramewatchError(f"{path}: not a calibration file (bad JSON: {exc})") from None
        if not isinstance(payload, dict) or not str(payload.get("format", "")).startswith(
            "framewatch-calibration/"
        ):
            raise FramewatchError(f"{path}: not a calibration file (format is not {FORMAT})")
        if payload["format"] != FORMAT:
            raise FramewatchError(
                f"{path}: calibration format {payload['format']} is not this version's {FORMAT}: "
                "recalibrate (framewatch frames calibrate, or label --train)"
            )
        try:
            n_frames = len(payload["frame_ids"])
            arrays = {
                k: np.asarray(payload[k], dtype=np.float64)
                for k in (
                    "mean",
                    "scale",
                    "coef",
                    "intercept",
                    "thresholds",
                    "lexical_idf",
                    "lexical_intercept",
                )
            }
            # An empty word head is saved as one empty list per frame.
            arrays["lexical_coef"] = np.asarray(payload["lexical_coef"], dtype=np.float64).reshape(
                n_frames, len(payload["lexical_terms"])
            )
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
                lexical_weight=float(payload["lexical_weight"]),
                lexical_regularisation=float(payload["lexical_regularisation"]),
                lexical_terms=[str(t) for t in payload["lexical_terms"]],
                encoder_sha256=str(payload.get("encoder_sha256", "")),
                encoder_choice=_encoder_choice(payload.get("encoder_choice", {})),
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
        if cal.tuned:
            cal.encoder_dir = _check_encoder(path, payload.get("encoder_dir"), cal.encoder_sha256)
        return cal

    def _payload(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("encoder_dir")
        out.pop("inner_cv_score")
        if not self.tuned:  # calibrations without a tuned encoder keep their version hashes
            out.pop("encoder_sha256")
        # How the encoder was chosen is a record (speeds vary run to run), not the model: the
        # encoder itself is fixed by encoder_model_id. Saved beside the version, not in it.
        out.pop("encoder_choice")
        for key, value in out.items():
            if isinstance(value, np.ndarray):
                out[key] = np.round(value, 8).tolist()
        if not self.lexical_terms:
            out["lexical_coef"] = [[] for _ in self.frame_ids]
        return {"format": FORMAT} | out


def embedding_model(
    calibration: Calibration | None,
    default: str | Path | None,
    models_dir: Path | None = None,
) -> str | Path | None:
    """The model whose vectors a calibration reads: its own tuned encoder; else `default` (the
    model the user named); else the installed encoder the calibration chose (in models_dir);
    else None, the bundled default."""
    from pipeline.framing.models_registry import DEFAULT_NAME, default_models_dir, installed_path

    if calibration is not None and calibration.tuned:
        return calibration.encoder_dir
    if default:
        return default
    chosen = calibration.encoder_choice.get("model") if calibration is not None else None
    if chosen and chosen != DEFAULT_NAME and calibration.encoder_choice.get("installed"):
        return installed_path(chosen, models_dir or default_models_dir())
    return None


def _encoder_choice(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("encoder_choice is not an object")
    return value


def _place_encoder(encoder_dir: Path | None, folder: Path) -> Path:
    """The tuned encoder's directory inside folder, copied there unless it already is."""
    import shutil

    if encoder_dir is None or not encoder_dir.is_dir():
        raise FramewatchError(f"the tuned encoder {encoder_dir} is gone: recalibrate")
    target = folder / encoder_dir.name
    if target.resolve() == encoder_dir.resolve():
        return target
    if not target.exists():
        # Copied under a temporary name, then renamed: a full disk leaves no half encoder behind.
        partial = folder / f".{encoder_dir.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            shutil.copytree(encoder_dir, partial)
            partial.rename(target)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise FramewatchError(
                f"could not copy the tuned encoder to {target} ({exc.strerror or exc})"
            ) from None
    return target


def _check_encoder(path: Path, name: Any, sha256: str) -> Path:
    """The tuned encoder a calibration file names, after checking its weights are the tuned ones."""
    from pipeline.framing.embed import file_sha256

    if not isinstance(name, str) or not name or Path(name).name != name:
        raise FramewatchError(f"{path}: damaged calibration file (bad encoder_dir {name!r})")
    encoder_dir = path.parent / name
    weights = encoder_dir / "model.safetensors"
    if not weights.is_file():
        raise FramewatchError(
            f"{path}: its tuned encoder {encoder_dir} is missing: keep the folder next to the "
            "calibration file (copy both), or recalibrate"
        )
    if file_sha256(weights) != sha256:
        raise FramewatchError(
            f"{path}: the weights in {encoder_dir} are not the ones this calibration was tuned "
            "with (changed or damaged): recalibrate"
        )
    return encoder_dir


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


def _zero_shot_prior(relative: np.ndarray, multi_label: bool) -> np.ndarray:
    """The zero-shot model's opinion, as probabilities, from the pooled relative similarities."""
    if multi_label:
        return zero_shot_scores(relative)
    logits = relative / SINGLE_LABEL_TEMPERATURE
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _probabilities(logits: np.ndarray, multi_label: bool) -> np.ndarray:
    if multi_label:
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _mix(embedding: np.ndarray, words: np.ndarray, share: float) -> np.ndarray:
    return (1.0 - share) * embedding + share * words


def _blend(head: np.ndarray, prior: np.ndarray, weight: float) -> np.ndarray:
    return (head + weight * prior) / (1.0 + weight)


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
