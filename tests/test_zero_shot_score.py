"""The zero-shot score stored with every label (core.frame_labels.score, `article_frames`): an
approximate probability that does not pile up at 1.00, while the zero-shot decisions and every
calibration stay what they were (issue 16, item 4)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from pipeline.framing import calibration as calibration_module
from pipeline.framing import model as model_module
from pipeline.framing.calibration import _zero_shot_prior
from pipeline.framing.codebook import load_codebook
from pipeline.framing.labeler import embed_texts, label_embedded
from pipeline.framing.model import (
    ZERO_SHOT_THRESHOLD,
    FrameModel,
    zero_shot_probabilities,
    zero_shot_version,
)

REPO = Path(__file__).resolve().parents[1]
AI_RACE = REPO / "seeds" / "frames.toml"

# Short AI-race texts (and one off the topic): frames on both sides of the zero-shot cut.
TEXTS = [
    "The Commerce Department widened export controls on advanced chips to keep them from China's "
    + "military.\n\nOfficials said the rules protect national security.",
    "Brussels adopted the AI Act, which its backers say will set the global standard for "
    + "regulating artificial intelligence.",
    "Hospitals in Kenya use an AI tool that reads chest X-rays, easing a shortage of radiologists.",
    "Venture funding for AI start-ups hit a record as cloud companies poured billions into data "
    + "centres.\n\nAnalysts warned of a bubble.",
    "Scientists from China and the United States called for shared safety rules instead of a "
    + "race to build ever larger models.",
    "Canada's top AI researchers keep leaving for Silicon Valley salaries, a study found.",
    "The council approved a new bus lane on the high street after a long consultation.",
]


def old_steep_logistic(margins: np.ndarray) -> np.ndarray:
    """The score every label stored before: 0.5 at the threshold, rising with scale 0.02."""
    return 1.0 / (1.0 + np.exp(-np.asarray(margins, dtype=np.float64) / 0.02))


@pytest.fixture(scope="module")
def ai_race_labels(embedder):
    model = FrameModel(load_codebook(AI_RACE), embedder)
    embedded = embed_texts([{"id": i, "text": t} for i, t in enumerate(TEXTS)], embedder)
    margins = np.stack([model.zero_shot_margins(e.vectors) for e in embedded])
    return model, embedded, margins, label_embedded(model, embedded)


# -- the calibration prior keeps its numbers ------------------------------------------------


def test_the_calibration_prior_keeps_its_frozen_transform(monkeypatch):
    relative = np.array([[0.06, 0.08, 0.0, -0.1, 0.2, 0.04]])
    # The values every saved calibration was fitted with: sigmoid((x - 0.06) / 0.02).
    expected = 1.0 / (1.0 + np.exp(-(relative - 0.06) / 0.02))
    np.testing.assert_array_equal(_zero_shot_prior(relative, True), expected)
    np.testing.assert_allclose(
        _zero_shot_prior(relative, True)[0, :3], [0.5, 0.7310585786300049, 0.0474258731775668]
    )
    single = _zero_shot_prior(relative, False)
    np.testing.assert_allclose(single.sum(axis=1), 1.0)
    np.testing.assert_allclose(single, np.exp(relative / 0.02) / np.exp(relative / 0.02).sum())
    # Refitting the shown zero-shot score (or moving the zero-shot threshold) moves no calibration.
    monkeypatch.setattr(model_module, "ZERO_SHOT_PROBABILITY_SLOPE", 3.0)
    monkeypatch.setattr(model_module, "ZERO_SHOT_PROBABILITY_INTERCEPT", 1.0)
    monkeypatch.setattr(model_module, "ZERO_SHOT_THRESHOLD", 0.1)
    np.testing.assert_array_equal(_zero_shot_prior(relative, True), expected)
    assert calibration_module.PRIOR_THRESHOLD == 0.06 and calibration_module.PRIOR_SCALE == 0.02


# -- the score ----------------------------------------------------------------------------


def test_the_zero_shot_score_is_a_gentle_logistic_of_the_margin():
    margins = np.linspace(-0.4, 0.4, 81)
    scores = zero_shot_probabilities(margins)
    assert np.all(np.diff(scores) > 0)  # the same order as the margins: evidence ranks keep
    # At the zero-shot threshold a frame is present about one time in six on the evaluation sets.
    assert zero_shot_probabilities(np.array(0.0)) == pytest.approx(0.172, abs=0.001)
    # Margins of real articles lie within about +-0.3 (99% of the dev sets' within -0.31..0.22):
    # none of them reads as certainty, as a quarter of the demo's present labels did.
    assert zero_shot_probabilities(np.array(0.3)) < 0.97
    assert zero_shot_probabilities(np.array(-0.3)) > 0.001
    assert old_steep_logistic(np.array(0.3)) > 0.9999  # what it replaces


def test_zero_shot_decisions_are_taken_on_the_margin_and_did_not_change(ai_race_labels):
    model, _, margins, results = ai_race_labels
    for margin, result in zip(margins, results, strict=True):
        decided = {f for f, m in zip(model.frame_ids, margin, strict=True) if m >= 0}
        assert set(result.present) == decided
        # The former rule (score >= 0.5 on the steep logistic) decides the same.
        old = old_steep_logistic(margin)
        assert decided == {f for f, s in zip(model.frame_ids, old, strict=True) if s >= 0.5}
        assert result.primary == model.frame_ids[int(np.argmax(margin))]
        assert result.primary == model.frame_ids[int(np.argmax(old - 0.5))]
        expected = np.round(zero_shot_probabilities(margin), 4)
        assert [result.scores[f] for f in model.frame_ids] == pytest.approx(expected, abs=1e-4)
    # Both sides of the cut are exercised.
    n_present = sum(len(r.present) for r in results)
    assert 0 < n_present < len(results) * len(model.frame_ids)


def test_refitting_the_score_moves_no_decision(ai_race_labels, monkeypatch):
    model, embedded, _, results = ai_race_labels
    monkeypatch.setattr(model_module, "ZERO_SHOT_PROBABILITY_SLOPE", 4.0)
    monkeypatch.setattr(model_module, "ZERO_SHOT_PROBABILITY_INTERCEPT", 2.0)
    again = label_embedded(model, embedded)
    assert [(r.present, r.primary) for r in again] == [(r.present, r.primary) for r in results]
    assert [
        {f: [i for i, _ in hits] for f, hits in r.evidence.items()} for r in again
    ] == [{f: [i for i, _ in hits] for f, hits in r.evidence.items()} for r in results]
    assert [r.scores for r in again] != [r.scores for r in results]


def test_the_label_version_changes_with_what_a_zero_shot_label_means(ai_race_labels, monkeypatch):
    model = ai_race_labels[0]
    before = model.version
    assert before == f"{model.codebook.fingerprint}+{zero_shot_version()}"
    for name, value in (
        ("ZERO_SHOT_PROBABILITY_SLOPE", 12.0),
        ("ZERO_SHOT_PROBABILITY_INTERCEPT", -1.0),
        ("ZERO_SHOT_THRESHOLD", 0.05),
        ("TOP_K_PASSAGES", 3),
        ("NEGATIVE_MARGIN_WEIGHT", 0.25),
    ):
        with monkeypatch.context() as patch:
            patch.setattr(model_module, name, value)
            # Labels stored under the old version are relabelled by the frame stage
            # (pending_articles: another label version), never mixed with new-scale ones.
            assert model.version != before, name
    assert model.version == before


# -- real outputs are not saturated ----------------------------------------------------------


@pytest.mark.slow
def test_demo_corpus_scores_do_not_pile_up_at_one(embedder):
    from pipeline.demo_site import build_corpus

    corpus = build_corpus(seed=7, scale="small", anchor=date(2026, 12, 1))
    articles = [a for a in corpus.articles if a.on_topic and not a.wire_of]
    model = FrameModel(load_codebook(AI_RACE), embedder)
    embedded = embed_texts(
        [{"title": a.title, "text": "\n\n".join(a.paragraphs)} for a in articles], embedder
    )
    results = label_embedded(model, embedded)
    scores = np.array([[r.scores[f] for f in model.frame_ids] for r in results])
    present = np.array([[f in r.present for f in model.frame_ids] for r in results])
    assert present.sum() >= 50
    # Measured 2026-12-05 on these 33 stories: 0 of 297 scores at 0.995 or above (the steep
    # logistic: 30, a quarter of the 131 present labels); present labels spread over 54 values.
    assert (scores >= 0.995).mean() <= 0.01
    assert (scores[present] >= 0.995).mean() <= 0.02
    assert len(np.unique(scores[present].round(2))) >= 20
    # Present frames read at least the score at the threshold, absent ones below it.
    at_threshold = float(zero_shot_probabilities(np.array(0.0)))
    assert scores[present].min() >= round(at_threshold, 4)
    assert scores[~present].max() <= round(at_threshold, 4)


def _dev_rows(shared_dir: Path, dataset: str) -> list[dict]:
    path = shared_dir / "eval" / "frames" / f"{dataset}.dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line]


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["gvfc", "frac"])
def test_zero_shot_scores_are_approximate_probabilities_on_the_dev_sets(
    dataset, shared_dir, embedder
):
    """The score beats a constant at each set's own base rate and its calibration error is small.

    The mapping was fitted on these sets (tests/bench/fit_zero_shot_probability.py); cross-fitted
    and leave-one-set-out its numbers are nearly the same (gvfc log-loss 0.285 / 0.286, ECE
    0.022 / 0.027; frac 0.190 / 0.211, 0.052 / 0.078). The steep logistic it replaced: log-loss
    0.506 and 0.483, ECE 0.14 and 0.16, 4% and 7% of scores at 0.995 or above."""
    from pipeline.framing.scoring import gold_frames

    rows = _dev_rows(shared_dir, dataset)
    codebook = load_codebook(REPO / "seeds" / "codebooks" / f"{dataset}.toml")
    model = FrameModel(codebook, embedder)
    results = label_embedded(model, embed_texts(rows, embedder))
    p = np.array([[r.scores[f] for f in codebook.frame_ids] for r in results]).ravel()
    y = np.array(
        [[f in gold_frames(r, codebook, dataset)[0] for f in codebook.frame_ids] for r in rows],
        dtype=float,
    ).ravel()
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    log_loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    base = y.mean()
    constant = -(base * np.log(base) + (1 - base) * np.log(1 - base))
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(
        abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).sum()
        for b in range(10)
        if (bins == b).any()
    ) / len(p)
    assert log_loss < constant - 0.05, (log_loss, constant)
    assert ece < 0.08
    assert (p >= 0.995).mean() == 0.0
    assert ZERO_SHOT_THRESHOLD == 0.06  # the margin these numbers were measured at
