"""Benchmark the frame-share estimators on real labelled news (run by hand, not by pytest).

    PYTHONPATH=. .venv/bin/python tests/bench/bench_prevalence.py [--weeks 100] [--week-size 200]
        [--bootstrap 100] [--labeller calibrated|zero-shot] [--draw distinct|replacement]
        [--week-folds 2] [--quantifiers pacc [emq]] [--ppi-variants]

Protocol, on each development half of ../shared/eval/frames (gvfc, frac, frermann):
  1. Cross-fitted labeller: each row's frame probabilities and decisions come from a calibration
     (frozen-encoder heads, what `frames shares --train` fits) trained on the other four folds
     (fold = sha256('<dataset>:<id>') % 5, the framing quality gate's protocol). With
     --labeller zero-shot, the codebook alone labels every row (the demo's labeller).
  2. Synthetic weeks. --draw distinct (default): --week-folds folds form the week's pool and the
     other folds the calibration rows (each with its fold, for the held-out error); a week is
     min(--week-size, 80% of the pool) distinct stories drawn from the pool with shifted frame
     prevalence, so no story is both a calibration row and in the week, and no story counts
     twice. --draw replacement: one fold is the pool and a week is --week-size draws from it
     with replacement. The sets are small (a fold has 42-130 rows), so such a week repeats each
     story 2-5 times: the labeller's error on a story counts as often, which no estimator that
     takes a week's stories as distinct can see. It is kept for the gold-based estimate only
     (PPI is valid for any fixed week, repeats or not), where it gives 200-story weeks.
     Shifts: single-label sets take class shares from a Dirichlet(1) draw mixed half and half
     with the pool's; multi-label ones item weights exp(theta . labels), theta ~ N(0, 1) per
     frame. The true share is the share of the week's items carrying the frame.
  3. Per week and frame, estimates by classify-and-count (Wilson interval), the quantifiers as
     `estimate_shares` runs them without gold (PACC from quapy, calibrated on the calibration
     rows, bootstrap and held-out-error interval; or classify-and-count with a note where the
     correction is refused), and prediction-powered inference with a gold sample of 25, 50 and
     100 of the week's items (drawn without replacement; sizes over half the week are skipped).
Reports mean absolute error and the coverage of the 95% intervals per method, for the share of
items carrying each frame and (single-label sets) the share as primary frame. `no_gold` is what
the report shows without gold (the quantifier where it corrects, else the refused count);
`no_gold_corrected` and `no_gold_refused` split it.

Embeddings are cached under /tmp/fw-prevalence-bench (MiniLM on a busy CPU costs minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

CACHE = Path("/tmp/fw-prevalence-bench")
DATASETS = ("gvfc", "frac", "frermann")
GOLD_SIZES = (25, 50, 100)


def cross_fitted_dataset(dataset: str, labeller: str = "calibrated"):
    """(Labelled out-of-fold rows, out-of-fold decisions, fold of each row, frame ids, multi_label).

    labeller "zero-shot": the codebook alone labels every row (nothing is trained, so nothing
    needs cross-fitting): the labeller the demo and a new user start with."""
    from test_framing_quality import FOLDS, cached_embeddings, load_rows

    from pipeline.framing.codebook import load_codebook
    from pipeline.framing.crossfit import cross_fitted, fold_of, gold_matrix, probabilities
    from pipeline.framing.embed import Embedder
    from pipeline.framing.model import FrameModel
    from pipeline.framing.prevalence import Labelled

    codebook = load_codebook(REPO / "seeds" / "codebooks" / f"{dataset}.toml")
    rows = load_rows(dataset)
    # Zero-shot scores depend on the zero-shot constants (model.zero_shot_version); calibrated
    # probabilities do not (the calibration prior keeps its own frozen transform).
    import pipeline.framing.model as model_module

    version = getattr(model_module, "zero_shot_version", lambda: "")()
    tag = "oof" if labeller == "calibrated" else f"{labeller}{'-' + version if version else ''}"
    path = CACHE / f"{dataset}-{codebook.fingerprint[:12]}-{tag}.npz"
    folds = np.array([fold_of(dataset, r["id"], FOLDS) for r in rows])
    if path.exists():
        saved = np.load(path)
        oof = Labelled(saved["probabilities"], saved["labels"],
                       saved["primary"] if saved["primary"].size else None)
        return _with_folds(oof, folds), saved["present"], folds, codebook.frame_ids, codebook.multi_label
    CACHE.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(threads=1)
    embedded = cached_embeddings(dataset, embedder, CACHE)
    model = FrameModel(codebook, embedder)
    if labeller == "zero-shot":
        labels, primary = gold_matrix(model, rows, dataset)
        scores, present = probabilities(model, embedded)
        oof = Labelled(scores, labels, primary)
    else:
        oof, present = cross_fitted(model, rows, embedded, key=dataset, folds=FOLDS, where=dataset)
    np.savez(path, probabilities=oof.probabilities, labels=oof.labels, present=present,
             primary=oof.primary if oof.primary is not None else np.zeros(0))
    return _with_folds(oof, folds), present, folds, codebook.frame_ids, codebook.multi_label


def _with_folds(oof, folds: np.ndarray):
    """The rows with the fold whose model scored each (older estimators, without a folds field,
    get them unchanged: the bench also measures the code before the held-out error)."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(oof)}
    return dataclasses.replace(oof, folds=folds) if "folds" in fields else oof


