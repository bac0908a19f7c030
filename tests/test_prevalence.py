"""Frame-share estimators: known answers on synthetic data, the choice of method, and
`framewatch frames shares` end to end on small files with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.framing.prevalence import (
    CLASSIFY_AND_COUNT,
    MIN_GOLD_FOR_PPI,
    MIN_SEPARATION,
    PPI,
    PRIMARY,
    Group,
    Labelled,
    PrevalenceError,
    by_key,
    estimate_shares,
    fold_of,
    gold_needed,
    held_out_error,
    labeller_correlation,
    ppi_mean,
    quantify,
    separation,
)

REPO = Path(__file__).resolve().parents[1]
FRAMES = ["economy", "security", "rights"]


def _biased_labeller(rng, truth: np.ndarray) -> np.ndarray:
    """Probabilities of a labeller that over-reports the frame: a positive scores ~0.7, a
    negative ~0.45, so thresholding at 0.5 marks about a third of the negatives."""
    return np.clip(np.where(truth, rng.normal(0.7, 0.12, truth.shape), rng.normal(0.45, 0.12, truth.shape)), 0, 1)


def _binary(p):
    return np.column_stack([1 - p, p])


def test_ppi_interval_covers_the_true_share_at_its_level():
    rng = np.random.default_rng(7)
    covered, draws = 0, 400
    for _ in range(draws):
        truth = rng.random(2000) < 0.3
        probs = _biased_labeller(rng, truth)
        gold = rng.choice(2000, 60, replace=False)
        _, low, high = ppi_mean(truth[gold].astype(float), probs[gold], probs)
        covered += low[0] <= truth.mean() <= high[0]
    # 95% nominal; 400 draws put the binomial spread at about +-0.011.
    assert 0.92 <= covered / draws <= 0.985


def test_ppi_beats_classify_and_count_under_a_biased_labeller():
    rng = np.random.default_rng(3)
    ppi_errors, cc_errors = [], []
    for _ in range(200):
        truth = rng.random(1000) < 0.25
        probs = _biased_labeller(rng, truth)
        gold = rng.choice(1000, 50, replace=False)
        group = Group("w", probs[:, None], (probs >= 0.5)[:, None],
                      Labelled(probs[gold, None], truth[gold, None]))
        [estimate] = estimate_shares([group], ["economy"], multi_label=True)
        assert estimate.method == PPI and estimate.n_gold == 50
        ppi_errors.append(abs(estimate.share - truth.mean()))
        cc_errors.append(abs(estimate.raw_share - truth.mean()))
    # Classify-and-count is off by ~0.14 (a third of the negatives marked); PPI by ~0.04.
    assert np.mean(ppi_errors) <= 0.5 * np.mean(cc_errors)
    assert np.mean(cc_errors) > 0.1


@pytest.mark.slow
def test_pacc_recovers_a_shifted_prevalence_and_its_interval_covers_it():
    rng = np.random.default_rng(11)
    covered, errors, cc_errors, draws = 0, [], [], 40
    for _ in range(draws):
        cal_truth = rng.random(500) < 0.3  # the labeller was calibrated where the frame was rarer
        cal_probs = _biased_labeller(rng, cal_truth)
        truth = rng.random(400) < 0.6
        probs = _biased_labeller(rng, truth)
        estimate, low, high = quantify(_binary(cal_probs), cal_truth.astype(int), _binary(probs),
                                       method="pacc", n_bootstrap=100, rng=rng)
        covered += low[1] <= truth.mean() <= high[1]
        errors.append(abs(estimate[1] - truth.mean()))
        cc_errors.append(abs((probs >= 0.5).mean() - truth.mean()))
    assert np.mean(errors) < 0.04 < np.mean(cc_errors)
    assert covered / draws >= 0.85


@pytest.mark.parametrize("quantifier", ["pacc", "emq"])
def test_primary_shares_sum_to_one_for_every_method(quantifier):
    rng = np.random.default_rng(5)
    n_frames = len(FRAMES)

    def items(n, prevalence):
        primary = rng.choice(n_frames, n, p=prevalence)
        logits = rng.normal(0, 1, (n, n_frames)) + 1.5 * np.eye(n_frames)[primary]
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return probs, np.eye(n_frames, dtype=bool)[primary], primary

    cal_probs, cal_labels, cal_primary = items(300, [0.5, 0.3, 0.2])
    probs, labels, primary = items(200, [0.2, 0.3, 0.5])
    decided = np.eye(n_frames, dtype=bool)[probs.argmax(axis=1)]
    gold = rng.choice(200, 40, replace=False)
    groups = [
        Group("gold-week", probs, decided, Labelled(probs[gold], labels[gold], primary[gold])),
        Group("quiet-week", probs[:120], decided[:120]),
    ]
    estimates = estimate_shares(groups, FRAMES, multi_label=False, quantifier=quantifier,
                                calibration=Labelled(cal_probs, cal_labels, cal_primary), n_bootstrap=60)
    # EMQ assumes calibrated probabilities; on these softmax scores its correction misses held-out
    # folds by 0.10-0.31, so it is refused and the week counted (with a note); PACC's misses by ~0.03.
    quiet = quantifier if quantifier == "pacc" else CLASSIFY_AND_COUNT
    for name, method in (("gold-week", PPI), ("quiet-week", quiet)):
        primary_rows = [e for e in estimates if e.group == name and e.measure == PRIMARY]
        assert {e.method for e in primary_rows} == {method}
        assert all(bool(e.note) == (method == CLASSIFY_AND_COUNT) for e in primary_rows)
        assert sum(e.share for e in primary_rows) == pytest.approx(1.0, abs=1e-9)
        assert all(e.ci_low <= e.share <= e.ci_high for e in primary_rows)
    uncalibrated = estimate_shares([Group("w", probs, decided)], FRAMES, multi_label=False)
    primary_rows = [e for e in uncalibrated if e.measure == PRIMARY]
    assert {e.method for e in primary_rows} == {CLASSIFY_AND_COUNT}
    assert sum(e.share for e in primary_rows) == pytest.approx(1.0)


def test_design_weights_correct_an_unequal_probability_gold_sample():
    """Gold drawn 4x as often from outlet A (where the frame is common and the labeller misses
    it) is unbiased only with 1/inclusion-probability weights (design-based, Egami et al.)."""
    rng = np.random.default_rng(2)
    weighted, unweighted, truths = [], [], []
    for _ in range(150):
        outlet_a = np.arange(1000) < 300
        truth = np.where(outlet_a, rng.random(1000) < 0.7, rng.random(1000) < 0.1)
        probs = np.clip(np.where(truth & outlet_a, 0.3, np.where(truth, 0.7, 0.2)) + rng.normal(0, 0.05, 1000), 0, 1)
        inclusion = np.where(outlet_a, 0.12, 0.03)
        drawn = np.flatnonzero(rng.random(1000) < inclusion)
        with_design = Labelled(probs[drawn, None], truth[drawn, None], inclusion=inclusion[drawn])
        without = Labelled(probs[drawn, None], truth[drawn, None])
        for gold, out in ((with_design, weighted), (without, unweighted)):
            [e] = estimate_shares([Group("w", probs[:, None], (probs >= 0.5)[:, None], gold)], ["f"],
                                  multi_label=True)
            out.append(e.share)
        truths.append(truth.mean())
    assert abs(np.mean(weighted) - np.mean(truths)) < 0.01
    assert abs(np.mean(unweighted) - np.mean(truths)) > 0.04


def test_method_follows_the_data_available():
    rng = np.random.default_rng(9)
    truth = rng.random((300, 2)) < 0.4
    probs = _biased_labeller(rng, truth)
    decided = probs >= 0.5
    few = Labelled(probs[: MIN_GOLD_FOR_PPI - 1], truth[: MIN_GOLD_FOR_PPI - 1])
    cal_truth = rng.random((200, 2)) < 0.4
    calibration = Labelled(_biased_labeller(rng, cal_truth), cal_truth)
    [a, _] = estimate_shares([Group("w", probs, decided, few)], ["x", "y"], multi_label=True)
    assert (a.method, a.n_gold) == (CLASSIFY_AND_COUNT, 0)  # too little gold, nothing to calibrate on
    assert a.share == a.raw_share == pytest.approx(decided[:, 0].mean())
    estimates = estimate_shares([Group("w", probs, decided, few)], ["x", "y"], multi_label=True,
                                calibration=calibration, n_bootstrap=50)
    assert {(e.method, e.calibrated_on) for e in estimates} == {("pacc", "train")}
    assert all(e.to_row()["method"] == "pacc" for e in estimates)
    assert by_key(estimates)[("w", "y", "present")].frame == "y"
    # 300 gold labels from another week calibrate the quantifier, except for frame y, which
    # none of them carries: y falls back to the training rows.
    other_truth = np.column_stack([rng.random(300) < 0.5, np.zeros(300, dtype=bool)])
    other = Labelled(_biased_labeller(rng, other_truth), other_truth)
    estimates = estimate_shares([Group("w", probs, decided)], ["x", "y"], multi_label=True,
                                calibration=calibration, other_gold=other, n_bootstrap=50)
    assert [(e.frame, e.calibrated_on) for e in estimates] == [("x", "gold"), ("y", "train")]
    # 30 are too few to show a stable correction (folds of six stories): x falls back to the
    # training rows, and without them it is counted and says why.
    few_other = other.subset(np.arange(30))
    x, _ = estimate_shares([Group("w", probs, decided)], ["x", "y"], multi_label=True,
                           calibration=calibration, other_gold=few_other, n_bootstrap=50)
    assert (x.method, x.calibrated_on, x.note) == ("pacc", "train", "")
    x, _ = estimate_shares([Group("w", probs, decided)], ["x", "y"], multi_label=True,
                           other_gold=few_other, n_bootstrap=50)
    assert (x.method, x.calibrated_on) == (CLASSIFY_AND_COUNT, "")
    assert x.note.startswith("not corrected: on ") and "pooled gold labels" in x.note


def test_ppi_mean_is_ppi_pys_power_tuned_estimate():
    """The estimate and interval are ppi_py's PPI++ with its optimal tuning parameter (lam=None).
    PPI with PACC-adjusted predictions, (p - fpr) / (tpr - fpr), gives the same estimate: the
    tuned lambda absorbs any affine rescaling of the predictions (when it stays inside [0, 1],
    where ppi_py clips it)."""
    from pipeline.framing.prevalence import _ppi_functions

    ppi_mean_ci, ppi_mean_pointestimate = _ppi_functions()
    rng = np.random.default_rng(17)
    truth = rng.random((800, 2)) < [0.3, 0.6]
    probs = _biased_labeller(rng, truth)
    gold = rng.choice(800, 50, replace=False)
    y = truth[gold].astype(float)
    estimate, low, high = ppi_mean(y, probs[gold], probs)
    assert estimate == pytest.approx(ppi_mean_pointestimate(y, probs[gold], probs, lam=None), abs=1e-12)
    expected_low, expected_high = ppi_mean_ci(y, probs[gold], probs, alpha=0.05, lam=None)
    assert low == pytest.approx(expected_low, abs=1e-12) and high == pytest.approx(expected_high, abs=1e-12)
    # A labeller with spread-out scores, whose tuned lambda (~0.75) ppi_py does not clip at 1.
    spread = np.where(truth[:, :1], 0.8, 0.2) + rng.normal(0, 0.3, (800, 1))
    fpr, tpr = spread[~truth[:, 0], 0].mean(), spread[truth[:, 0], 0].mean()
    adjusted = (spread - fpr) / (tpr - fpr)
    rescaled, _, _ = ppi_mean(y[:, :1], adjusted[gold], adjusted)
    plain, _, _ = ppi_mean(y[:, :1], spread[gold], spread)
    assert rescaled[0] == pytest.approx(plain[0], abs=1e-9)


def test_a_labeller_that_barely_separates_a_frame_is_not_corrected():
    """Frame a: positives score ~0.70, negatives ~0.45 (separation 0.25); frame b: 0.50 against
    0.44. PACC would divide b's count by ~0.06; it is refused and counted, with a note."""
    rng = np.random.default_rng(21)

    def labeller(truth):
        return np.column_stack([
            _biased_labeller(rng, truth[:, 0]),
            np.clip(np.where(truth[:, 1], rng.normal(0.50, 0.15, len(truth)), rng.normal(0.44, 0.15, len(truth))), 0, 1)])

    cal_truth = rng.random((400, 2)) < 0.4
    calibration = Labelled(labeller(cal_truth), cal_truth)
    gaps = [separation(_binary(calibration.probabilities[:, f]), cal_truth[:, f].astype(int))[1] for f in range(2)]
    assert gaps[0] > MIN_SEPARATION > gaps[1]
    truth = rng.random((300, 2)) < 0.6
    probs = labeller(truth)
    a, b = estimate_shares([Group("w", probs, probs >= 0.5)], ["a", "b"], multi_label=True,
                           calibration=calibration, n_bootstrap=40)
    assert (a.method, a.calibrated_on, a.note) == ("pacc", "train", "")
    assert a.ci_low <= truth[:, 0].mean() <= a.ci_high
    assert (b.method, b.calibrated_on) == (CLASSIFY_AND_COUNT, "")
    assert b.share == b.raw_share == pytest.approx((probs[:, 1] >= 0.5).mean())
    assert b.note.startswith("not corrected") and f"only {gaps[1]:.2f} higher" in b.note
    bounds = [separation(_binary(calibration.probabilities[:, f]), cal_truth[:, f].astype(int), lower_bound=True)[1]
              for f in range(2)]
    assert bounds[0] > MIN_SEPARATION and gaps[1] - 0.1 < bounds[1] < gaps[1]
    assert b.to_row()["note"] == b.note


