"""The labelling workflow: stratified sample, sheets round trip, agreement, gold rows."""

from __future__ import annotations

import csv
import json

import krippendorff
import numpy as np
import pytest

from pipeline.annotate import (
    Annotation,
    Candidate,
    SheetError,
    agreement,
    merge_gold,
    read_sheet,
    stratified_sample,
    write_sheet,
)

FRAMES = ["regulation", "security", "talent"]


def _candidates() -> list[Candidate]:
    items = []
    for week in ("2026-W40", "2026-W41", "2026-W42"):
        for outlet in ("a", "b"):
            for k in range(10 if outlet == "a" else 1):
                items.append(Candidate(f"{week}-{outlet}-{k}", week, outlet, "regulation" if k % 2 else "talent",
                                       f"title {k}", f"http://x/{week}/{outlet}/{k}", ("p0", "p1")))
    return items


def test_sample_reaches_every_stratum_before_repeating_one():
    sample = stratified_sample(_candidates(), 12, seed=1)
    strata = {(c.week, c.outlet, c.predicted_primary) for c in sample}
    all_strata = {(c.week, c.outlet, c.predicted_primary) for c in _candidates()}
    assert len(sample) == 12
    assert strata == all_strata  # 9 strata, all present in 12 draws
    assert stratified_sample(_candidates(), 12, seed=1) == sample


def test_csv_sheet_round_trip(tmp_path):
    path = tmp_path / "sheet.csv"
    write_sheet(path, stratified_sample(_candidates(), 4), FRAMES)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0].update(annotator="ann", regulation="1", primary="regulation")
    rows[1].update(annotator="ann", security="x", talent="1", primary="talent")
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    annotations = read_sheet(path, FRAMES)
    assert [(a.labels, a.primary) for a in annotations] == [
        ({"regulation"}, "regulation"), ({"security", "talent"}, "talent")]


def test_bad_mark_and_unknown_frame_are_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,regulation,security,talent,primary\nx1,maybe,,,\n")
    with pytest.raises(SheetError, match=r"bad.csv:2 column regulation: expected 1/0"):
        read_sheet(path, FRAMES)
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text(json.dumps({"id": "x", "labels": ["economy"]}) + "\n")
    with pytest.raises(SheetError, match=r"bad.jsonl:1 labels: unknown frame\(s\) \['economy'\]"):
        read_sheet(jsonl, FRAMES)


def test_alpha_matches_krippendorff_on_a_known_table():
    first = [{"regulation"}, {"regulation"}, set(), {"security"}, set(), {"regulation"}]
    second = [{"regulation"}, set(), set(), {"security"}, {"regulation"}, {"regulation"}]
    annotations = [Annotation(f"i{k}", "ann1", labels, None) for k, labels in enumerate(first)]
    annotations += [Annotation(f"i{k}", "ann2", labels, None) for k, labels in enumerate(second)]
    result = agreement(annotations, FRAMES)
    expected = krippendorff.alpha(
        reliability_data=np.array([[float("regulation" in s) for s in first],
                                   [float("regulation" in s) for s in second]]),
        level_of_measurement="nominal")
    assert result.items_multiply_labelled == 6
    assert result.alpha["regulation"] == pytest.approx(expected, abs=1e-4)
    assert result.alpha["security"] == pytest.approx(1.0)
    assert result.alpha["talent"] is None  # nobody marked it: alpha is undefined


def test_merge_gold_takes_majority_and_keeps_primary():
    annotations = [
        Annotation("a", "x", {"regulation", "security"}, "security", "t", "body"),
        Annotation("a", "y", {"regulation"}, "regulation"),
        Annotation("a", "z", {"regulation"}, "regulation"),
    ]
    [row] = merge_gold(annotations)
    assert row["labels"] == ["regulation"]
    assert row["primary"] == "regulation"
    assert row["text"] == "body"