def draw_week(rng, pool: np.ndarray, labels: np.ndarray, primary, multi_label: bool, size: int,
              distinct: bool = False) -> np.ndarray:
    """Row indices of one synthetic week drawn from `pool` with shifted frame prevalence."""
    if multi_label:
        theta = rng.normal(0.0, 1.0, labels.shape[1])
        weights = np.exp(labels[pool].astype(float) @ theta)
    else:
        classes = primary[pool]
        present = np.unique(classes)
        base = np.array([np.mean(classes == c) for c in present])
        target = 0.5 * rng.dirichlet(np.ones(len(present))) + 0.5 * base
        share_of = dict(zip(present.tolist(), (target / (base * len(pool))).tolist(), strict=True))
        weights = np.array([share_of[c] for c in classes])
    if not distinct:
        return pool[rng.choice(len(pool), size, replace=True, p=weights / weights.sum())]
    # Distinct stories: duplicates shrink a week's real sample below what the quantifier's
    # bootstrap assumes; at most 80% of the pool, so the shift still bites.
    size = min(size, int(0.8 * len(pool)))
    return pool[rng.choice(len(pool), size, replace=False, p=weights / weights.sum())]


def run_dataset(dataset: str, weeks: int, week_size: int, n_bootstrap: int, seed: int,
                labeller: str = "calibrated", distinct: bool = True, week_folds: int = 2,
                quantifiers: tuple[str, ...] = ("pacc",), ppi_variants: bool = False) -> dict:
    from pipeline.framing.prevalence import CLASSIFY_AND_COUNT, Group, estimate_shares

    oof, present, folds, frame_ids, multi_label = cross_fitted_dataset(dataset, labeller)
    rng = np.random.default_rng(seed)
    errors: dict[tuple[str, str], list[float]] = defaultdict(list)
    covered: dict[tuple[str, str], list[bool]] = defaultdict(list)
    widths: dict[tuple[str, str], list[float]] = defaultdict(list)
    week_sizes = []
    started = time.time()

    def record(name: str, measure: str, estimate: float, low: float, high: float, true: float) -> None:
        errors[(name, measure)].append(abs(estimate - true))
        covered[(name, measure)].append(low - 1e-9 <= true <= high + 1e-9)
        widths[(name, measure)].append(high - low)

    n_folds = int(folds.max()) + 1
    for week in range(weeks):
        if distinct:
            in_pool = np.isin(folds, rng.choice(n_folds, week_folds, replace=False))
        else:
            in_pool = folds == int(rng.integers(0, n_folds))
        pool, others = np.flatnonzero(in_pool), np.flatnonzero(~in_pool)
        items = draw_week(rng, pool, oof.labels, oof.primary, multi_label, week_size, distinct)
        week_sizes.append(len(items))
        calibration = oof.subset(others)
        truth = {"present": oof.labels[items].mean(axis=0)}
        if not multi_label:
            truth["primary"] = np.bincount(oof.primary[items], minlength=len(frame_ids)) / len(items)
        group = Group(f"w{week}", oof.probabilities[items], present[items])
        for e in estimate_shares([group], frame_ids, multi_label=multi_label):  # nothing labelled
            record(e.method, e.measure, e.share, e.ci_low, e.ci_high, truth[e.measure][frame_ids.index(e.frame)])
        for quantifier in quantifiers:
            for e in estimate_shares([group], frame_ids, multi_label=multi_label, calibration=calibration,
                                     quantifier=quantifier, n_bootstrap=n_bootstrap,
                                     seed=int(rng.integers(1 << 31))):
                true = truth[e.measure][frame_ids.index(e.frame)]
                tag = "" if len(quantifiers) == 1 else f"_{quantifier}"
                record(f"no_gold{tag}", e.measure, e.share, e.ci_low, e.ci_high, true)
                part = "corrected" if e.method != CLASSIFY_AND_COUNT else "refused"
                record(f"no_gold{tag}_{part}", e.measure, e.share, e.ci_low, e.ci_high, true)
        for n_gold in GOLD_SIZES:
            if n_gold > len(items) // 2:
                continue
            chosen = rng.choice(len(items), n_gold, replace=False)
            gold = oof.subset(items[chosen])
            for e in estimate_shares([Group(f"w{week}", oof.probabilities[items], present[items], gold=gold)],
                                     frame_ids, multi_label=multi_label):
                record(f"ppi_{n_gold}", e.measure, e.share, e.ci_low, e.ci_high,
                       truth[e.measure][frame_ids.index(e.frame)])
            if ppi_variants:
                rows = items[chosen]
                for name, (low, estimate, high) in _ppi_variants(oof, present, calibration, items, rows).items():
                    for f in range(len(frame_ids)):
                        if np.isfinite([estimate[f], low[f], high[f]]).all():  # 0/1 predictions without spread: none
                            record(f"{name}_{n_gold}", "present", estimate[f], low[f], high[f], truth["present"][f])
        if week % 25 == 24:
            print(f"  {dataset}: {week + 1} weeks, {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    result = {"week_stories": int(np.median(week_sizes)), "seconds": round(time.time() - started)}
    for key in sorted(errors):
        method, measure = key
        result[f"{measure}/{method}"] = {
            "mae": round(float(np.mean(errors[key])), 4),
            "coverage": round(float(np.mean(covered[key])), 3),
            "mean_width": round(float(np.mean(widths[key])), 3),
            "estimates": len(errors[key]),
        }
    return result


def _ppi_variants(oof, present, calibration, items, gold_rows) -> dict:
    """Other ways ppi_py can use the labeller, for the share of items carrying each frame, as
    (low, estimate, high) arrays (the estimator's own is `ppi`: tuned lambda shared by all
    frames, probabilities as predictions): lambda tuned per frame; 0/1 decisions as predictions
    (lambda per frame); plain PPI (lambda 1); gold labels alone (lambda 0); and PPI whose
    predictions are the labeller's probabilities put on the share scale by PACC's adjustment
    (p - fpr) / (tpr - fpr), with the rates of the calibration rows (lambda per frame)."""
    from pipeline.framing.prevalence import _ppi_functions

    ppi_mean_ci, ppi_mean_pointestimate = _ppi_functions()
    y = oof.labels[gold_rows].astype(float)
    cal_y, cal_p = calibration.labels.astype(bool), calibration.probabilities
    tpr = np.array([cal_p[cal_y[:, f], f].mean() for f in range(cal_p.shape[1])])
    fpr = np.array([cal_p[~cal_y[:, f], f].mean() for f in range(cal_p.shape[1])])
    adjusted = (oof.probabilities - fpr) / np.maximum(tpr - fpr, 0.05)
    variants = {
        "ppi_lam_per_frame": (oof.probabilities, {"lam_optim_mode": "element"}),
        "ppi_decisions": (present.astype(float), {"lam_optim_mode": "element"}),
        "ppi_lam1": (oof.probabilities, {"lam": 1.0}),
        "gold_only": (oof.probabilities, {"lam": 0.0}),
        "ppi_pacc_scaled": (adjusted, {"lam_optim_mode": "element"}),
    }
    out = {}
    with np.errstate(all="ignore"):
        for name, (predictions, options) in variants.items():
            estimate = ppi_mean_pointestimate(y, predictions[gold_rows], predictions[items], **options)
            low, high = ppi_mean_ci(y, predictions[gold_rows], predictions[items], alpha=0.05, **options)
            out[name] = (np.atleast_1d(low), np.clip(np.atleast_1d(estimate), 0, 1), np.atleast_1d(high))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weeks", type=int, default=100)
    parser.add_argument("--week-size", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--labeller", choices=("calibrated", "zero-shot"), default="calibrated",
                        help="calibrated: cross-fitted frozen-encoder heads; zero-shot: the codebook alone")
    parser.add_argument("--draw", choices=("replacement", "distinct"), default="distinct",
                        help="how a week's stories are drawn from its pool (see the module docstring)")
    parser.add_argument("--week-folds", type=int, default=2, help="folds in a week's pool (--draw distinct)")
    parser.add_argument("--quantifiers", nargs="*", default=["pacc"], choices=("pacc", "emq"),
                        help="quantifiers run without gold (none: gold-based estimates only)")
    parser.add_argument("--ppi-variants", action="store_true",
                        help="also measure other ways ppi_py can use the labeller (see _ppi_variants)")
    args = parser.parse_args()
    frames_dir = REPO.parent / "shared" / "eval" / "frames"
    if not frames_dir.is_dir():
        sys.exit(f"{frames_dir} is missing: the benchmark needs the framing evaluation sets")
    report = {}
    for dataset in args.datasets:
        report[dataset] = run_dataset(dataset, args.weeks, args.week_size, args.bootstrap, args.seed,
                                      args.labeller, args.draw == "distinct", args.week_folds,
                                      tuple(args.quantifiers), args.ppi_variants)
        print(json.dumps({dataset: report[dataset]}, indent=1), flush=True)
    print(json.dumps({"weeks": args.weeks, "week_size": args.week_size, "bootstrap": args.bootstrap,
                      "labeller": args.labeller, "draw": args.draw, "week_folds": args.week_folds,
                      "quantifiers": args.quantifiers, "results": report}, indent=1))


if __name__ == "__main__":
    main()
