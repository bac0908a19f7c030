"""Embedding batches group texts of about the same length, so little work goes into padding."""

from __future__ import annotations

import numpy as np

from pipeline.framing.embed import BATCH_LENGTH_SLACK, BATCH_LENGTH_SLACK_TOKENS


def mixed_passages() -> list[str]:
    """Headlines and paragraphs of very different lengths, in no particular order."""
    sentence = "Chip export rules tighten as labs in both countries race for talent and data. "
    return [
        "AI race heats up",
        sentence * 12,
        "Export curbs on chips",
        sentence * 3,
        sentence * 30,  # longer than the model reads: cut at max_seq_length tokens
        sentence,
        "Beijing answers",
        sentence * 7,
        sentence * 12 + "One more clause.",
        sentence * 2,
    ]


def token_lengths(embedder, texts: list[str]) -> list[int]:
    ids = embedder.tokenizer(texts, truncation=True, max_length=embedder.max_seq_length)
    return [len(row) for row in ids["input_ids"]]


def test_every_text_is_in_one_batch_of_similar_lengths(embedder):
    texts = mixed_passages()
    batches = embedder.plan_batches(texts)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    lengths = token_lengths(embedder, texts)
    for batch in batches:
        assert len(batch) <= embedder.batch_size
        longest = lengths[batch[0]]
        assert longest == max(lengths[i] for i in batch)
        slack = max(BATCH_LENGTH_SLACK * longest, BATCH_LENGTH_SLACK_TOKENS)
        assert all(longest - lengths[i] <= slack for i in batch)
    # longest first, and the headlines are not padded to the length of the paragraphs
    firsts = [lengths[batch[0]] for batch in batches]
    assert firsts == sorted(firsts, reverse=True)
    headlines = {0, 2, 6}
    assert any(headlines <= set(batch) for batch in batches)
    assert all(not (headlines & set(batch)) or set(batch) <= headlines for batch in batches)


def test_batches_never_exceed_the_batch_size(embedder):
    texts = [f"the same short headline number {n}" for n in range(3 * embedder.batch_size + 5)]
    sizes = [len(batch) for batch in embedder.plan_batches(texts)]
    assert max(sizes) == embedder.batch_size and sum(sizes) == len(texts)


def test_vectors_do_not_depend_on_the_batch_a_text_lands_in(embedder):
    texts = mixed_passages()
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode([text]) for text in texts])
    assert together.shape == (len(texts), embedder.dim)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, embedder.dim)
