"""Framing engine: codebooks, passages, the embedder, frame scoring, calibration and `framewatch label`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.commands.label import command as label_command
from pipeline.errors import FramewatchError, ModelIntegrityError, SeedError
from pipeline.framing import embed
from pipeline.framing.calibrate import Calibration, _best_threshold, evaluate, fit_calibration
from pipeline.framing.codebook import fold_label, load_codebook
from pipeline.framing.embed import Embedder
from pipeline.framing.labeler import calibrate_on_rows, embed_texts
from pipeline.framing.lexical import Vocabulary
from pipeline.framing.model import FrameModel
from pipeline.framing.passages import Passage, sentences, split_passages, split_text

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

TINY_CODEBOOK = """
[codebook]
id = "tiny"
version = "1"
title = "Tiny"
multi_label = {multi_label}

[[frames]]
id = "economy"
label = "Economy"
definition = "Money, costs, prices, jobs and profits."
exemplars = ["The plant closure will cost 2,000 jobs.", "Prices rose sharply as costs climbed.", "Profits at the firm doubled this year."]

[[frames]]
id = "health"
label = "Health and safety"
definition = "Illness, injury, hospitals, doctors and medical treatment."
exemplars = ["Hospitals are full of patients with the flu.", "The injured were treated by doctors at the scene.", "The vaccine protects children from disease."]
negatives = ["The drug maker's shares rose on strong quarterly profits."]

