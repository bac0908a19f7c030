"""Frame scoring: passage vectors in, article-level frame scores, labels, primary frame and evidence out.

Zero-shot, each frame is a prototype (its definition plus the mean of its exemplars) and a
passage's frame score is its cosine to that prototype, lowered when the passage sits closer to
one of the frame's near-miss negatives than to the prototype, and then centred on the passage's
mean score over all frames: what all frames share is the topic, what is left is the framing. Article scores pool the best
passages (mean of the top k), so one strongly framed paragraph counts, but a single stray
sentence in a long article counts less than two. A frame is present when its pooled score clears
ZERO_SHOT_THRESHOLD; the stored 0..1 score is that margin's approximate probability
(zero_shot_probabilities). With a calibration (see calibration.py, fitting.py)
trained linear heads over pooled embeddings and these similarity features (and, if it has one,
over the words of the passages' texts) replace the zero-shot scores.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from pipeline.errors import FramewatchError
from pipeline.framing.codebook import Codebook
from pipeline.framing.lexical import article_text
from pipeline.framing.passages import Passage

if TYPE_CHECKING:
    from pipeline.framing.calibrate import Calibration

logger = logging.getLogger(__name__)

# Zero-shot constants, chosen once on the principle above and checked on the evaluation sets;
# calibration replaces the threshold with per-frame ones learnt from labels.
TOP_K_PASSAGES = 2
NEGATIVE_MARGIN_WEIGHT = 0.5
# A frame is present when its pooled score beats the passage's mean over all frames by this much:
# the shared topic (every frame of an AI-race codebook is "about AI") cancels out.
ZERO_SHOT_THRESHOLD = 0.06
# The zero-shot score stored with every label and evidence passage is an approximate probability
# that the frame is present: a logistic of the margin (pooled relative similarity minus
# ZERO_SHOT_THRESHOLD), fitted once on the development halves of the three public evaluation sets
# with all-MiniLM-L6-v2 (tests/bench/fit_zero_shot_probability.py; docs/framing.md, "What a
# score means"). Cross-fitted it scored log-loss 0.19-0.54 and calibration error 0.02-0.07 on
# those sets, with no score at 0.995 or above; the former steep logistic (scale 0.02, 0.5 at the
# threshold) put 4-20% of scores there and was off by 0.14-0.27. At the threshold it reads 0.17,
# not 0.5: the zero-shot decision is taken on the margin and stays what it was.
# Changing either number changes what stored scores mean: zero_shot_version() changes with them,
# so the frame stage relabels instead of mixing scales.
ZERO_SHOT_PROBABILITY_SLOPE = 16.0
ZERO_SHOT_PROBABILITY_INTERCEPT = -1.57
EVIDENCE_PASSAGES = 3


class TextEncoder(Protocol):
    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ArticleFrames:
    scores: dict[str, float]
    present: list[str]
    primary: str
    evidence: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class FrameAnchors:
    """The codebook's texts as vectors: one prototype per frame, and each frame's negatives."""

    prototypes: np.ndarray  # (frames, dim), unit length
    negatives: tuple[np.ndarray, ...]  # per frame (n_negatives, dim), possibly empty

    @classmethod
    def from_codebook(cls, codebook: Codebook, encoder: TextEncoder) -> FrameAnchors:
        texts: list[str] = []
        spans: list[tuple[int, int, int]] = []
        for frame in codebook.frames:
            start = len(texts)
            texts.append(frame.definition)
            texts.extend(frame.exemplars)
            mid = len(texts)
            texts.extend(frame.negatives)
            spans.append((start, mid, len(texts)))
        vectors = encoder.encode(texts)
        prototypes, negatives = [], []
        for start, mid, end in spans:
            definition, exemplars = vectors[start], vectors[start + 1 : mid]
            proto = exemplars.mean(axis=0) + definition
            prototypes.append(proto / np.linalg.norm(proto))
            negatives.append(vectors[mid:end])
        return cls(np.stack(prototypes).astype(np.float32), tuple(negatives))


class FrameModel:
    """Labels articles with a codebook's frames from their passage vectors."""

    def __init__(
        self,
        codebook: Codebook,
        encoder: TextEncoder,
        *,
        calibration: Calibration | None = None,
    ) -> None:
        self.codebook = codebook
        self.frame_ids = codebook.frame_ids
        self.encoder_model_id = encoder.model_id
        self.anchors = FrameAnchors.from_codebook(codebook, encoder)
        self.calibration = None
        if calibration is not None:
            self.use_calibration(calibration)

    @property
    def version(self) -> str:
        """Codebook fingerprint + calibration hash: stored with every label this model makes."""
        cal = self.calibration.version if self.calibration is not None else zero_shot_version()
        return f"{self.codebook.fingerprint}+{cal}"

    @property
    def n_similarity_features(self) -> int:
        return 4 * len(self.frame_ids)

    @property
    def n_features(self) -> int:
        """Length of article_features(): the embedding, then the similarity features."""
        return self.anchors.prototypes.shape[1] + self.n_similarity_features

    def use_calibration(self, calibration: Calibration) -> None:
        calibration.check_compatible(self.codebook, self.encoder_model_id)
        self.calibration = calibration

    # -- features -------------------------------------------------------------------------

    def passage_similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(passages, frames) zero-shot scores: cosine to prototype minus the negative margin."""
        vectors = _check_vectors(vectors, self.anchors.prototypes.shape[1])
        sims = vectors @ self.anchors.prototypes.T
        for f, negatives in enumerate(self.anchors.negatives):
            if len(negatives):
                nearest_negative = (vectors @ negatives.T).max(axis=1)
                sims[:, f] -= NEGATIVE_MARGIN_WEIGHT * np.maximum(
                    0.0, nearest_negative - sims[:, f]
                )
        return sims

    def relative_similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Passage similarities minus the passage's mean over frames: frame, not topic."""
        sims = self.passage_similarities(vectors)
        return sims - sims.mean(axis=1, keepdims=True)

    def similarity_features(self, vectors: np.ndarray) -> np.ndarray:
        """Article-level zero-shot features, per frame: top-k mean, max and mean of the passage
        similarities, then the pooled relative similarity the zero-shot decision uses (last block)."""
        sims = self.passage_similarities(vectors)
        relative = sims - sims.mean(axis=1, keepdims=True)
        return np.concatenate(
            [_top_k_mean(sims), sims.max(axis=0), sims.mean(axis=0), _top_k_mean(relative)]
        )

    def article_features(self, vectors: np.ndarray) -> np.ndarray:
        """What a calibrated head sees: mean passage embedding, then the similarity features."""
        vectors = _check_vectors(vectors, self.anchors.prototypes.shape[1])
        return np.concatenate([vectors.mean(axis=0), self.similarity_features(vectors)]).astype(
            np.float32
        )

    # -- scoring --------------------------------------------------------------------------

    def score(self, passages: Sequence[Passage], vectors: np.ndarray) -> ArticleFrames:
        """Frame scores, present frames, the primary frame and evidence passages for one article."""
        return self.score_many([(passages, vectors)])[0]

    def score_many(
        self, articles: Iterable[tuple[Sequence[Passage], np.ndarray]]
    ) -> list[ArticleFrames]:
        articles = list(articles)
        for passages, vectors in articles:
            if len(passages) != len(vectors):
                raise FramewatchError(f"{len(passages)} passages but {len(vectors)} vectors")
        if not articles:
            return []
        if self.calibration is None:
            # Decided on the margin itself (present at 0 and above, as ever); the stored score
            # is the margin's approximate probability.
            margins = np.stack([self.zero_shot_margins(v) for _, v in articles])
            article_scores = zero_shot_probabilities(margins)
        else:
            article_scores = self.calibration.predict_proba(
                np.stack([self.article_features(v) for _, v in articles]),
                [article_text(p.text for p in passages) for passages, _ in articles],
            )
            margins = article_scores - self.calibration.thresholds  # present at 0 and above
        return [
            self._decide(passages, vectors, scores, above)
            for (passages, vectors), scores, above in zip(
                articles, article_scores, margins, strict=True
            )
        ]

    def zero_shot_margins(self, vectors: np.ndarray) -> np.ndarray:
        """(frames,) how far each frame's pooled relative similarity clears the zero-shot
        threshold (cosine units): the zero-shot model marks a frame present at 0 and above."""
        return _top_k_mean(self.relative_similarities(vectors)) - ZERO_SHOT_THRESHOLD

    def passage_scores(
        self, vectors: np.ndarray, passages: Sequence[Passage] | None = None
    ) -> np.ndarray:
        """(passages, frames) scores on the article scale, each passage read as an article alone.

        A calibration with a word head also needs the passages' texts."""
        if self.calibration is None:
            return zero_shot_probabilities(self.relative_similarities(vectors) - ZERO_SHOT_THRESHOLD)
        feats = np.stack([self.article_features(v[None, :]) for v in vectors])
        texts = [p.text for p in passages] if passages is not None else None
        return self.calibration.predict_proba(feats, texts)

    def _decide(
        self,
        passages: Sequence[Passage],
        vectors: np.ndarray,
        scores: np.ndarray,
        above: np.ndarray,
    ) -> ArticleFrames:
        """`above`: per frame, how far it clears its presence cut (present at 0 and above):
        the score minus its threshold with a calibration, the margin zero-shot."""
        ids = self.frame_ids
        primary_idx = (
            int(np.argmax(above)) if self.codebook.multi_label else int(np.argmax(scores))
        )
        if self.codebook.multi_label:
            present_idx = [i for i in np.argsort(-scores) if above[i] >= 0]
        else:
            present_idx = [primary_idx]
        evidence: dict[str, list[tuple[int, float]]] = {}
        if present_idx and len(passages):
            per_passage = self.passage_scores(vectors, passages)
            for i in present_idx:
                order = np.argsort(-per_passage[:, i])[:EVIDENCE_PASSAGES]
                evidence[ids[i]] = [
                    (passages[j].idx, round(float(per_passage[j, i]), 4)) for j in order
                ]
        return ArticleFrames(
            scores={fid: round(float(s), 4) for fid, s in zip(ids, scores, strict=True)},
            present=[ids[i] for i in present_idx],
            primary=ids[primary_idx],
            evidence=evidence,
        )