def test_primary_shares_are_counted_when_one_frame_is_barely_separated():
    rng = np.random.default_rng(8)
    n_frames = len(FRAMES)

    def items(n):
        primary = rng.choice(n_frames, n, p=[0.4, 0.3, 0.3])
        strength = np.array([2.0, 2.0, 0.1])[primary]  # the third frame hardly moves its score
        logits = rng.normal(0, 1, (n, n_frames)) + strength[:, None] * np.eye(n_frames)[primary]
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return probs, np.eye(n_frames, dtype=bool)[primary], primary

    calibration = Labelled(*items(400))
    probs, _, _ = items(150)
    decided = np.eye(n_frames, dtype=bool)[probs.argmax(axis=1)]
    rows = [e for e in estimate_shares([Group("w", probs, decided)], FRAMES, multi_label=False,
                                       calibration=calibration, n_bootstrap=30) if e.measure == PRIMARY]
    assert {e.method for e in rows} == {CLASSIFY_AND_COUNT}
    assert all("a frame as the primary one" in e.note for e in rows)
    assert sum(e.share for e in rows) == pytest.approx(1.0)


def test_a_refusal_for_want_of_rows_says_so_and_names_no_separation():
    """Primary frames of 400 well-separated rows, one frame the primary of only two: its error
    on held-out parts cannot be measured, and the note says which outcome was too rare; with
    fewer than three rows on either side of every frame, no separation is quoted (no "nan")."""
    rng = np.random.default_rng(5)
    primary = np.array([0] * 199 + [1] * 199 + [2] * 2)
    probs = np.full((400, 3), 0.05)
    probs[np.arange(400), primary] = 0.9
    probs = probs + rng.uniform(0, 0.05, probs.shape)
    probs = probs / probs.sum(axis=1, keepdims=True)
    calibration = Labelled(probs, np.eye(3, dtype=bool)[primary], primary,
                           folds=np.arange(400) % 5)
    week = Group("w", probs[:50], np.eye(3, dtype=bool)[probs[:50].argmax(axis=1)])
    rows = [e for e in estimate_shares([week], FRAMES, multi_label=False, calibration=calibration,
                                       n_bootstrap=20) if e.measure == PRIMARY]
    assert {e.method for e in rows} == {CLASSIFY_AND_COUNT}
    assert all("the rarest outcome has 2" in e.note and "nan" not in e.note for e in rows)

    carries = np.array([[True], [False], [True], [False]])
    few = Labelled(np.where(carries, 0.9, 0.1), carries, folds=np.arange(4))
    (shown,) = estimate_shares([Group("w", few.probabilities, few.labels)], ["a"], multi_label=True,
                               calibration=few, n_bootstrap=20)
    assert shown.method == CLASSIFY_AND_COUNT
    assert shown.note.startswith("not corrected: fewer than 3 labelled rows") and "nan" not in shown.note


