"""Framing engine: codebook, passages, embeddings, frame labels.

codebook -> FrameAnchors (prototypes, negatives); article -> passages -> vectors -> FrameModel
-> ArticleFrames (scores, present frames, primary frame, evidence passages). Storage is the
caller's business: everything here is pure apart from reading model and codebook files.
"""

from __future__ import annotations

from pipeline.framing.calibrate import Calibration, evaluate, fit_calibration, gold_frames
from pipeline.framing.codebook import Codebook, Frame, fold_label, load_codebook, parse_codebook
from pipeline.framing.embed import Embedder
from pipeline.framing.labeler import (
    EmbeddedText,
    calibrate_on_rows,
    embed_texts,
    label_embedded,
    output_row,
)
from pipeline.framing.model import ArticleFrames, FrameModel
from pipeline.framing.passages import Passage, split_passages, split_text

__all__ = [
    "ArticleFrames",
    "Calibration",
    "Codebook",
    "EmbeddedText",
    "Embedder",
    "Frame",
    "FrameModel",
    "Passage",
    "calibrate_on_rows",
    "embed_texts",
    "evaluate",
    "fit_calibration",
    "fold_label",
    "gold_frames",
    "label_embedded",
    "load_codebook",
    "output_row",
    "parse_codebook",
    "split_passages",
    "split_text",
]
