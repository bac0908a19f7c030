"""Benchmark the framing engine (run by hand, not collected by pytest).

    PYTHONPATH=. .venv/bin/python tests/bench/bench_framing.py [--threads 1] [--passages 600] [--quality]
        [--model all-mpnet-base-v2] [--modes torch-x2,onnx-int8-x2] [--cosine]

Measures, each in a fresh subprocess so peak memory is its own:
  - passages/s embedded: sentence-transformers' plain `model.encode` with default settings, our
    Embedder on torch (length-sorted batches), ONNX Runtime, and ONNX Runtime with int8 weights,
    each in one process and (the "x2" rows) in two single-threaded processes;
  - articles/s labelled end to end (split, embed, score) for each Embedder backend;
  - peak resident memory of each run.
With --quality it also reruns the quality protocol (tests/test_framing_quality.py) per backend,
to show what the faster paths cost in macro-F1. Needs ../shared/eval/frames for real news text.
--model benchmarks another encoder (an installed model's name or a directory; default: the
bundled MiniLM), --modes a subset of the modes, and --cosine adds the cosine of each ONNX
backend's vectors to torch's on the same passages.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

MODES = ("plain", "torch", "onnx", "onnx-int8", "torch-x2", "onnx-x2", "onnx-int8-x2")


def backend_and_workers(mode: str) -> tuple[str, int]:
    backend, _, workers = mode.partition("-x")
    return backend, int(workers or 1)


def news_passages(limit: int) -> list[str]:
    """Passages as the pipeline makes them: frermann articles' body passages and gvfc headlines, mixed."""
    from test_framing_quality import load_rows

    from pipeline.framing.passages import split_text

    long = [p.text for r in load_rows("frermann") for p in split_text(r.get("title"), r["text"])]
    short = [r["text"] for r in load_rows("gvfc")]
    mixed = long[: limit * 2 // 3] + short[: limit - limit * 2 // 3]
    return mixed[:limit]


def resolve_model(name: str | None):
    """An installed model's folder by name, else the value itself (None: the bundled MiniLM)."""
    if not name:
        return None
    from pipeline.framing.models_registry import default_models_dir, model_argument
    from pipeline.settings import load_settings

    setting = load_settings(None).framing.models_dir
    return model_argument(name, Path(setting) if setting else default_models_dir())


def cosine_to_torch(model, threads: int, n_passages: int, cache_dir: str) -> dict:
    import numpy as np

    from pipeline.framing.embed import Embedder

    texts = news_passages(n_passages)
    reference = Embedder(model, threads=threads, workers=1).encode(texts)
    out = {"mode": "cosine", "passages": len(texts)}
    for backend in ("onnx", "onnx-int8"):
        vectors = Embedder(model, backend=backend, threads=threads, workers=1,
                           cache_dir=cache_dir).encode(texts)
        cosines = (vectors * reference).sum(axis=1)
        out[backend] = {"mean": round(float(cosines.mean()), 4),
                        "min": round(float(cosines.min()), 4),
                        "p01": round(float(np.quantile(cosines, 0.01)), 4)}
    return out


def run_mode(
    mode: str, threads: int, n_passages: int, n_articles: int, cache_dir: str, model=None
) -> dict:
    import torch

    torch.set_num_threads(threads)
    texts = news_passages(n_passages)
    out: dict = {
        "mode": mode,
        "threads": threads,
        "passages": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
    }
    if mode == "plain":
        from sentence_transformers import SentenceTransformer

        from pipeline.framing.embed import default_model_path

        model = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
        model.encode(texts[:8])  # warm-up
        start = time.perf_counter()
        model.encode(texts)
        out["passages_per_s"] = round(len(texts) / (time.perf_counter() - start), 1)
    else:
        from test_framing_quality import load_rows

        from pipeline.framing.codebook import load_codebook
        from pipeline.framing.embed import MIN_TEXTS_FOR_WORKERS, Embedder
        from pipeline.framing.labeler import embed_texts, label_embedded
        from pipeline.framing.model import FrameModel

        backend, workers = backend_and_workers(mode)
        embedder = Embedder(
            model, backend=backend, threads=threads, workers=workers, cache_dir=cache_dir
        )
        out["model"] = embedder.model_id
        # Warm-up; big enough to start the worker processes, whose start-up is not timed.
        embedder.encode(texts[: max(8, MIN_TEXTS_FOR_WORKERS if workers > 1 else 0)])
        start = time.perf_counter()
        embedder.encode(texts)
        out["passages_per_s"] = round(len(texts) / (time.perf_counter() - start), 1)
        rows = load_rows("frermann")[:n_articles]
        model = FrameModel(load_codebook(REPO / "seeds" / "codebooks" / "frermann.toml"), embedder)
        start = time.perf_counter()
        label_embedded(model, embed_texts(rows, embedder))
        out["articles_per_s"] = round(len(rows) / (time.perf_counter() - start), 2)
        embedder.close()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    # Workers' memory counts too (ru_maxrss of children is the largest child, not their sum).
    out["peak_rss_children_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return out


def quality(mode: str, threads: int, cache_dir: str) -> dict:
    from test_framing_quality import DATASETS, label_dataset, score

    from pipeline.framing.embed import Embedder

    embedder = Embedder(backend=mode, threads=threads, cache_dir=cache_dir)
    tmp = Path(tempfile.mkdtemp())
    results = {}
    for dataset in DATASETS:
        preds = label_dataset(dataset, embedder)
        results[dataset] = {
            m: {k: v for k, v in score(dataset, p, tmp).items() if not k.endswith("_std")}
            for m, p in preds.items()
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--passages", type=int, default=600)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument(
        "--quality", action="store_true", help="also rerun the quality protocol per backend"
    )
    parser.add_argument(
        "--cache-dir", default=None, help="ONNX export cache [default: a temporary dir]"
    )
    parser.add_argument("--model", default=None, help="encoder: installed name or directory")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes to run")
    parser.add_argument("--cosine", action="store_true", help="ONNX vectors' cosine to torch's")
    parser.add_argument("--child-cosine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--child-quality", choices=MODES[1:4], help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache_dir = args.cache_dir or tempfile.mkdtemp(prefix="framewatch-onnx-")
    model = resolve_model(args.model)
    if args.child:
        print(json.dumps(
            run_mode(args.child, args.threads, args.passages, args.articles, cache_dir, model)
        ))
        return 0
    if args.child_cosine:
        print(json.dumps(cosine_to_torch(model, args.threads, args.passages, cache_dir)))
        return 0
    if args.child_quality:
        print(json.dumps(quality(args.child_quality, args.threads, cache_dir)))
        return 0

    def child(*extra: str) -> dict:
        cmd = [
            sys.executable,
            __file__,
            "--threads",
            str(args.threads),
            "--passages",
            str(args.passages),
            "--articles",
            str(args.articles),
            "--cache-dir",
            cache_dir,
            *(["--model", args.model] if args.model else []),
            *extra,
        ]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"unknown modes {unknown}: choose from {', '.join(MODES)}")
    # Export/quantise once outside the timed runs.
    for mode in ("onnx", "onnx-int8"):
        if any(m.startswith(mode + "-x") or m == mode for m in modes):
            child("--child", mode)
    speed = [child("--child", mode) for mode in modes]
    plain = speed[0]["passages_per_s"]
    print(
        f"{'mode':<13} {'passages/s':>10} {'x plain':>8} {'articles/s':>10} {'peak MB':>8} "
        f"{'worker MB':>9}"
    )
    for row in speed:
        print(
            f"{row['mode']:<13} {row['passages_per_s']:>10} {row['passages_per_s'] / plain:>8.2f} "
            f"{row.get('articles_per_s', '-'):>10} {row['peak_rss_mb']:>8} "
            f"{row['peak_rss_children_mb'] or '-':>9}"
        )
    print(
        f"({speed[0]['passages']} passages, mean {speed[0]['mean_chars']} chars, {args.threads} "
        f"thread(s); x plain: relative to the first mode run; model {speed[0].get('model', 'MiniLM')})"
    )
    if args.cosine:
        print("cosine to torch", json.dumps(child("--child-cosine")))
    if args.quality:
        # Worker processes give the same vectors as one process: quality depends on the backend only.
        for mode in MODES[1:4]:
            print(mode, json.dumps(child("--child-quality", mode)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
