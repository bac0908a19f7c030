"""Embeddings computed once per (model, passage text) and kept in the warehouse.

A re-run embeds only text it has not seen with the same model; relevance and framing share the
cache, so a headline embedded to judge relevance is not embedded again to frame the article.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.queries import named_queries

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """`encode(texts)` that reads known vectors from core.embeddings and stores new ones."""

    def __init__(self, con: duckdb.DuckDBPyConnection, embedder: Encoder) -> None:
        self.con = con
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.hits = 0
        self.misses = 0

    def lookup(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors for these text hashes (those not stored are absent)."""
        if not hashes:
            return {}
        wanted = pa.table({"text_sha256": pa.array(sorted(set(hashes)), pa.string())})
        self.con.register("wanted_hashes", wanted)
        try:
            rows = self.con.execute(
                named_queries("embeddings")["lookup"], [self.model_id]
            ).fetchall()
        finally:
            self.con.unregister("wanted_hashes")
        return {sha: np.asarray(vector, dtype=np.float32) for sha, vector in rows}

    def store(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if not len(hashes):
            return
        table = pa.table(
            {
                "model_id": pa.array([self.model_id] * len(hashes), pa.string()),
                "text_sha256": pa.array(list(hashes), pa.string()),
                "vector": pa.array([row.tolist() for row in vectors], pa.list_(pa.float32())),
            }
        )
        self.con.register("new_embeddings", table)
        try:
            self.con.execute(named_queries("embeddings")["store"])
        finally:
            self.con.unregister("new_embeddings")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, in order; only unseen texts go through the model."""
        hashes = [text_sha256(text) for text in texts]
        known = self.lookup(hashes)
        missing: dict[str, str] = {}
        for sha, text in zip(hashes, texts, strict=True):
            if sha not in known and sha not in missing:
                missing[sha] = text
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = np.asarray(self.embedder.encode(list(missing.values())), dtype=np.float32)
            self.store(list(missing), fresh)
            known.update(zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[sha] for sha in hashes])
