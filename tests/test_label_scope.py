"""`framewatch label`: off-topic and frameless texts come out as such; scores do not pose as
probabilities; the [framing] settings are honoured.

Runs the real command (through the root group, so --config applies) with the real model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

pytestmark = pytest.mark.slow  # each run loads the real model

FOOTBALL = {
    "id": "football",
    "title": "United snatch late winner at Anfield",
    "text": "Manchester United beat Liverpool 2-1 on Sunday after a stoppage-time header from "
            "their captain.\nThe home side had led through an early penalty, but United pressed "
            "high after the break and equalised on the hour.\nThe manager praised his players' "
            "resilience and said the title race was far from over.",
}
# Names a topic term, so the relevance model embeds it rather than ruling it out by its terms.
FOOTBALL_WITH_AI = {
    "id": "football-ai",
    "title": "Semi-automated offside calls settle a tight derby",
    "text": "City edged past United 1-0 in a derby decided by the league's AI-assisted offside "
            "system, which ruled out a late equaliser.\nSupporters sang throughout a second half "
            "in which the visitors hit the post twice.\nThe win lifts City to second in the "
            "table, two points behind the leaders with eight games to play.",
}
CHIPS = {
    "id": "chips",
    "title": "US tightens export controls on AI chips to China",
    "text": "Washington widened its export controls on advanced AI accelerators on Tuesday, "
            "barring sales of Nvidia's latest chips to Chinese firms.\nOfficials said the rules "
            "aim to keep the most capable hardware for training frontier models out of Beijing's "
            "reach, as the two countries compete for AI leadership.",
}


def label(tmp_path: Path, rows: list[dict], *args: str, config: Path | None = None) -> dict[str, dict]:
    inputs = tmp_path / "in.jsonl"
    inputs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    root = ["--config", str(config)] if config else []
    result = CliRunner().invoke(
        cli, [*root, "label", "--input", str(inputs), "--output", str(out), *args], obj={})
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> dict[str, dict]:
    return label(tmp_path_factory.mktemp("label"), [FOOTBALL, FOOTBALL_WITH_AI, CHIPS])


def test_a_football_report_gets_no_frame(labelled):
    for key in ("football", "football-ai"):
        row = labelled[key]
        assert row["in_scope"] is False, row
        assert row["frames"] == [] and row["primary"] is None and row["scores"] == {}
    assert labelled["football"]["relevance"] is None  # ruled out by its terms, not embedded
    assert labelled["football-ai"]["relevance"] < 0.185  # embedded, below the topic threshold


def test_an_ai_race_story_is_framed_with_margins_not_saturated_scores(labelled):
    row = labelled["chips"]
    assert row["in_scope"] is True and row["relevance"] >= 0.185
    assert row["primary"] in row["frames"] and "compute_chips" in row["frames"]
    assert row["score_kind"] == "zero_shot_margin"
    scores = row["scores"]
    # The margin's sign is the decision: present frames clear the threshold, others do not.
    assert all(scores[f] >= 0 for f in row["frames"])
    assert all(v < 0 for f, v in scores.items() if f not in row["frames"])
    # Cosine margins, far from the 0.99+ the logistic squashed them to.
    assert max(scores.values()) < 0.5


def test_topic_none_labels_every_text(tmp_path):
    row = label(tmp_path, [FOOTBALL], "--topic", "none")["football"]
    assert "in_scope" not in row
    assert row["score_kind"] == "zero_shot_margin" and row["frames"] == [
        f for f, v in sorted(row["scores"].items(), key=lambda item: -item[1]) if v >= 0]
    assert (row["primary"] is None) == (row["frames"] == [])


def test_a_multi_label_text_with_no_frame_above_threshold_has_no_primary(tmp_path):
    codebook = tmp_path / "weather.toml"
    codebook.write_text(
        '[codebook]\nid = "weather"\nversion = "1"\ntitle = "Weather"\nmulti_label = true\n'
        '[[frames]]\nid = "storm"\nlabel = "Storm"\ndefinition = "Storms, gales and flooding."\n'
        'exemplars = ["Gales brought down trees across the coast.", '
        '"Flood warnings were issued as the river rose.", "A storm cut power to thousands."]\n'
        '[[frames]]\nid = "heat"\nlabel = "Heat"\ndefinition = "Heatwaves and drought."\n'
        'exemplars = ["Temperatures passed 40C for a third day.", '
        '"The drought left reservoirs at record lows.", "A heatwave closed schools."]\n',
        encoding="utf-8")
    rows = label(tmp_path, [CHIPS], "--codebook", str(codebook))
    row = rows["chips"]
    assert "in_scope" not in row  # another codebook: no topic gate unless --topic is given
    assert row["frames"] == [] and row["primary"] is None
    assert all(v < 0 for v in row["scores"].values())


def test_label_reads_the_framing_settings(tmp_path):
    """[framing] codebook in --config is the codebook `label` uses when none is given."""
    codebook = tmp_path / "mine.toml"
    codebook.write_text(
        '[codebook]\nid = "mine"\nversion = "1"\ntitle = "Mine"\nmulti_label = true\n'
        '[[frames]]\nid = "chips"\nlabel = "Chips"\ndefinition = "Semiconductors and export '
        'controls."\nexemplars = ["Export controls on chips tightened.", "A new fab opened.", '
        '"Chip sales to China were barred."]\n'
        '[[frames]]\nid = "talent"\nlabel = "Talent"\ndefinition = "Researchers and skills."\n'
        'exemplars = ["Labs compete for researchers.", "Visa rules keep engineers out.", '
        '"Universities train more AI students."]\n', encoding="utf-8")
    config = tmp_path / "framewatch.toml"
    config.write_text(f'[framing]\ncodebook = "{codebook.name}"\nbatch_size = 4\n', encoding="utf-8")
    row = label(tmp_path, [CHIPS], config=config)["chips"]
    assert set(row["scores"]) == {"chips", "talent"}
    assert row["primary"] == "chips"
