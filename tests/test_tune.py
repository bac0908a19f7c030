"""Tuning the encoder on labelled rows: a calibration that brings its own model, saved and reloaded.

The rows are short sentences written for this test, three frames far apart in wording; tuning
runs for two epochs so that the file stays fast. The full recipe is measured on the evaluation
sets (tests/test_framing_quality.py).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.commands.label import command as label_command
from pipeline.errors import FramewatchError
from pipeline.framing import tune
from pipeline.framing.calibrate import Calibration
from pipeline.framing.codebook import load_codebook
from pipeline.framing.embed import Embedder
from pipeline.framing.labeler import embed_texts, label_embedded, should_tune, tune_on_rows
from pipeline.framing.model import FrameModel

pytestmark = pytest.mark.slow  # fine-tunes the encoder

CODEBOOK = """
[codebook]
id = "tiny"
version = "1"
title = "Three frames for the tuning test"
multi_label = false

[[frames]]
id = "money"
label = "Money"
definition = "Costs, prices, budgets and profits."
exemplars = ["The plan will cost taxpayers billions."]

[[frames]]
id = "safety"
label = "Safety"
definition = "Danger, harm, accidents and protection of people."
exemplars = ["The bridge is unsafe and could collapse."]

[[frames]]
id = "law"
label = "Law"
definition = "Courts, lawsuits, judges and what the law allows."
exemplars = ["The judge ruled the ban unconstitutional."]
"""

SENTENCES = {
    "money": [
        "Ticket prices rose again this spring.", "The city budget is short by two million.",
        "Profits at the firm doubled last year.", "Taxes on fuel will climb next month.",
        "The project ran far over its budget.", "Shoppers paid more for bread and milk.",
        "Wages have not kept up with rents.", "The company cut costs by closing stores.",
        "Investors lost money when shares fell.", "The grant pays for three new buses.",
    ],
    "safety": [
        "Two workers were hurt when the crane fell.", "Parents fear the crossing is dangerous.",
        "The recall covers heaters that can catch fire.", "Police warned of ice on the roads.",
        "The old school roof could fall on pupils.", "Smoke alarms saved the family's lives.",
        "The drug caused harmful side effects.", "Lifeguards pulled a swimmer from the rip.",
        "Inspectors found unsafe wiring in the flats.", "The storm put coastal homes at risk.",
    ],
    "law": [
        "The court will hear the appeal in May.", "Lawyers for the town filed a lawsuit.",
        "A judge blocked the new rule.", "The case goes to the supreme court.",
        "Prosecutors charged the director with fraud.", "The statute forbids such contracts.",
        "The tenants sued their landlord.", "Jurors found the defendant not guilty.",
        "The ruling overturns a lower court decision.", "The attorney general opened an inquiry.",
    ],
}


@pytest.fixture(scope="module")
def codebook(tmp_path_factory):
    path = tmp_path_factory.mktemp("codebook") / "tiny.toml"
    path.write_text(CODEBOOK)
    return load_codebook(path)


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [
        {"id": f"{frame}-{i}", "text": text, "labels": [frame]}
        for frame, texts in SENTENCES.items()
        for i, text in enumerate(texts)
    ]


@pytest.fixture(scope="module")
def tuned(codebook, rows, embedder, tmp_path_factory):
    work = tmp_path_factory.mktemp("tuned")
    model = FrameModel(codebook, embedder)
    result = tune_on_rows(
        model, rows, embedder.model_dir, work, lambda path: Embedder(path), where="test", epochs=2
    )
    yield result, work
    result.embedder.close()


def test_tuned_encoder_is_saved_by_content_with_its_head(tuned, embedder):
    result, work = tuned
    calibration = result.model.calibration
    assert calibration.tuned and calibration.feature_set == "tuned-encoder"
    assert calibration.encoder_dir.parent == work
    assert calibration.encoder_dir.name.startswith("all-MiniLM-L6-v2-tuned-")
    assert calibration.encoder_dir.name.endswith(calibration.encoder_sha256[:12])
    # The tuned weights differ from the base model's, and the embedder is the tuned one.
    assert calibration.encoder_sha256 != embedder.weights_sha256
    assert result.embedder.model_id == calibration.encoder_model_id != embedder.model_id
    assert not list(work.glob(".tuning*"))


def test_tuned_model_labels_its_training_frames(tuned, rows):
    result, _ = tuned
    embedded = embed_texts(rows, result.embedder)
    labels = label_embedded(result.model, embedded)
    accuracy = np.mean([frames.primary == row["labels"][0] for frames, row in zip(labels, rows, strict=True)])
    # Three frames in plainly different words: two epochs separate the rows they were tuned on.
    assert accuracy >= 0.9


def test_saved_calibration_brings_its_encoder_and_gives_the_same_labels(tuned, rows, codebook, tmp_path):
    result, _ = tuned
    path = tmp_path / "elsewhere" / "tiny.calibration.json"
    path.parent.mkdir()
    result.model.calibration.save(path)
    copied = path.parent / result.model.calibration.encoder_dir.name
    assert (copied / "model.safetensors").is_file()
    loaded = Calibration.load(path)
    assert loaded.tuned and loaded.encoder_dir == copied
    assert loaded.version == result.model.calibration.version
    reloaded = Embedder(loaded.encoder_dir)
    assert reloaded.model_id == loaded.encoder_model_id
    model = FrameModel(codebook, reloaded, calibration=loaded)
    before = label_embedded(result.model, embed_texts(rows, result.embedder))
    after = label_embedded(model, embed_texts(rows, reloaded))
    assert [a.primary for a in after] == [b.primary for b in before]
    np.testing.assert_allclose(
        [list(a.scores.values()) for a in after], [list(b.scores.values()) for b in before], atol=1e-4
    )


def test_calibration_refuses_a_missing_or_changed_encoder(tuned, tmp_path):
    result, _ = tuned
    path = tmp_path / "cal.json"
    result.model.calibration.save(path)
    weights = path.parent / result.model.calibration.encoder_dir.name / "model.safetensors"
    Calibration.load(path)  # hashed once now: a later change must not pass on this hash
    with open(weights, "r+b") as fh:  # one flipped byte near the end of the weights
        fh.seek(-10, 2)
        byte = fh.read(1)
        fh.seek(-10, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(FramewatchError, match="not the ones this calibration was tuned with"):
        Calibration.load(path)
    weights.unlink()
    with pytest.raises(FramewatchError, match="tuned encoder .* is missing"):
        Calibration.load(path)


def test_auto_tunes_short_texts_with_enough_rows_only(codebook, rows, embedder, monkeypatch):
    model = FrameModel(codebook, embedder)
    assert not should_tune(model, rows, embedder.tokenizer, "auto")  # 10 rows a frame, under 30
    monkeypatch.setattr(tune, "MIN_ROWS_PER_FRAME_FOR_TUNING", 10)
    assert should_tune(model, rows, embedder.tokenizer, "auto")
    assert not should_tune(model, rows[:12], embedder.tokenizer, "auto")
    multi_label = FrameModel(dataclasses.replace(codebook, multi_label=True), embedder)
    assert not should_tune(multi_label, rows, embedder.tokenizer, "auto")
    assert should_tune(multi_label, rows, embedder.tokenizer, "always")
    assert should_tune(model, rows[:12], embedder.tokenizer, "always")
    assert not should_tune(model, rows, embedder.tokenizer, "never")
    monkeypatch.setattr(tune, "AUTO_TOKEN_BUDGET", 100)  # as if the texts were long articles
    assert not should_tune(model, rows, embedder.tokenizer, "auto")
    with pytest.raises(FramewatchError, match="tune must be one of"):
        should_tune(model, rows, embedder.tokenizer, "sometimes")


def test_label_command_tunes_saves_and_reuses(codebook, rows, tmp_path, monkeypatch, embedder):
    monkeypatch.setattr(tune, "EPOCHS", 2)
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    unseen = tmp_path / "in.jsonl"
    texts = ["Fares on the trains will cost more.", "The jury reached a verdict.", "A gas leak forced families out."]
    unseen.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    codebook_path = Path(codebook.source)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    calibration = tmp_path / "cal" / "tiny.json"
    calibration.parent.mkdir()
    result = CliRunner().invoke(label_command, [
        "--codebook", str(codebook_path), "--input", str(unseen), "--output", str(first),
        "--train", str(train), "--tune-encoder", "always", "--save-calibration", str(calibration)])
    assert result.exit_code == 0, result.output
    assert "tuning the encoder on 30 labelled rows" in result.output
    assert list(calibration.parent.glob("*-tuned-*/model.safetensors"))
    result = CliRunner().invoke(label_command, [
        "--codebook", str(codebook_path), "--input", str(unseen), "--output", str(second),
        "--calibration", str(calibration)])
    assert result.exit_code == 0, result.output
    tuned_rows = [json.loads(line) for line in first.read_text().splitlines()]
    reused_rows = [json.loads(line) for line in second.read_text().splitlines()]
    assert [r["primary"] for r in reused_rows] == [r["primary"] for r in tuned_rows]
    for tuned_row, reused_row in zip(tuned_rows, reused_rows, strict=True):
        assert set(tuned_row["scores"]) == set(SENTENCES)
        np.testing.assert_allclose(list(reused_row["scores"].values()), list(tuned_row["scores"].values()), atol=1e-4)


def test_pipeline_frames_with_the_tuned_encoder_a_calibration_names(tuned, tmp_path):
    from pipeline.settings import load_settings
    from pipeline.stages.runs import framing_for

    result, _ = tuned
    path = tmp_path / "cal.json"
    result.model.calibration.save(path)
    settings = load_settings(environ={
        "FRAMEWATCH_WORKDIR": str(tmp_path / "work"),
        "FRAMEWATCH_FRAMING__CODEBOOK": str(result.model.codebook.source),
        "FRAMEWATCH_FRAMING__CALIBRATION": str(path),
    })
    model, embedder = framing_for(settings)
    assert model.calibration.tuned
    assert embedder.model_id == model.encoder_model_id == result.model.calibration.encoder_model_id


def test_frames_calibrate_tunes_on_request_and_evaluate_uses_the_tuned_model(codebook, rows, tmp_path, monkeypatch, embedder):
    from pipeline.cli import cli

    monkeypatch.setattr(tune, "EPOCHS", 2)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "cal" / "tiny.json"
    out.parent.mkdir()
    args = ["--gold", str(gold), "--codebook", str(codebook.source)]
    result = CliRunner().invoke(cli, ["frames", "calibrate", *args, "-o", str(out), "--tune-encoder", "always"])
    assert result.exit_code == 0, result.output
    assert "tuned-encoder" in result.output
    assert Calibration.load(out).tuned
    assert [p.name for p in out.parent.iterdir() if p.is_dir()] == [Calibration.load(out).encoder_dir.name]
    result = CliRunner().invoke(cli, ["frames", "evaluate", *args, "--calibration", str(out), "--json"])
    assert result.exit_code == 0, result.output
    # Scored on the rows it was tuned on: a check that the tuned model is the one used, not a score.
    assert json.loads(result.stdout)["micro_f1"] >= 0.9