@pytest.mark.slow
def test_held_out_error_covers_a_labeller_whose_error_rates_moved():
    """Calibration rows scored by five fold models whose probabilities sit 0.03 (sd) above or
    below each other, and a week scored by a sixth: the bootstrap over rows and stories does not
    see that the week's labeller differs, and misses; the held-out error (each fold corrected by
    the other folds' rates) measures exactly that spread, and the widened interval covers."""
    rng = np.random.default_rng(13)
    draws, boot_only, widened = 40, 0, 0
    for _ in range(draws):
        offsets = rng.normal(0.0, 0.03, 6)
        folds = np.arange(500) % 5
        cal_truth = rng.random(500) < 0.3
        cal_probs = np.clip(_biased_labeller(rng, cal_truth) + offsets[folds], 0, 1)
        truth = rng.random(300) < 0.55
        probs = np.clip(_biased_labeller(rng, truth) + offsets[5], 0, 1)
        error = held_out_error(_binary(cal_probs), cal_truth.astype(int), folds)
        assert error is not None and error[1] > 0
        for held_out in (None, error):
            _, low, high = quantify(_binary(cal_probs), cal_truth.astype(int), _binary(probs),
                                    n_bootstrap=60, rng=rng, held_out=held_out)
            hit = low[1] <= truth.mean() <= high[1]
            boot_only += hit and held_out is None
            widened += hit and held_out is not None
    assert boot_only / draws < 0.8
    assert widened / draws >= 0.92


