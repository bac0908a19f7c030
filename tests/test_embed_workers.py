"""Embedding in several processes: the same vectors as one process, and clear errors when a worker fails."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from pipeline.errors import FramewatchError
from pipeline.framing import embed
from pipeline.framing.embed import MIN_TEXTS_FOR_WORKERS, Embedder, auto_workers

pytestmark = pytest.mark.slow  # starts embedding worker processes, each loading the model


def varied_texts(n: int) -> list[str]:
    """Passages of many lengths, so the length-sorted batches differ in cost."""
    words = [
        "chip",
        "export",
        "rules",
        "tighten",
        "as",
        "labs",
        "race",
        "for",
        "talent",
        "and",
        "data",
        "across",
        "the",
        "pacific",
    ]
    return [
        " ".join(words[(i * 7) % len(words) :] + words[: (i * 7) % len(words)]) * (1 + i % 9)
        for i in range(n)
    ]


def test_workers_give_the_same_vectors_as_one_process(embedder):
    texts = varied_texts(MIN_TEXTS_FOR_WORKERS + 40)
    parallel = Embedder(threads=1, workers=2)
    try:
        vectors = parallel.encode(texts)
        assert parallel._pool is not None, "a job this size should have started a worker"
        again = parallel.encode(list(reversed(texts)))  # the running pool is reused
        # Once workers run, a job of two batches is shared with them too.
        small = parallel.encode(texts[:40])
    finally:
        parallel.close()
    assert parallel._pool is None
    single = embedder.encode(texts)
    assert vectors.shape == single.shape and vectors.dtype == np.float32
    assert np.array_equal(vectors, single)
    assert np.allclose(small, single[:40], atol=1e-5)
    # Reversed, ties in length fall into other batches: equal up to float rounding, not bitwise.
    assert np.allclose(again, single[::-1], atol=1e-5)


def test_small_jobs_stay_in_this_process_until_they_add_up():
    embedder = Embedder(threads=1, workers=2)
    try:
        texts = varied_texts(100)
        embedder.encode(texts)
        embedder.encode(texts)
        assert embedder._pool is None
        embedder.encode(texts)  # 300 texts asked in all: a long job in small calls
        assert embedder._pool is not None
    finally:
        embedder.close()


def test_worker_that_cannot_load_the_same_model_is_an_error(tmp_path, monkeypatch):
    # A model directory replaced on disk between the parent's load and a worker's start must
    # never give vectors from two different models in one batch.
    source = embed.default_model_path()
    copy = tmp_path / "model"
    shutil.copytree(source, copy)
    changing = Embedder(str(copy), threads=1, workers=2)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    try:
        with pytest.raises(FramewatchError, match="embedding worker"):
            changing.encode(varied_texts(MIN_TEXTS_FOR_WORKERS))
    finally:
        changing.close()


def test_worker_count_is_checked_and_auto_is_bounded():
    with pytest.raises(FramewatchError, match="workers"):
        Embedder(workers=-1)
    assert 1 <= auto_workers() <= min(os.cpu_count() or 1, embed.MAX_AUTO_WORKERS)

