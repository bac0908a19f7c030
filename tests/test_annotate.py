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
    probability_sample,
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


# -- probability samples for frame-share estimates ------------------------------------------

def test_simple_sample_records_n_over_N():
    sample = probability_sample(_candidates(), 6, design="simple", seed=3)
    assert len(sample) == 6 and len({c.article_id for c in sample}) == 6
    assert [c.inclusion_probability for c in sample] == pytest.approx([6 / 33] * 6)
    assert {c.stratum_size for c in sample} == {33}


def test_stratified_sample_shares_equally_and_takes_small_strata_whole():
    # Outlet b has one article per week: stratified by outlet, b is taken whole, a gets the rest.
    by_outlet = probability_sample(_candidates(), 12, design="stratified", stratify_by="outlet", seed=1)
    counts = {o: sum(c.outlet == o for c in by_outlet) for o in ("a", "b")}
    assert counts == {"a": 9, "b": 3}
    assert {c.inclusion_probability for c in by_outlet if c.outlet == "b"} == {1.0}
    assert [c.inclusion_probability for c in by_outlet if c.outlet == "a"] == pytest.approx([9 / 30] * 9)
    by_week = probability_sample(_candidates(), 10, design="stratified", stratify_by="week", seed=1)
    assert sorted(sum(c.week == w for c in by_week) for w in ("2026-W40", "2026-W41", "2026-W42")) == [3, 3, 4]
    # Each article's inclusion probability is its stratum's draw over the stratum's size.
    for candidate in by_week:
        drawn = sum(c.week == candidate.week for c in by_week)
        assert candidate.inclusion_probability == pytest.approx(drawn / 11)
    with pytest.raises(SheetError, match="simple or stratified"):
        probability_sample(_candidates(), 5, design="spread")


def test_sheet_carries_the_design_into_the_gold_rows(tmp_path):
    path = tmp_path / "sheet.csv"
    sample = probability_sample(_candidates(), 4, design="stratified", stratify_by="week", seed=2)
    write_sheet(path, sample, FRAMES, sample_id="stratified-x-2")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["sample_id"] for r in rows} == {"stratified-x-2"}
    for row in rows:
        row.update(annotator="ann", regulation="1", primary="regulation")
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    gold = merge_gold(read_sheet(path, FRAMES))
    by_id = {c.article_id: c for c in sample}
    for row in gold:
        assert row["inclusion_probability"] == pytest.approx(by_id[row["id"]].inclusion_probability)
        assert (row["week"], row["outlet"], row["sample_id"]) == (
            by_id[row["id"]].week, by_id[row["id"]].outlet, "stratified-x-2")
    rows[0]["inclusion_probability"] = "1.5"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(SheetError, match=r"sheet.csv:2: inclusion_probability must be a number in \(0, 1\]"):
        read_sheet(path, FRAMES)
