"""The Calibration record: what a fitted calibration holds, how it turns article features into
frame probabilities, and its JSON file (save, load, and a tuned encoder kept beside it).

Fitting lives in fitting.py, scoring against gold in scoring.py. The file is plain JSON (no
pickles) whose content hash is the calibration version. A tuned calibration (tune.py) brings its
own encoder, saved as a folder next to the JSON file and checked by the sha256 of its weights
whenever the calibration is loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import FramewatchError
from pipeline.framing.codebook import Codebook
from pipeline.framing.lexical import Vocabulary

FORMAT = "framewatch-calibration/2"
# The zero-shot prior blended into a calibration's probabilities reads the pooled relative
# similarities through these fixed transforms. Every saved calibration's prior weight and
# thresholds were chosen with them, so they are frozen here, apart from the zero-shot score the
# warehouse stores (model.zero_shot_probabilities), which may be refitted without moving any
# calibrated model.
PRIOR_THRESHOLD = 0.06  # multi-label: 0.5 at this relative similarity ...
PRIOR_SCALE = 0.02  # ... rising this steeply
SINGLE_LABEL_TEMPERATURE = 0.02


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


# -- how heads' outputs become probabilities (shared with fitting.py) -----------------------


def _zero_shot_prior(relative: np.ndarray, multi_label: bool) -> np.ndarray:
    """The zero-shot model's opinion, as probabilities, from the pooled relative similarities."""
    if multi_label:
        return 1.0 / (1.0 + np.exp(-(relative - PRIOR_THRESHOLD) / PRIOR_SCALE))
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
