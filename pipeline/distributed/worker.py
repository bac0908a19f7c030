"""What a Dask worker runs: the pure cores of the clean and frame stages on one unit of work.

Workers never open the warehouse: with the single DuckDB file only the flow's process may write
it, so a unit's function takes its input as data and returns rows and the embeddings it
computed; the flow writes them, keyed and idempotently (pipeline/stages/clean.py and frame.py).

Models are loaded once per worker process, not per task: the relevance and frame models (and the
embedder under them, `pipeline.stages.runs.load_embedder`) are cached in this module, keyed by
the settings, and a Dask worker process keeps its imported modules between tasks. `MODEL_LOADS`
counts the loads, so a test can ask every worker how often it loaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.extraction.article import ExtractedArticle
from pipeline.settings import Settings
from pipeline.stages.clean import PendingPage, extract_page, judge_extracted
from pipeline.stages.embedding_cache import text_sha256
from pipeline.stages.frame import LabelledBatch, label_articles, label_version_for

MODEL_LOADS: dict[str, int] = {"relevance": 0, "framing": 0}
# A worker started with several threads runs several units at once; the models' recording
# encoders are shared, so one unit at a time uses them.
_MODEL_LOCK = threading.Lock()


@dataclass
class CleanedUnit:
    extracted: list[ExtractedArticle]
    judged: list[dict[str, Any] | None]  # relevance columns per page (judge_extracted)
    embeddings: dict[str, np.ndarray]  # text sha256 -> vector, computed for the relevance model
    model_id: str
    worker: str


@dataclass
class FramedUnit:
    labelled: LabelledBatch
    embeddings: dict[str, np.ndarray]  # vectors the worker computed (not among those it was sent)
    model_id: str
    worker: str


class _RecordingEncoder:
    """The embedder, remembering the vectors it computed for the unit at hand."""

    def __init__(self, embedder: Any, known: dict[str, np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.known = known or {}
        self.fresh: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        hashes = [text_sha256(text) for text in texts]
        missing = {sha: text for sha, text in zip(hashes, texts, strict=True)
                   if sha not in self.known and sha not in self.fresh}
        if missing:
            vectors = np.asarray(self.embedder.encode(list(missing.values())), dtype=np.float32)
            self.fresh.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self.known[sha] if sha in self.known else self.fresh[sha] for sha in hashes])


def on_worker(settings: Settings) -> Settings:
    """The settings as a worker runs them: one embedding process (the worker itself)."""
    return replace(settings, framing=replace(settings.framing, workers=1))


class _Delegate:
    """An encode function whose target is switched per unit (to record that unit's vectors)."""

    def __init__(self, encode: Any) -> None:
        self.default = self.current = encode

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.current(texts)


@lru_cache(maxsize=2)
def _relevance(settings: Settings) -> tuple[Any, Any, _Delegate]:
    from pipeline.relevance import RelevanceModel
    from pipeline.seeds import load_topic
    from pipeline.stages.runs import embedder_for

    MODEL_LOADS["relevance"] += 1
    embedder = embedder_for(settings)
    delegate = _Delegate(embedder.encode)
    return embedder, RelevanceModel(load_topic(settings.topic_path), delegate.encode), delegate


@lru_cache(maxsize=2)
def _framing(settings: Settings) -> tuple[Any, Any]:
    from pipeline.stages.runs import framing_for

    MODEL_LOADS["framing"] += 1
    return framing_for(settings)


def worker_name() -> str:
    try:
        from distributed import get_worker

        return f"{get_worker().name}/{os.getpid()}"
    except ValueError:  # not inside a Dask worker
        return f"local/{os.getpid()}"


def clean_unit(settings: Settings, archive_dir: str, pages: Sequence[PendingPage]) -> CleanedUnit:
    """Extract a unit's archived pages and judge their relevance."""
    extracted = [extract_page(archive_dir, page) for page in pages]
    with _MODEL_LOCK:
        embedder, relevance, delegate = _relevance(on_worker(settings))
        recording = _RecordingEncoder(embedder)
        delegate.current = recording.encode  # this unit's vectors are recorded for the flow to store
        try:
            judged = judge_extracted(extracted, relevance)
        finally:
            delegate.current = delegate.default
    return CleanedUnit(extracted, judged, recording.fresh, embedder.model_id, worker_name())


def frame_unit(settings: Settings, label_version: str, articles: Sequence[tuple[str, str | None, str]],
               known: dict[str, np.ndarray]) -> FramedUnit:
    """Split, embed and label a unit's articles; `known` are vectors the warehouse already has."""
    with _MODEL_LOCK:
        frame_model, embedder = _framing(on_worker(settings))
        ours = label_version_for(embedder.model_id, frame_model)
        if ours != label_version:
            # Another codebook, calibration or model on this worker's machine than on the flow's.
            raise RuntimeError(f"worker {worker_name()} labels with version {ours}, the flow with "
                               f"{label_version}: the codebook, calibration or model files differ")
        recording = _RecordingEncoder(embedder, known)
        labelled = label_articles(articles, frame_model, recording.encode, label_version)
    return FramedUnit(labelled, recording.fresh, embedder.model_id, worker_name())


def model_loads() -> dict[str, int]:
    """How often this process loaded each model (asked of every worker by the tests)."""
    return dict(MODEL_LOADS)


def archive_location(settings: Settings) -> str:
    """The archive folder as every worker must reach it (shared storage on a real cluster)."""
    return str(Path(settings.archive_path).resolve())