[[frames]]
id = "sport"
label = "Sport"
definition = "Games, matches, teams, players, goals and championships."
exemplars = ["The striker scored twice as United won the match.", "The team lifted the championship trophy.", "Fans cheered the players after the final whistle."]
"""

ECONOMY = [
    "Factory wages fell again as the company cut costs.",
    "The bank raised interest rates to fight inflation.",
    "Unemployment rose to its highest level in a decade.",
    "Shares slumped after the retailer reported a loss.",
    "The budget deficit widened as tax receipts fell.",
]
HEALTH = [
    "Doctors warned of a rise in measles cases among children.",
    "The nurse treated dozens of patients in the emergency ward.",
    "A new cancer drug extended patients' lives in trials.",
    "The outbreak has put hundreds of people in hospital.",
    "Surgeons operated through the night on the crash victims.",
]
SPORT = [
    "The goalkeeper saved a penalty in the last minute.",
    "She won the marathon in record time.",
    "The coach praised his players after the cup final.",
    "The visitors scored three goals in the second half.",
    "The tennis champion lost in the first round.",
]


def write_codebook(tmp_path: Path, multi_label: bool = True) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_CODEBOOK.format(multi_label=str(multi_label).lower()), encoding="utf8")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf8")
    return path


def labelled_rows() -> list[dict]:
    rows = []
    for name, texts in (("Economy", ECONOMY), ("health and safety", HEALTH), ("sport", SPORT)):
        for i, text in enumerate(texts):
            rows.append({"id": f"{name[:3]}{i}", "text": text, "labels": [name], "primary": name})
    return rows


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=1)


# -- codebook ----------------------------------------------------------------------------------


def test_codebook_loads_and_fingerprints(tmp_path):
    path = write_codebook(tmp_path)
    cb = load_codebook(path)
    assert cb.frame_ids == ["economy", "health", "sport"]
    assert cb.multi_label is True
    assert cb.frame("health").negatives == (
        "The drug maker's shares rose on strong quarterly profits.",
    )
    assert cb.fingerprint == load_codebook(path).fingerprint
    changed = tmp_path / "changed.toml"
    changed.write_text(path.read_text().replace("Money, costs", "Money, wages"), encoding="utf8")
    assert load_codebook(changed).fingerprint != cb.fingerprint
    assert cb.match_label("HEALTH_and/safety") == "health"
    assert cb.match_label("economy") == "economy"
    assert cb.match_label("politics") is None
    assert fold_label(" Gun control/regulation ") == fold_label("gun_control-regulation")


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (lambda t: t.replace("[codebook]", "[book]"), "codebook", "missing required key"),
        (lambda t: t.replace('id = "tiny"', 'id = "Tiny Book"'), "codebook.id", "bad id 'Tiny Book'"),
        (
            lambda t: t.replace("multi_label = true", 'multi_label = "yes"'),
            "codebook.multi_label",
            "true or false",
        ),
        (lambda t: t.replace('id = "health"', 'id = "economy"'), "frames[1].id", "duplicate frame id"),
        (
            lambda t: t.replace('label = "Sport"', 'label = "economy"'),
            "frames[2].label",
            "duplicate frame label",
        ),
        (
            lambda t: t.replace('definition = "Games', 'definitio = "Games'),
            "frames[2].definition",
            "required",
        ),
        (
            lambda t: t.replace(
                'exemplars = ["The striker scored twice as United won the match.", "The team lifted the championship trophy.", "Fans cheered the players after the final whistle."]',
                "exemplars = []",
            ),
            "frames[2].exemplars",
            "at least one",
        ),
        (
            lambda t: t.replace('"The team lifted the championship trophy."', "42"),
            "frames[2].exemplars[1]",
            "expected a string",
        ),
        (
            lambda t: t.replace('negatives = ["', 'negatives = "').replace(
                'profits."]', 'profits."'
            ),
            "frames[1].negatives",
            "expected an array",
        ),
    ],
)
def test_codebook_errors_name_file_key_and_problem(tmp_path, edit, key, problem):
    path = tmp_path / "bad.toml"
    path.write_text(edit(TINY_CODEBOOK.format(multi_label="true")), encoding="utf8")
    with pytest.raises(SeedError) as info:
        load_codebook(path)
    errors = getattr(info.value, "errors", (info.value,))  # SeedErrors lists every problem
    assert all(error.path == str(path) for error in errors)
    assert any(error.key == key and problem in error.problem for error in errors), \
        [(error.key, error.problem) for error in errors]


def test_codebook_rejects_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[codebook\nid = 1", encoding="utf8")
    with pytest.raises(SeedError, match="TOML syntax error"):
        load_codebook(bad)
    with pytest.raises(SeedError, match="file not found"):
        load_codebook(tmp_path / "absent.toml")


def test_shipped_codebooks_are_valid():
    paths = sorted((REPO / "seeds" / "codebooks").glob("*.toml"))
    assert {p.stem for p in paths} >= {"frermann", "gvfc", "frac"}
    if (REPO / "seeds" / "frames.toml").exists():
        paths.append(REPO / "seeds" / "frames.toml")
    for path in paths:
        cb = load_codebook(path)
        assert all(len(f.exemplars) >= 3 for f in cb.frames), path


def test_eval_codebooks_cover_their_datasets_labels():
    frames_dir = SHARED / "eval" / "frames"
    if not frames_dir.is_dir():
        pytest.skip("../shared/eval/frames is not present")
    for name in ("frermann", "gvfc", "frac"):
        cb = load_codebook(REPO / "seeds" / "codebooks" / f"{name}.toml")
        rows = [
            json.loads(line) for line in (frames_dir / f"{name}.dev.jsonl").read_text().splitlines()
        ]
        names = {label for r in rows for label in r["labels"]}
        # Frame ids fold to the data sets' own names, so predictions score without a mapping.
        assert {fold_label(n) for n in names} == {fold_label(i) for i in cb.frame_ids}, name


# -- passages ----------------------------------------------------------------------------------


def test_split_passages_keeps_headline_and_bounds_length():
    long_paragraph = " ".join(
        f"Sentence number {i} says something about the chip race." for i in range(40)
    )
    passages = split_passages(
        "The headline",
        ["Tiny.", "Also tiny.", long_paragraph, "A closing paragraph " * 3],
        max_chars=300,
        min_chars=60,
    )
    assert passages[0] == Passage(0, "headline", "The headline")
    assert [p.idx for p in passages] == list(range(len(passages)))
    body = passages[1:]
    assert all(p.kind == "body" for p in body)
    assert body[0].text.startswith("Tiny. Also tiny.")  # tiny paragraphs merged
    assert all(len(p.text) <= 300 for p in body)
    assert all(p.text.endswith((".", "paragraph")) for p in body)  # cut at sentence ends
    joined = " ".join(p.text for p in body)
    assert "Sentence number 39 says" in joined and "Sentence number 0 says" in joined


def test_split_passages_wraps_a_sentence_without_stops():
    passages = split_passages(None, ["word " * 500], max_chars=200, min_chars=50)
    assert len(passages) >= 10
    assert all(len(p.text) <= 200 for p in passages)
    with pytest.raises(ValueError):
        split_passages(None, ["x"], max_chars=100, min_chars=100)


def test_split_text_handles_headline_only_and_glued_titles():
    only = split_text("Gun sales surge after shooting", "Gun sales surge after shooting")
    assert only == [Passage(0, "headline", "Gun sales surge after shooting")]
    glued = split_text("Storm hits coast", "Storm hits coast and floods homes.\n\nResidents fled.")
    assert all(p.kind == "body" for p in glued)
    assert split_text("Title", "Body one.\nBody two.")[0].kind == "headline"
    assert sentences('It rained.But nobody "cared."Then Dr. Smith left.') == [
        "It rained.",
        'But nobody "cared."',
        "Then Dr. Smith left.",
    ]


# -- embedder ----------------------------------------------------------------------------------


def test_embedder_vectors(embedder):
    texts = [
        "short",
        "a much longer text about export controls on advanced chips",
        "medium length text",
    ]
    vectors = embedder.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.stack([embedder.encode([t])[0] for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-5)  # order kept through length sorting
    assert embedder.encode([]).shape == (0, 384)
    assert embedder.model_id == "all-MiniLM-L6-v2/torch/53aa51172d14"
    assert embedder.dim == 384


def test_tampered_model_is_refused(tmp_path, monkeypatch):
    source = embed.default_model_path()
    copy = tmp_path / "model"
    copy.mkdir()
    for item in source.iterdir():
        if item.name != "model.safetensors":
            os.symlink(item, copy / item.name)
    data = bytearray((source / "model.safetensors").read_bytes())
    data[-1] ^= 0x01
    (copy / "model.safetensors").write_bytes(bytes(data))
    monkeypatch.setattr(embed, "default_model_path", lambda: copy)
    with pytest.raises(ModelIntegrityError, match="does not match"):
        Embedder()
    (copy / "model.safetensors").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        Embedder()


def test_model_given_by_path_or_name(tmp_path):
    with pytest.raises(FramewatchError, match="no such directory"):
        Embedder(str(tmp_path / "nope"))
    with pytest.raises(FramewatchError, match="never downloads"):
        Embedder("no-such-org/no-such-model")
    with pytest.raises(FramewatchError, match="unknown embedding backend"):
        Embedder(backend="tensorflow")


@pytest.mark.slow
def test_onnx_backends_match_torch(tmp_path, embedder):
    texts = [
        "A",
        "Beijing tightens rules on data exports.",
        "Chip subsidies " * 30,
        "The lab hired ten researchers.",
    ]
    reference = embedder.encode(texts)
    onnx = Embedder(backend="onnx", cache_dir=tmp_path)
    assert onnx.model_id == "all-MiniLM-L6-v2/onnx/53aa51172d14"
    assert np.allclose(onnx.encode(texts), reference, atol=1e-4)
    assert (tmp_path / "onnx").is_dir()
    int8 = Embedder(backend="onnx-int8", cache_dir=tmp_path)
    cosines = (int8.encode(texts) * reference).sum(axis=1)
    assert cosines.min() > 0.95 and cosines.mean() > 0.98


# -- scoring -----------------------------------------------------------------------------------


def test_zero_shot_scores_evidence_and_primary(tmp_path, embedder):
    model = FrameModel(load_codebook(write_codebook(tmp_path)), embedder)
    passages = split_passages("Flu season fills the wards", [HEALTH[0], SPORT[1], HEALTH[3]])
    result = model.score(passages, embedder.encode([p.text for p in passages]))
    assert set(result.scores) == {"economy", "health", "sport"}
    assert result.primary == "health"
    assert "health" in result.present and "economy" not in result.present
    assert {idx for idx, _ in result.evidence["health"]} <= {0, 1, 3}
    assert result.evidence["health"][0][0] != 2  # the sport passage is not the best health evidence
    assert "+zeroshot-" in model.version  # zero-shot labels name their scoring constants
    with pytest.raises(FramewatchError):
        model.score(passages, embedder.encode(["only one vector"]))


def test_single_label_codebook_gives_exactly_one_frame(tmp_path, embedder):
    model = FrameModel(load_codebook(write_codebook(tmp_path, multi_label=False)), embedder)
    texts = [[t] for t in ECONOMY[:2] + SPORT[:2]]
    results = model.score_many((split_passages(None, t), embedder.encode(t)) for t in texts)
    assert [r.present for r in results] == [[r.primary] for r in results]
    assert [r.primary for r in results] == ["economy", "economy", "sport", "sport"]


@pytest.mark.slow
def test_seed_article_gets_ai_race_frames(embedder):
    seed_article = SHARED / "seeds" / "seed-article.txt"
    frames_toml = REPO / "seeds" / "frames.toml"
    if not seed_article.exists() or not frames_toml.exists():
        pytest.skip("needs ../shared/seeds/seed-article.txt and seeds/frames.toml")
    model = FrameModel(load_codebook(frames_toml), embedder)
    passages = split_text(None, seed_article.read_text(encoding="utf8"))
    result = model.score(passages, embedder.encode([p.text for p in passages]))
    assert {"data_advantage", "talent", "regulation"} <= set(result.present)
    assert result.primary == "data_advantage"


# -- calibration -------------------------------------------------------------------------------


def test_calibration_round_trip(tmp_path, embedder):
    codebook = load_codebook(write_codebook(tmp_path))
    model = FrameModel(codebook, embedder)
    rows = labelled_rows()
    embedded = embed_texts(rows, embedder)
    calibration = calibrate_on_rows(model, rows, embedded)
    assert calibration.feature_set == "similarity"  # 15 rows: too few for an embedding head
    path = tmp_path / "cal.json"
    calibration.save(path)
    loaded = Calibration.load(path)
    assert loaded.version == calibration.version
    features = np.stack([model.article_features(e.vectors) for e in embedded])
    assert np.allclose(
        loaded.predict_proba(features), calibration.predict_proba(features), atol=1e-6
    )
    model.use_calibration(loaded)
    assert model.version == f"{codebook.fingerprint}+{calibration.version}"
    preds = [
        {"id": r["id"], "frames": a.present, "primary": a.primary}
        for r, a in zip(rows, model.score_many((e.passages, e.vectors) for e in embedded))
    ]
    gold = [{"id": r["id"], "labels": [codebook.match_label(r["labels"][0])]} for r in rows]
    assert evaluate(gold, preds)["macro_f1"] > 0.8

    edited = json.loads(path.read_text())
    edited["thresholds"][0] = 0.01
    path.write_text(json.dumps(edited))
    with pytest.raises(FramewatchError, match="does not match its version hash"):
        Calibration.load(path)
    other = load_codebook(write_codebook(tmp_path, multi_label=False))
    with pytest.raises(FramewatchError, match="recalibrate"):
        loaded.check_compatible(other, embedder.model_id)
    with pytest.raises(FramewatchError, match="not all-MiniLM-L6-v2/onnx"):
        loaded.check_compatible(codebook, "all-MiniLM-L6-v2/onnx/53aa51172d14")


def test_embedding_head_with_enough_rows(tmp_path):
    codebook = load_codebook(write_codebook(tmp_path, multi_label=False))
    rng = np.random.default_rng(0)
    n_sim = 9
    labels = [["economy"], ["health"], ["sport"]] * 30
    features = rng.normal(size=(90, 384 + n_sim))
    for i, lab in enumerate(labels):  # a separable signal in the embedding block only
        features[i, codebook.frame_ids.index(lab[0])] += 3.0
    calibration = fit_calibration(
        codebook, "m", features, labels, [lab[0] for lab in labels], n_similarity_features=n_sim
    )
    assert calibration.feature_set == "embedding+similarity"
    predicted = calibration.predict_proba(features).argmax(axis=1)
    assert (predicted == [codebook.frame_ids.index(lab[0]) for lab in labels]).mean() > 0.9


def _word_signal_rows(rng: np.random.Generator, n: int) -> tuple[list[list[str]], list[str]]:
    """Labels and texts whose frame shows only in one cue word among filler words."""
    cues = {"economy": "tariffs", "health": "vaccine", "sport": "goalkeeper"}
    filler = [f"word{i}" for i in range(40)]
    labels, texts = [], []
    for i in range(n):
        frame = ("economy", "health", "sport")[i % 3]
        words = [*rng.choice(filler, size=8), cues[frame]]
        rng.shuffle(words)
        labels.append([frame])
        texts.append(" ".join(words))
    return labels, texts


def _fit_single_label(codebook, features, labels, texts, *, n_similarity: int, model_id: str = "m"):
    """A calibration fitted on rows whose primary frame is their first label."""
    return fit_calibration(
        codebook,
        model_id,
        features,
        labels,
        [lab[0] for lab in labels],
        n_similarity_features=n_similarity,
        texts=texts,
    )


def test_word_head_learns_cue_words_and_round_trips(tmp_path):
    codebook = load_codebook(write_codebook(tmp_path, multi_label=False))
    rng = np.random.default_rng(1)
    n_sim = 9
    labels, texts = _word_signal_rows(rng, 90)
    features = rng.normal(size=(90, 384 + n_sim))  # no signal outside the words
    calibration = _fit_single_label(codebook, features, labels, texts, n_similarity=n_sim)
    assert calibration.feature_set == "embedding+similarity+words"
    assert calibration.uses_texts and calibration.lexical_weight > 0
    assert {"tariffs", "vaccine", "goalkeeper"} <= set(calibration.lexical_terms)
    new_labels, new_texts = _word_signal_rows(rng, 30)
    new_features = rng.normal(size=(30, 384 + n_sim))
    predicted = calibration.predict_proba(new_features, new_texts).argmax(axis=1)
    gold = [codebook.frame_ids.index(lab[0]) for lab in new_labels]
    assert (predicted == gold).mean() > 0.9
    with pytest.raises(FramewatchError, match="word head"):
        calibration.predict_proba(new_features)

    path = tmp_path / "cal.json"
    calibration.save(path)
    loaded = Calibration.load(path)
    assert loaded.version == calibration.version
    assert np.allclose(
        loaded.predict_proba(new_features, new_texts),
        calibration.predict_proba(new_features, new_texts),
        atol=1e-6,
    )


def test_frame_model_feeds_passage_texts_to_a_word_head(tmp_path, embedder):
    # The path `frames relabel` takes: passages (with their texts) and stored vectors, no re-embedding.
    codebook = load_codebook(write_codebook(tmp_path, multi_label=False))
    model = FrameModel(codebook, embedder)
    rng = np.random.default_rng(2)
    labels, texts = _word_signal_rows(rng, 90)
    n_features = len(model.article_features(embedder.encode(["any text"])))
    calibration = _fit_single_label(  # features without signal: the words must carry the frame
        codebook,
        rng.normal(size=(90, n_features)),
        labels,
        texts,
        n_similarity=model.n_similarity_features,
        model_id=embedder.model_id,
    )
    assert calibration.uses_texts
    model.use_calibration(calibration)
    passages = split_text("Word1 word2", "word3 vaccine word4\n\nword5 word6")
    result = model.score(passages, embedder.encode([p.text for p in passages]))
    assert result.primary == "health"
    assert result.evidence["health"][0][0] == 1  # the passage with the cue word


def test_calibration_without_word_head_saves_no_terms(tmp_path):
    codebook = load_codebook(write_codebook(tmp_path, multi_label=False))
    rng = np.random.default_rng(0)
    labels = [["economy"], ["health"], ["sport"]] * 30
    features = rng.normal(size=(90, 393))
    for i, lab in enumerate(labels):
        features[i, codebook.frame_ids.index(lab[0])] += 3.0
    texts = ["the same words in every text"] * 90  # nothing to learn from the words
    calibration = _fit_single_label(codebook, features, labels, texts, n_similarity=9)
    assert calibration.feature_set == "embedding+similarity"
    assert not calibration.uses_texts and calibration.lexical_terms == []
    path = tmp_path / "cal.json"
    calibration.save(path)
    assert Calibration.load(path).predict_proba(features).shape == (90, 3)


def test_calibration_of_an_older_format_asks_to_recalibrate(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "framewatch-calibration/1", "coef": []}))
    with pytest.raises(FramewatchError, match="framewatch-calibration/1 .*recalibrate"):
        Calibration.load(path)
    path.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(FramewatchError, match="not a calibration file"):
        Calibration.load(path)


def test_word_vocabulary_counts_unigrams_and_bigrams():
    vocabulary = Vocabulary.fit(
        ["Gun control bill passes", "gun control vote fails", "A poll on guns"], min_df=2
    )
    assert vocabulary.terms == ("control", "gun", "gun control")
    rows = vocabulary.transform(["GUN control, gun control!", "nothing known here"]).toarray()
    assert np.isclose(np.linalg.norm(rows[0]), 1.0)
    assert rows[0][vocabulary.terms.index("gun")] > 0
    assert not rows[1].any()  # no known term: an all-zero row, not a division by zero


def test_best_threshold_matches_exhaustive_search():
    rng = np.random.default_rng(3)
    for _ in range(20):
        scores = np.round(rng.random(40), 2)
        gold = rng.random(40) < 0.3
        cut, f1 = _best_threshold(scores, gold)
        exhaustive = max(
            (
                2 * (gold & (scores >= t)).sum() / ((scores >= t).sum() + gold.sum()),
                -abs(t - 0.5),
                t,
            )
            for t in np.unique(scores)
        )
        assert f1 == pytest.approx(exhaustive[0]) and cut == pytest.approx(exhaustive[2])


def test_evaluate_counts():
    gold = [
        {"id": 1, "labels": ["A", "B"], "primary": "A"},
        {"id": 2, "labels": ["B"], "primary": "B"},
        {"id": 3, "labels": ["a"], "primary": "a"},
    ]
    preds = [
        {"id": 1, "frames": ["a"], "primary": "a"},
        {"id": "2", "frames": ["A", "b"], "primary": "A"},
    ]
    scores = evaluate(gold, preds)
    assert scores["per_frame"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert scores["per_frame"]["b"]["recall"] == 0.5
    assert scores["primary_accuracy"] == pytest.approx(1 / 3)
    assert scores["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))


# -- CLI ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_label_cli_end_to_end(tmp_path):
    codebook = write_codebook(tmp_path)
    inputs = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "id": "a",
                "title": "Hospital crisis",
                "text": f"{HEALTH[1]}\n\n{HEALTH[2]}",
                "extra": 1,
            },
            {"id": 7, "text": SPORT[2]},
            {"id": "c", "text": ECONOMY[2]},
        ],
    )
    train = write_jsonl(tmp_path / "train.jsonl", labelled_rows())
    runner = CliRunner()
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        label_command, ["--codebook", str(codebook), "--input", str(inputs), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", 7, "c"]
    assert [r["primary"] for r in rows] == ["health", "sport", "economy"]
    assert set(rows[0]) == {"id", "frames", "primary", "score_kind", "scores", "evidence"}
    assert rows[0]["evidence"]["health"][0] in {"Hospital crisis", HEALTH[1], HEALTH[2]}

    cal = tmp_path / "cal.json"
    trained = tmp_path / "trained.jsonl"
    result = runner.invoke(
        label_command,
        [
            "--codebook",
            str(codebook),
            "--input",
            str(inputs),
            "--output",
            str(trained),
            "--train",
            str(train),
            "--save-calibration",
            str(cal),
        ],
    )
    assert result.exit_code == 0, result.output
    assert cal.exists()
    reused = tmp_path / "reused.jsonl"
    result = runner.invoke(
        label_command,
        [
            "--codebook",
            str(codebook),
            "--input",
            str(inputs),
            "--output",
            str(reused),
            "--calibration",
            str(cal),
        ],
    )
    assert result.exit_code == 0, result.output
    assert reused.read_text() == trained.read_text()
    assert [json.loads(line)["primary"] for line in trained.read_text().splitlines()] == [
        "health",
        "sport",
        "economy",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "text": "fine"}\n{"id": 2, "text": \n', "line 2: not valid JSON"),
        ('{"id": 1, "text": "fine"}\n\n{"text": "no id"}\n', "line 3: missing 'id'"),
        ('{"id": 1, "text": "  "}\n', "line 1: missing 'text'"),
        ('{"id": 1, "text": "", "title": " "}\n', "line 1: missing 'text'"),
        ('{"id": 1, "text": ["a", "list"]}\n', "line 1: 'text' must be a string"),
        ('{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', "line 2: duplicate id 1"),
        ('["not", "an", "object"]\n', "line 1: expected a JSON object"),
    ],
)
def test_label_cli_bad_input_names_the_line(tmp_path, content, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf8")
    result = CliRunner().invoke(
        label_command,
        [
            "--codebook",
            str(write_codebook(tmp_path)),
            "--input",
            str(bad),
            "--output",
            str(tmp_path / "o.jsonl"),
        ],
    )
    assert result.exit_code != 0
    assert message in result.output


def test_label_cli_labels_a_headline_only_row_by_its_title(tmp_path):
    rows = [{"id": "h1", "title": SPORT[0]}, {"id": "h2", "title": SPORT[0], "text": ""},
            {"id": "t", "text": SPORT[0]}]
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(
        label_command,
        ["--codebook", str(write_codebook(tmp_path)), "--input",
         str(write_jsonl(tmp_path / "in.jsonl", rows)), "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    labelled = {row["id"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert labelled["h1"]["scores"] == labelled["h2"]["scores"] == labelled["t"]["scores"]
    assert labelled["h1"]["primary"] == "sport"
    assert labelled["h1"]["evidence"]["sport"] == [SPORT[0]]


def test_label_cli_bad_training_labels(tmp_path):
    inputs = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": SPORT[0]}])
    rows = labelled_rows()
    rows[4]["labels"] = ["Weather"]
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    result = CliRunner().invoke(
        label_command,
        [
            "--codebook",
            str(write_codebook(tmp_path)),
            "--input",
            str(inputs),
            "--output",
            str(tmp_path / "o.jsonl"),
            "--train",
            str(train),
        ],
    )
    assert result.exit_code != 0
    assert "label 'Weather' matches no frame" in result.output and "'Eco4'" in result.output


def test_label_cli_help_documents_every_option():
    result = CliRunner().invoke(label_command, ["--help"])
    assert result.exit_code == 0
    for option in label_command.params:
        assert option.help, option.name
    assert "primary frame" in result.output