def test_held_out_error_needs_two_scorable_folds_and_grows_as_separation_shrinks():
    rng = np.random.default_rng(4)
    truth = rng.random(400) < 0.4
    folds = np.arange(400) % 5
    errors = []
    for positive_mean in (0.8, 0.55):
        probs = np.clip(np.where(truth, rng.normal(positive_mean, 0.12, 400), rng.normal(0.45, 0.12, 400)), 0, 1)
        errors.append(held_out_error(_binary(probs), truth.astype(int), folds)[1])
    assert errors[1] > 2 * errors[0]
    assert held_out_error(_binary(probs), truth.astype(int), np.zeros(400, dtype=int)) is None


def test_stored_holdout_rows_carry_their_cross_fitting_fold():
    assert {fold_of("train", f"r{i}") for i in range(50)} == set(range(5))
    rows = Labelled(np.zeros((3, 1)), np.zeros((3, 1), dtype=bool), folds=np.array([4, 0, 2]))
    assert rows.subset(np.array([2, 0])).folds.tolist() == [2, 4]
    assert rows.held_out_folds().tolist() == [4, 0, 2]
    assert sorted(Labelled(np.zeros((10, 1)), np.zeros((10, 1))).held_out_folds().tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_gold_needed_follows_the_normal_formula():
    assert gold_needed(0.1) == 385  # (2 * 1.96)^2 * 0.25 / 0.01, rounded up
    assert gold_needed(0.2, share=0.1) == 35
    assert gold_needed(0.1, correlation=0.6) == 246  # PPI leaves (1 - 0.36) of the variance
    with pytest.raises(PrevalenceError, match="width"):
        gold_needed(0)
    rng = np.random.default_rng(1)
    truth = rng.random((500, 1)) < 0.5
    assert 0.5 < labeller_correlation(Labelled(_biased_labeller(rng, truth), truth)) < 0.9


def test_inconsistent_inputs_are_named():
    with pytest.raises(PrevalenceError, match="must be \\(items, frames\\)"):
        Group("w", np.zeros((3, 2)), np.zeros((3, 3), dtype=bool))
    with pytest.raises(PrevalenceError, match="inclusion probabilities"):
        Labelled(np.zeros((2, 1)), np.zeros((2, 1)), inclusion=np.array([0.5, 0.0]))
    with pytest.raises(PrevalenceError, match="frame columns"):
        estimate_shares([Group("w", np.zeros((3, 2)), np.zeros((3, 2), dtype=bool))], FRAMES, multi_label=True)
    with pytest.raises(PrevalenceError, match="unknown quantification"):
        estimate_shares([], FRAMES, multi_label=True, quantifier="hdy")


# -- `framewatch frames shares` ------------------------------------------------------------


SMALL_FRAMES = ("regulation", "security", "compute_chips")


def _small_codebook(path: Path) -> Path:
    """Three frames of seeds/frames.toml: six calibrations (five folds, then all rows) of three
    frames take a third of the time nine would."""
    import tomllib

    data = tomllib.loads((REPO / "seeds" / "frames.toml").read_text(encoding="utf8"))
    lines = ["[codebook]", 'id = "ai-race-small"', 'version = "test"', 'title = "Three AI-race frames"',
             "multi_label = true", ""]
    for frame in data["frames"]:
        if frame["id"] in SMALL_FRAMES:
            lines += ["[[frames]]", *(f"{key} = {json.dumps(value)}" for key, value in frame.items()), ""]
    path.write_text("\n".join(lines), encoding="utf8")
    return path


@pytest.fixture(scope="module")
def share_files(tmp_path_factory):
    from pipeline.demo_site import build_corpus

    folder = tmp_path_factory.mktemp("shares")
    _small_codebook(folder / "codebook.toml")
    articles = [a for a in build_corpus(seed=11, scale="demo").articles if a.on_topic and not a.wire_of]
    # Headline and first paragraph: fewer passages to embed.
    rows = [{"id": a.key, "title": a.title, "text": a.paragraphs[0],
             "labels": sorted(set(a.frames) & set(SMALL_FRAMES)), "primary": None}
            for a in articles[:160]]
    train, items = rows[:60], rows[60:]
    for k, row in enumerate(items):
        row["week"] = "2026-W40" if k < 60 else "2026-W41"
    gold = [dict(row) for row in items[:25]]  # a sample of the first week's items
    for row in items:
        del row["labels"], row["primary"]
    for name, part in (("train", train), ("items", items), ("gold", gold)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
    return folder


def _shares(folder, *extra):
    out = folder / "shares.jsonl"
    result = CliRunner().invoke(cli, [
        "frames", "shares", "--input", str(folder / "items.jsonl"), "--group-by", "week",
        "--codebook", str(folder / "codebook.toml"), "--output", str(out), *extra])
    return result, out


@pytest.mark.slow
def test_shares_cli_end_to_end(share_files, embedder):
    result, out = _shares(share_files, "--train", str(share_files / "train.jsonl"),
                          "--gold", str(share_files / "gold.jsonl"), "--bootstrap", "60")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    required = {"group", "frame", "share", "ci_low", "ci_high", "n", "n_gold", "method"}
    assert all(required <= set(row) for row in rows)
    week40 = [r for r in rows if r["group"] == "2026-W40"]
    week41 = [r for r in rows if r["group"] == "2026-W41"]
    assert {r["method"] for r in week40} == {"ppi"} and {r["n_gold"] for r in week40} == {25}
    assert {r["n"] for r in week40} == {60} and {r["n"] for r in week41} == {40}
    # No gold in week 41: quantification, calibrated on the 25 pooled gold items or else the 60
    # training rows, where either shows a stable correction; the other frames are counted, and
    # their note and the command's warning say why. (On these 25 demo items every frame's
    # separation has a 95% lower bound under 0.2, so all three are counted.)
    for r in week41:
        assert (r["method"], bool(r["note"])) in {("pacc", False), ("classify_and_count", True)}
        assert (r["method"] == "pacc") == (r["calibrated_on"] in {"gold", "train"})
    refused = sorted(r["frame"] for r in week41 if r["note"])
    assert (f"not corrected, counted ({', '.join(refused)})" in result.output) == bool(refused)
    assert all(0 <= r["ci_low"] <= r["share"] <= r["ci_high"] <= 1 for r in rows)
    assert "measure" in rows[0] and not any(r["measure"] == "primary" for r in rows)  # multi-label codebook

    result, out = _shares(share_files)
    assert result.exit_code == 0, result.output
    assert {json.loads(line)["method"] for line in out.read_text().splitlines()} == {"classify_and_count"}
    assert "count the labeller's decisions" in result.output


def test_shares_cli_names_a_missing_group_field(share_files, embedder, tmp_path):
    bad = tmp_path / "items.jsonl"
    bad.write_text(json.dumps({"id": "a1", "text": "Chips and export controls."}) + "\n")
    result = CliRunner().invoke(cli, [
        "frames", "shares", "--input", str(bad), "--group-by", "outlet", "--output", str(tmp_path / "o.jsonl")])
    assert result.exit_code != 0
    assert "no 'outlet' field to group by" in result.output
    assert "Traceback" not in result.output


# -- the warehouse: annotate export/import, then the weekly shares ---------------------------


def _fill_sheet(path, coder: str, truth) -> None:
    """Label a CSV sheet as a coder would: 1 in each frame column truth(row) names."""
    import csv

    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        present = truth(row)
        row.update({"annotator": coder, "primary": present[0] if present else ""})
        row.update({frame: "1" if frame in present else "" for frame in present})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def framed_warehouse(tmp_path):
    """Two weeks of 40 stories labelled with seeds/frames.toml: the labeller marks `regulation`
    on 20 (W40) and 10 (W41) stories, `security` on 5 of each."""
    from fixtures.report.synthetic import SyntheticWarehouse

    from pipeline.framing.codebook import load_codebook

    codebook = load_codebook(REPO / "seeds" / "frames.toml")
    db = tmp_path / "framewatch.duckdb"
    wh = SyntheticWarehouse(db, frames=tuple((f.id, f.label, f.definition) for f in codebook.frames))
    wh.con.execute("update core.label_versions set codebook_fingerprint = ?", [codebook.fingerprint])
    wh.con.execute("update core.codebook_frames set codebook_fingerprint = ?", [codebook.fingerprint])
    wh.add_source("wire", "Wire", "US")
    ids = {"2026-W40": wh.add_articles("2026-W40", "wire", 40, {"regulation": 20, "security": 5}),
           "2026-W41": wh.add_articles("2026-W41", "wire", 40, {"regulation": 10, "security": 5})}
    wh.close()
    return db, codebook, ids


def _scores_of(db, codebook):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select a.week, l.article_id, l.frame_id, l.score, l.present from core.frame_labels l "
                           "join articles a using (article_id) order by 1, 2").fetchall()
    finally:
        con.close()
    out = {}
    for week, article_id, frame_id, score, present in rows:
        item = out.setdefault(week, {}).setdefault(article_id, [np.zeros(len(codebook.frame_ids)),
                                                                np.zeros(len(codebook.frame_ids), dtype=bool)])
        item[0][codebook.frame_ids.index(frame_id)] = score
        item[1][codebook.frame_ids.index(frame_id)] = present
    return out


def test_weekly_shares_from_annotated_gold_equal_the_estimator(framed_warehouse, tmp_path):
    import duckdb

    from pipeline.stages.prevalence import weekly_frame_shares

    db, codebook, ids = framed_warehouse
    workdir = str(db.parent)
    sheet = tmp_path / "sheet.csv"
    result = CliRunner().invoke(cli, ["annotate", "export", "--workdir", workdir, "-o", str(sheet),
                                      "-n", "24", "--design", "stratified", "--stratify-by", "week",
                                      "--target-width", "0.2"])
    assert result.exit_code == 0, result.output
    assert "24 articles (stratified sample" in result.output
    assert "needs about 97 labels per week" in result.output  # (2 * 1.96)^2 * 0.25 / 0.2^2
    # The coder finds regulation on every story the labeller marked in W40 and on none in W41
    # (the labeller over-reports it there), and security nowhere.
    marked_w40 = set(ids["2026-W40"][:20])
    _fill_sheet(sheet, "ana", lambda row: ["regulation"] if row["id"] in marked_w40 else ["talent"])
    result = CliRunner().invoke(cli, ["annotate", "import", str(sheet), "--workdir", workdir,
                                      "-o", str(tmp_path / "gold.jsonl")])
    assert result.exit_code == 0, result.output
    assert "stored the labels of 24 (article, coder) pairs" in result.output
    # Importing the same coder's sheet again replaces her labels: nothing doubles.
    assert CliRunner().invoke(cli, ["annotate", "import", str(sheet), "--workdir", workdir,
                                    "-o", str(tmp_path / "gold.jsonl")]).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("select count(*), count(distinct article_id), min(coder), count(sample_id) "
                             "from core.gold_labels").fetchone()
        designs = con.execute("select design, stratify_by, count(*), min(inclusion_probability) "
                              "from core.annotation_samples group by all").fetchall()
        shares = weekly_frame_shares(con, codebook, n_bootstrap=50)
    finally:
        con.close()
    assert stored == (24 * len(codebook.frame_ids), 24, "ana", 24 * len(codebook.frame_ids))
    assert designs == [("stratified", "week", 24, pytest.approx(12 / 40))]
    assert (shares.gold_items, shares.gold_without_design) == (24, 0)

    # The same numbers straight from the estimator, on arrays read without the stage.
    gold_rows = {json.loads(line)["id"]: json.loads(line) for line in (tmp_path / "gold.jsonl").read_text().splitlines()}
    scores = _scores_of(db, codebook)
    groups = []
    for week in ("2026-W40", "2026-W41"):
        members = sorted(scores[week])
        drawn = [a for a in members if a in gold_rows]
        gold = Labelled(np.stack([scores[week][a][0] for a in drawn]),
                        np.array([[f in gold_rows[a]["labels"] for f in codebook.frame_ids] for a in drawn]),
                        None, np.array([gold_rows[a]["inclusion_probability"] for a in drawn]))
        groups.append(Group(week, np.stack([scores[week][a][0] for a in members]),
                            np.stack([scores[week][a][1] for a in members]), gold))
    expected = estimate_shares(groups, codebook.frame_ids, multi_label=True)
    assert shares.estimates == expected
    w41 = shares.get("2026-W41", "regulation")
    assert (w41.method, w41.n_gold, w41.n, w41.raw_share) == ("ppi", 12, 40, 0.25)
    assert w41.share < 0.1 and w41.ci_low <= 0.0 + 1e-9 < w41.ci_high  # the coder found none
    assert shares.get("2026-W40", "regulation").share == pytest.approx(0.5, abs=0.05)


def test_weeks_without_gold_use_the_stored_calibration_holdout(framed_warehouse):
    from pipeline.stages.prevalence import store_calibration_holdout, weekly_frame_shares
    from warehouse.db import warehouse

    db, codebook, _ = framed_warehouse
    rng = np.random.default_rng(4)
    truth = rng.random((80, len(codebook.frame_ids))) < 0.3
    holdout = Labelled(np.clip(np.where(truth, 0.75, 0.2) + rng.normal(0, 0.1, truth.shape), 0, 1), truth)
    with warehouse(db) as con:
        assert store_calibration_holdout(con, "cal-1", codebook.frame_ids, [f"r{i}" for i in range(80)], holdout) == 80
        store_calibration_holdout(con, "cal-1", codebook.frame_ids, [f"r{i}" for i in range(80)], holdout)
        assert con.execute("select count(*) from core.calibration_holdout").fetchone()[0] == 80 * len(codebook.frame_ids)
        shares = weekly_frame_shares(con, codebook, weeks=["2026-W41"], n_bootstrap=50)
    assert shares.calibration_rows == 80
    assert {(e.group, e.method, e.calibrated_on) for e in shares.estimates} == {("2026-W41", "pacc", "train")}
    # The stored rows come back in id order, each with the fold crossfit gave it from its id.
    ids = [f"r{i}" for i in range(80)]
    order = np.argsort(ids)
    stored = Labelled(holdout.probabilities[order], holdout.labels[order],
                      folds=np.array([fold_of("train", ids[i]) for i in order]))
    expected = estimate_shares(
        [Group("2026-W41", *(np.stack(x) for x in zip(*[v for _, v in sorted(_scores_of(db, codebook)["2026-W41"].items())], strict=True)))],
        codebook.frame_ids, multi_label=True, calibration=stored, n_bootstrap=50)
    assert shares.estimates == expected


@pytest.mark.slow
def test_calibrate_holdout_reaches_the_estimator_of_weeks_without_gold(share_files, embedder, tmp_path):
    from fixtures.report.synthetic import SyntheticWarehouse

    from pipeline.framing.codebook import load_codebook
    from pipeline.stages.prevalence import weekly_frame_shares
    from warehouse.db import warehouse

    codebook = load_codebook(share_files / "codebook.toml")
    wh = SyntheticWarehouse(tmp_path / "framewatch.duckdb",
                            frames=tuple((f.id, f.label, f.definition) for f in codebook.frames))
    wh.con.execute("update core.label_versions set codebook_fingerprint = ?", [codebook.fingerprint])
    wh.add_source("wire", "Wire", "US")
    wh.add_articles("2026-W40", "wire", 30, {"regulation": 12, "security": 6})
    wh.close()
    calibration = tmp_path / "calibration.json"
    result = CliRunner().invoke(cli, ["frames", "calibrate", "--gold", str(share_files / "train.jsonl"),
                                      "--codebook", str(share_files / "codebook.toml"), "-o", str(calibration),
                                      "--tune-encoder", "never", "--holdout"],
                                env={"FRAMEWATCH_WORKDIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    version = json.loads(calibration.read_text())["version"]
    assert f"stored 60 cross-fitted rows for calibration {version}" in result.output
    with warehouse(tmp_path / "framewatch.duckdb") as con:
        con.execute("update core.label_versions set calibration_version = ?", [version])
        shares = weekly_frame_shares(con, codebook, n_bootstrap=50)
    assert shares.calibration_rows == 60
    # The stored rows reached the estimator: each frame is corrected by them, or refused on what
    # they show (60 demo rows cannot pin a separation's lower bound above 0.2 for every frame).
    assert {e.n for e in shares.estimates} == {30}
    for e in shares.estimates:
        assert (e.method == "pacc" and e.calibrated_on == "train" and not e.note) or (
            e.method == "classify_and_count" and "on the calibration rows" in e.note), e


def test_rows_without_a_group_or_with_a_bad_inclusion_probability_are_named():
    from pipeline.framing.shares import group_of, inclusion_of

    assert group_of({"id": 1, "week": 202640}, "week", "input row") == "202640"
    for bad in ({"id": 1}, {"id": 1, "week": ""}, {"id": 1, "week": ["w"]}, {"id": 1, "week": True}):
        with pytest.raises(PrevalenceError, match="input row 1: no 'week' field to group by"):
            group_of(bad, "week", "input row")
    assert inclusion_of({"id": "g", "inclusion_probability": 0.25}, "gold row") == 0.25
    assert inclusion_of({"id": "g"}, "gold row") is None
    for bad in (0, 1.5, "0.3", True):
        with pytest.raises(PrevalenceError, match="gold row 'g': inclusion_probability must be"):
            inclusion_of({"id": "g", "inclusion_probability": bad}, "gold row")
