"""How long articles are cut into passages and pooled into article features (run by hand).

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python tests/bench/bench_passages.py \
        [--datasets frermann,gvfc,frac] [--configs current,chars-1100,...] [--salts 3] \
        [--model all-mpnet-base-v2] [--backend torch|onnx|onnx-int8] [--cache /tmp/fw-bench-passages]

For each configuration (how passages are cut, how passage vectors become the article features a
calibrated head reads) it reruns the quality protocol of tests/test_framing_quality.py with the
calibrated labeller (`calibrate_on_rows`: frozen encoder, heads chosen by inner cross-validation,
as `frames calibrate` and `label --train` without tuning): 5 folds by
sha256('<salt><dataset>:<id>') % 5 (salt "" is the quality gate's split, the others repeat it
with other splits), calibrate on 4 folds, label the 5th, score every row with
`calibrate.evaluate` (the evaluation scorer's definitions). It prints one JSON line per
configuration and dataset: macro-F1 per salt, their mean and spread (max - min), the number of
passages and their median length in the encoder's tokens.

Each distinct passage text is embedded once per model and kept on disk (--cache), so
configurations that share passages share the work. Needs ../shared/eval/frames.

Configurations are "<cut>/<pool>":
  cut:  current        split_text's defaults (passages.MAX_CHARS, MIN_CHARS)
        chars-N        split_text with max_chars=N (min_chars scaled with it)
        chars-N-overlap-M  the same, each body passage prefixed by the last sentences (up to M
                       characters) of the passage before it
        whole          one passage per article (the encoder truncates it at its max length)
  pool: mean           mean of the passage vectors (the product's article_features)
        meanmax        mean and element-wise max, concatenated
        topK           mean of the K passages most similar to any frame prototype
        leadN          mean of the first N passages
        leadw          mean weighted 1/(1 + i/2) by position i
        dropS          passages shorter than S characters left out (the longest is always kept)
The similarity features after the pooled embedding are the product's (top-k mean, max and mean of
the passage-to-frame similarities) over the passages that count.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from test_framing_quality import FOLDS, load_rows

from pipeline.framing.codebook import load_codebook
from pipeline.framing.crossfit import fold_of
from pipeline.framing.labeler import EmbeddedText, calibrate_on_rows, label_embedded
from pipeline.framing.model import FrameModel
from pipeline.framing.passages import MAX_CHARS, MIN_CHARS, Passage, sentences, split_text

DEFAULT_CONFIGS = (
    "current/mean",
    "current/meanmax",
    "current/top3",
    "current/lead3",
    "current/leadw",
    "current/drop250",
    "chars-500/mean",
    "chars-1100/mean",
    "chars-1600/mean",
    "chars-700-overlap-200/mean",
    "whole/mean",
)
SALTS = ("", "s1:", "s2:", "s3:", "s4:")


# -- cutting ---------------------------------------------------------------------------------


def cut(config: str, title: str | None, text: str) -> list[Passage]:
    if config == "current":
        return split_text(title, text)
    if config == "whole":
        body = " ".join(text.split())
        return [Passage(0, "body", body)] if body else split_text(title, text)
    parts = config.split("-")
    if parts[0] != "chars":
        raise SystemExit(f"unknown cut {config!r}")
    max_chars = int(parts[1])
    min_chars = max(1, round(MIN_CHARS * max_chars / MAX_CHARS))
    passages = split_text(title, text, max_chars=max_chars, min_chars=min_chars)
    if len(parts) == 4 and parts[2] == "overlap":
        return _with_overlap(passages, int(parts[3]))
    if len(parts) != 2:
        raise SystemExit(f"unknown cut {config!r}")
    return passages


def _with_overlap(passages: list[Passage], overlap_chars: int) -> list[Passage]:
    """Each body passage after the first starts with the last whole sentences of the one before
    (as many as fit in overlap_chars; at least one)."""
    out: list[Passage] = []
    previous: Passage | None = None
    for p in passages:
        if previous is not None and previous.kind == "body" and p.kind == "body":
            carried: list[str] = []
            for sentence in reversed(sentences(previous.text)):
                if carried and sum(len(s) + 1 for s in carried) + len(sentence) > overlap_chars:
                    break
                carried.insert(0, sentence)
            out.append(Passage(p.idx, p.kind, " ".join([*carried, p.text])))
        else:
            out.append(p)
        previous = p
    return out


# -- embedding, each distinct passage once ----------------------------------------------------


class VectorCache:
    """Passage vectors by sha256 of the text, one .npz per model under the cache folder."""

    def __init__(self, folder: Path, encoder) -> None:
        self.encoder = encoder
        safe = encoder.model_id.replace("/", "_")
        self.path = folder / f"{safe}.npz"
        folder.mkdir(parents=True, exist_ok=True)
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            data = np.load(self.path)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self.embedded = 0
        self.seconds = 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items()
        )
        if missing:
            started = time.perf_counter()
            fresh = self.encoder.encode([t for _, t in missing])
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            self.vectors.update({k: v for (k, _), v in zip(missing, fresh, strict=True)})
            keys_all = list(self.vectors)
            # Written aside, then renamed: another run reading the cache never sees half a file.
            partial = self.path.with_suffix(".partial.npz")
            np.savez(
                partial,
                keys=np.array(keys_all),
                vectors=np.stack([self.vectors[k] for k in keys_all]),
            )
            partial.replace(self.path)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)


# -- pooling ----------------------------------------------------------------------------------


class PooledModel(FrameModel):
    """FrameModel whose article features pool the passage vectors another way."""

    pool: Callable[[FrameModel, np.ndarray], np.ndarray]

    def article_features(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        return np.concatenate(
            [type(self).pool(self, vectors), self.similarity_features(vectors)]
        ).astype(np.float32)


def pooling(name: str) -> tuple[Callable[[FrameModel, np.ndarray], np.ndarray] | None, int]:
    """(vector pooling, or None for the product's; minimum passage length that counts)."""
    if name == "mean":
        return None, 0
    if name == "meanmax":
        return lambda m, v: np.concatenate([v.mean(axis=0), v.max(axis=0)]), 0
    if name.startswith("top"):
        k = int(name[3:])

        def top(m: FrameModel, v: np.ndarray) -> np.ndarray:
            salience = m.passage_similarities(v).max(axis=1)
            return v[np.argsort(-salience)[:k]].mean(axis=0)

        return top, 0
    if name.startswith("lead") and name[4:].isdigit():
        n = int(name[4:])
        return lambda m, v: v[:n].mean(axis=0), 0
    if name == "leadw":

        def lead_weighted(m: FrameModel, v: np.ndarray) -> np.ndarray:
            w = 1.0 / (1.0 + np.arange(len(v)) / 2.0)
            return (v * w[:, None]).sum(axis=0) / w.sum()

        return lead_weighted, 0
    if name.startswith("drop"):
        return None, int(name[4:])
    raise SystemExit(f"unknown pooling {name!r}")


def counted(embedded: EmbeddedText, min_chars: int) -> EmbeddedText:
    if not min_chars or len(embedded.passages) < 2:
        return embedded
    keep = [i for i, p in enumerate(embedded.passages) if len(p.text) >= min_chars]
    if not keep:
        keep = [max(range(len(embedded.passages)), key=lambda i: len(embedded.passages[i].text))]
    return EmbeddedText([embedded.passages[i] for i in keep], embedded.vectors[keep])


# -- the protocol -----------------------------------------------------------------------------


def cross_fitted_macro_f1(
    dataset: str, rows: list[dict], embedded: list[EmbeddedText], model: FrameModel, salt: str
) -> dict[str, float]:
    from pipeline.framing.calibrate import evaluate

    preds: list[dict | None] = [None] * len(rows)
    assignment = [fold_of(f"{salt}{dataset}", r["id"], FOLDS) for r in rows]
    for k in range(FOLDS):
        train = [i for i, f in enumerate(assignment) if f != k]
        test = [i for i, f in enumerate(assignment) if f == k]
        fitted = copy.copy(model)  # the same codebook anchors: no second encoding pass
        fitted.calibration = None
        fitted.use_calibration(
            calibrate_on_rows(fitted, [rows[i] for i in train], [embedded[i] for i in train])
        )
        for i, result in zip(
            test, label_embedded(fitted, [embedded[i] for i in test]), strict=True
        ):
            preds[i] = {"id": rows[i]["id"], "frames": result.present, "primary": result.primary}
    scores = evaluate(rows, preds)
    return {
        k: round(float(scores[k]), 4)
        for k in ("macro_f1", "micro_f1", "primary_accuracy")
        if k in scores
    }


def run(dataset: str, config: str, cache: VectorCache, salts: Sequence[str]) -> dict[str, Any]:
    cut_name, _, pool_name = config.partition("/")
    pool, min_chars = pooling(pool_name or "mean")
    rows = load_rows(dataset)
    split = [cut(cut_name, r.get("title"), r["text"]) for r in rows]
    vectors = cache.encode([p.text for passages in split for p in passages])
    embedded, start = [], 0
    for passages in split:
        embedded.append(
            counted(EmbeddedText(passages, vectors[start : start + len(passages)]), min_chars)
        )
        start += len(passages)
    codebook = load_codebook(REPO / "seeds" / "codebooks" / f"{dataset}.toml")
    if pool is None:
        model = FrameModel(codebook, cache.encoder)
    else:
        cls = type("Pooled", (PooledModel,), {"pool": staticmethod(pool)})
        model = cls(codebook, cache.encoder)
    tokenizer = cache.encoder.tokenizer
    lengths = [len(tokenizer(p.text)["input_ids"]) for passages in split for p in passages]
    started = time.perf_counter()
    per_salt = {
        salt or "0": cross_fitted_macro_f1(dataset, rows, embedded, model, salt) for salt in salts
    }
    f1s = [s["macro_f1"] for s in per_salt.values()]
    return {
        "dataset": dataset,
        "config": config,
        "model": cache.encoder.model_id,
        "macro_f1_mean": round(statistics.mean(f1s), 4),
        "macro_f1_spread": round(max(f1s) - min(f1s), 4),
        "macro_f1_sd": round(statistics.stdev(f1s), 4) if len(f1s) > 1 else 0.0,
        "per_salt": per_salt,
        "passages": len(lengths),
        "tokens_median": int(np.median(lengths)),
        "tokens_over_max": int(sum(n > cache.encoder.max_seq_length for n in lengths)),
        "fit_seconds": round(time.perf_counter() - started, 1),
    }


def summary(results: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of result lines, with each configuration's per-split gain over
    current/mean of the same model and dataset (the same splits, so the gain is paired)."""
    base = {(r["dataset"], r["model"]): r for r in results if r["config"] == "current/mean"}
    lines = [
        (
            "| set | model | config | passages | median tokens | macro-F1 per split "
            "| mean ± spread | gain over current/mean per split (mean) |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f1s = [s["macro_f1"] for s in r["per_salt"].values()]
        reference = base.get((r["dataset"], r["model"]))
        gain = "–"
        if reference is not None and r is not reference:
            deltas = [
                r["per_salt"][salt]["macro_f1"] - reference["per_salt"][salt]["macro_f1"]
                for salt in r["per_salt"]
                if salt in reference["per_salt"]
            ]
            gain = (
                " / ".join(f"{d:+.3f}" for d in deltas) + f" ({statistics.mean(deltas):+.3f})"
                if deltas
                else "–"
            )
        lines.append(
            f"| {r['dataset']} | {r['model'].split('/')[0]} {r['model'].split('/')[1]} "
            f"| {r['config']} | {r['passages']} | {r['tokens_median']} "
            f"| {' / '.join(f'{f:.3f}' for f in f1s)} "
            f"| {r['macro_f1_mean']:.3f} ± {r['macro_f1_spread']:.3f} | {gain} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="frermann")
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS))
    parser.add_argument(
        "--salts", type=int, default=3, help="how many splits (the first is the quality gate's)"
    )
    parser.add_argument(
        "--skip-salts", type=int, default=0, help="start at this split (add splits to a run)"
    )
    parser.add_argument(
        "--model",
        default=None,
        help="an installed model's name or a folder (default: bundled MiniLM)",
    )
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fw-bench-passages"))
    parser.add_argument(
        "--summarize",
        nargs="+",
        type=Path,
        metavar="JSONL",
        help="print a Markdown table of earlier runs' output lines instead",
    )
    args = parser.parse_args()
    if args.summarize:
        results = [
            json.loads(line)
            for path in args.summarize
            for line in path.read_text(encoding="utf8").splitlines()
            if line.startswith("{")
        ]
        print(summary(results))
        return

    from bench_framing import resolve_model

    from pipeline.framing.embed import Embedder

    encoder = Embedder(
        resolve_model(args.model), backend=args.backend, threads=args.threads, workers=1
    )
    cache = VectorCache(args.cache, encoder)
    salts = SALTS[args.skip_salts : args.skip_salts + args.salts]
    for dataset in args.datasets.split(","):
        for config in args.configs.split(","):
            result = run(dataset, config, cache, salts)
            result["embedded_now"], result["embed_seconds"] = (
                cache.embedded,
                round(cache.seconds, 1),
            )
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
