"""Label plain texts end to end: split into passages, embed, score; and calibrate from labelled texts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.framing.calibrate import Calibration, fit_calibration, gold_frames
from pipeline.framing.codebook import Codebook
from pipeline.framing.lexical import article_text
from pipeline.framing.model import ArticleFrames, FrameModel, TextEncoder
from pipeline.framing.passages import Passage, split_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedText:
    passages: list[Passage]
    vectors: np.ndarray


def embed_texts(rows: Sequence[Mapping[str, Any]], encoder: TextEncoder) -> list[EmbeddedText]:
    """Split each row ({"text", "title"?}) into passages and embed all passages in one pass."""
    split = [split_text(row.get("title"), row["text"]) for row in rows]
    flat = [p.text for passages in split for p in passages]
    vectors = encoder.encode(flat)
    out, start = [], 0
    for passages in split:
        out.append(EmbeddedText(passages, vectors[start : start + len(passages)]))
        start += len(passages)
    return out


def calibrate_on_rows(
    model: FrameModel,
    rows: Sequence[Mapping[str, Any]],
    embedded: Sequence[EmbeddedText],
    *,
    where: str = "row",
) -> Calibration:
    """Fit a calibration for model's codebook on labelled rows (already embedded)."""
    codebook: Codebook = model.codebook
    golds = [gold_frames(row, codebook, f"{where} {row.get('id')!r}") for row in rows]
    features = np.stack([model.article_features(e.vectors) for e in embedded])
    return fit_calibration(
        codebook,
        model.encoder_model_id,
        features,
        [g[0] for g in golds],
        [g[1] for g in golds],
        n_similarity_features=model.n_similarity_features,
        texts=[article_text(p.text for p in e.passages) for e in embedded],
    )


def label_embedded(model: FrameModel, embedded: Sequence[EmbeddedText]) -> list[ArticleFrames]:
    return model.score_many([(e.passages, e.vectors) for e in embedded])


def output_row(row_id: Any, text: EmbeddedText, frames: ArticleFrames) -> dict[str, Any]:
    """The JSON row `framewatch label` writes for one input text."""
    by_idx = {p.idx: p.text for p in text.passages}
    return {
        "id": row_id,
        "frames": frames.present,
        "primary": frames.primary,
        "scores": frames.scores,
        "evidence": {
            fid: [by_idx[idx] for idx, _ in hits] for fid, hits in frames.evidence.items()
        },
    }
