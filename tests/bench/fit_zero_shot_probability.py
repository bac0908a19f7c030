"""Fit (and check) the zero-shot score: a logistic of the zero-shot margin, read as the probability
that a frame is present. Run by hand; it prints the numbers docs/framing.md quotes.

    HF_HUB_OFFLINE=1 .venv/bin/python tests/bench/fit_zero_shot_probability.py [--cache DIR]

Data: the development halves of ../shared/eval/frames (gvfc headlines, frac sentences, frermann
articles), each labelled zero-shot with its codebook in seeds/codebooks/ by all-MiniLM-L6-v2.
Every (text, frame) pair is one binary item: the margin (model.FrameModel.zero_shot_margins) and
whether the annotators gave the text that frame. Each set weighs the same in a fit, whatever its
size. Measured three ways, never on the rows a mapping was fitted on:

* 5-fold cross-fitting (fold = sha256("<set>:<id>") % 5, the quality gate's folds), one mapping
  fitted on the other folds of all three sets;
* leave one set out: fitted on two sets, scored on the third (a codebook it never saw, as the
  AI-race codebook is);
* against the former steep logistic (scale 0.02, 0.5 at the threshold) and a per-set constant.

Two mappings are compared: slope only (0.5 kept at the threshold) and slope plus intercept. The
last lines print the mapping fitted on all rows, and how model.zero_shot_probabilities (the
constants in pipeline/framing/model.py) scores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

SETS = ("gvfc", "frac", "frermann")
FOLDS = 5
OLD_SCALE = 0.02


def margins_and_labels(dataset: str, embedder, cache_dir: Path | None):
    from test_framing_quality import cached_embeddings, fold_of, load_rows

    from pipeline.framing.codebook import load_codebook
    from pipeline.framing.model import FrameModel
    from pipeline.framing.scoring import gold_frames

    rows = load_rows(dataset)
    codebook = load_codebook(REPO / "seeds" / "codebooks" / f"{dataset}.toml")
    model = FrameModel(codebook, embedder)
    embedded = cached_embeddings(dataset, embedder, cache_dir)
    margins = np.stack([model.zero_shot_margins(e.vectors) for e in embedded]).astype(np.float64)
    labels = np.array(
        [[f in gold_frames(r, codebook, dataset)[0] for f in codebook.frame_ids] for r in rows],
        dtype=float,
    )
    folds = np.array([fold_of(dataset, r["id"]) for r in rows])
    return margins, labels, folds


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


def fit(margins: np.ndarray, labels: np.ndarray, weights: np.ndarray, intercept: bool):
    """(slope, intercept) of the weighted maximum-likelihood logistic of the margin."""
    from scipy.optimize import minimize

    def loss(params: np.ndarray) -> float:
        z = params[0] * margins + (params[1] if intercept else 0.0)
        # log(1 + e^z) - y z, stably
        return float(np.sum(weights * (np.logaddexp(0.0, z) - labels * z)) / weights.sum())

    start = np.array([10.0, 0.0])
    result = minimize(loss, start if intercept else start[:1], method="BFGS")
    return float(result.x[0]), float(result.x[1]) if intercept else 0.0


def metrics(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    clipped = np.clip(p, 1e-12, 1 - 1e-12)
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(
        abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).sum()
        for b in range(10)
        if (bins == b).any()
    ) / len(p)
    return {
        "log_loss": float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        "brier": float(np.mean((p - y) ** 2)),
        "ece": float(ece),
        "share_ge_0.995": float(np.mean(p >= 0.995)),
        "share_le_0.005": float(np.mean(p <= 0.005)),
    }


def show(name: str, values: dict[str, float]) -> None:
    print(f"  {name:<10}" + "  ".join(f"{k} {v:.4f}" for k, v in values.items()))


def pooled(data, pick):
    m, y, w = [], [], []
    for name, (margins, labels, folds) in data.items():
        rows = pick(name, folds)
        m.append(margins[rows].ravel())
        y.append(labels[rows].ravel())
        w.append(np.full(margins[rows].size, 1.0 / max(margins[rows].size, 1)))
    return np.concatenate(m), np.concatenate(y), np.concatenate(w)


def main() -> None:
    from pipeline.framing.embed import Embedder
    from pipeline.framing.model import (
        ZERO_SHOT_PROBABILITY_INTERCEPT,
        ZERO_SHOT_PROBABILITY_SLOPE,
        zero_shot_probabilities,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="keep the sets' embeddings here")
    args = parser.parse_args()
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(threads=2)
    try:
        data = {name: margins_and_labels(name, embedder, args.cache) for name in SETS}
    finally:
        embedder.close()
    for name, (margins, labels, _) in data.items():
        print(f"{name}: {labels.shape[0]} texts x {labels.shape[1]} frames, "
              f"{labels.mean():.3f} positive; margin 1/50/99%: "
              + ", ".join(f"{v:.3f}" for v in np.percentile(margins, [1, 50, 99])))
    print("\nformer steep logistic, sigmoid(margin / 0.02):")
    for name, (margins, labels, _) in data.items():
        show(name, metrics(sigmoid(margins.ravel() / OLD_SCALE), labels.ravel()))
    print("\nconstant (each set's own base rate, in-sample):")
    for name, (_, labels, _) in data.items():
        show(name, metrics(np.full(labels.size, labels.mean()), labels.ravel()))
    for intercept in (False, True):
        title = "slope and intercept" if intercept else "slope only (0.5 at the threshold)"
        print(f"\n{title}, 5-fold cross-fitted:")
        held = {name: np.zeros_like(d[0]) for name, d in data.items()}
        for k in range(FOLDS):
            a, b = fit(*pooled(data, lambda _n, f, k=k: f != k), intercept)
            print(f"  fold {k}: slope {a:.2f}, intercept {b:.3f}")
            for name, (margins, _, folds) in data.items():
                held[name][folds == k] = sigmoid(a * margins[folds == k] + b)
        for name, (_, labels, _) in data.items():
            show(name, metrics(held[name].ravel(), labels.ravel()))
        show("all", metrics(np.concatenate([h.ravel() for h in held.values()]),
                            np.concatenate([d[1].ravel() for d in data.values()])))
        print(f"{title}, leave one set out:")
        for name, (margins, labels, _) in data.items():
            a, b = fit(*pooled({n: d for n, d in data.items() if n != name},
                               lambda _n, f: np.ones(len(f), bool)), intercept)
            show(name, metrics(sigmoid(a * margins.ravel() + b), labels.ravel()) | {"slope": a, "intercept": b})
        a, b = fit(*pooled(data, lambda _n, f: np.ones(len(f), bool)), intercept)
        print(f"{title}, fitted on all rows: slope {a:.3f}, intercept {b:.3f} "
              f"(scale {1 / a:.4f}; {sigmoid(np.array(b)):.3f} at the threshold)")
    print(f"\nmodel.zero_shot_probabilities (slope {ZERO_SHOT_PROBABILITY_SLOPE}, "
          f"intercept {ZERO_SHOT_PROBABILITY_INTERCEPT}), in-sample:")
    for name, (margins, labels, _) in data.items():
        show(name, metrics(zero_shot_probabilities(margins).ravel(), labels.ravel()))


if __name__ == "__main__":
    main()
