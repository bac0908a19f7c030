"""The article that started the project: its framings must be recognised."""

from __future__ import annotations

from pipeline.framing.codebook import load_codebook
from pipeline.framing.model import FrameModel
from pipeline.framing.passages import split_passages
from pipeline.settings import DEFAULT_SEEDS_DIR


def test_seed_article_carries_data_talent_and_regulation(shared_dir, embedder):
    lines = (shared_dir / "seeds" / "seed-article.txt").read_text(encoding="utf-8").split("\n\n")
    paragraphs = [p.strip() for p in lines if len(p.strip()) > 60]
    title = "Why China's Communist approach to AI is a blueprint for second place"
    passages = split_passages(title, paragraphs)
    model = FrameModel(load_codebook(DEFAULT_SEEDS_DIR / "frames.toml"), embedder)
    result = model.score(passages, embedder.encode([p.text for p in passages]))
    assert {"data_advantage", "talent", "regulation"} <= set(result.present), result.scores
    for frame in ("data_advantage", "talent", "regulation"):
        assert result.evidence[frame], f"no evidence passage for {frame}"