def _top_k_mean(sims: np.ndarray, k: int = TOP_K_PASSAGES) -> np.ndarray:
    k = min(k, len(sims))
    return np.sort(sims, axis=0)[-k:].mean(axis=0)


def zero_shot_probabilities(margins: np.ndarray) -> np.ndarray:
    """Approximate probabilities that frames are present, from zero-shot margins (see
    ZERO_SHOT_PROBABILITY_SLOPE): what the warehouse stores as a zero-shot label's score."""
    margins = np.asarray(margins, dtype=np.float64)
    logits = ZERO_SHOT_PROBABILITY_SLOPE * margins + ZERO_SHOT_PROBABILITY_INTERCEPT
    return 1.0 / (1.0 + np.exp(-logits))


def zero_shot_version() -> str:
    """The zero-shot part of a label version: names the model's constants a zero-shot label's
    decision or score depends on, so a change to any of them gives new labels a new version (how
    articles are cut into passages is not among them: see passages.MAX_CHARS)."""
    constants = (
        f"k{TOP_K_PASSAGES}-n{NEGATIVE_MARGIN_WEIGHT:g}-t{ZERO_SHOT_THRESHOLD:g}"
        f"-p{ZERO_SHOT_PROBABILITY_SLOPE:g},{ZERO_SHOT_PROBABILITY_INTERCEPT:g}"
    )
    return f"zeroshot-{constants}"


def _check_vectors(vectors: np.ndarray, dim: int) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dim or len(vectors) == 0:
        raise FramewatchError(
            f"expected a non-empty (passages, {dim}) array of vectors, got shape {vectors.shape}"
        )
    return vectors
