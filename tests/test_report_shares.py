"""The weekly report's frame shares are the estimator's (issue 15, item 4): with gold labels in
the warehouse the frames table, trends and tests carry `weekly_frame_shares` output exactly;
without them the report says plainly that its shares measure the labeller; the framing-quality
box measures the report's own codebook only."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pytest
from fixtures.report.synthetic import SyntheticWarehouse
from scipy.stats import norm

from pipeline.framing.prevalence import Labelled
from pipeline.report import build_report
from pipeline.report.shares import ShareCodebook
from pipeline.report.stats import Z_95
from pipeline.report.weeks import week_range
from pipeline.stages.prevalence import store_calibration_holdout, weekly_frame_shares

WEEK = "2026-W47"
N_WEEK = 40  # stories per week, all in outlet "alpha"
GOLD_PER_WEEK = 20  # a simple random sample of half the week's stories
OTHER_CODEBOOK = "another-codebook"


def _truth(week_index: int, report_week: bool) -> tuple[set[int], set[int]]:
    """Which of the week's 40 stories the labeller marks race_to_win, and which truly carry it.

    The labeller marks 20 every week; only half of those carry the frame, plus 2 it missed. In
    the report week the true share rises (30 carry it) while the labeller's marks stay at 20,
    so classify-and-count sees no change and the corrected share does."""
    marked = set(range(20))
    if report_week:
        return marked, set(range(20)) | set(range(20, 30))
    return marked, set(range(10)) | {20 + week_index % 5, 30 + week_index % 5}


def _gold_warehouse(path: Path, with_gold: bool = True) -> dict:
    """12 weeks of 40 stories; gold for GOLD_PER_WEEK random stories a week (inclusion 0.5)
    under the labels' codebook, and gold under another codebook that must never be used."""
    weeks = week_range(WEEK, 12)
    wh = SyntheticWarehouse(path)
    wh.add_source("alpha", "Alpha Times", "US")
    fingerprint = wh.con.execute("select codebook_fingerprint from core.label_versions").fetchone()[0]
    rng = np.random.default_rng(15)
    gold_rows, sample_rows, other_rows = [], [], []
    truth_by_article: dict[str, dict[str, bool]] = {}
    for index, week in enumerate(weeks):
        marked, carries = _truth(index, week == WEEK)
        ids = wh.add_articles(week, "alpha", N_WEEK, {"race_to_win": marked, "economic_competition": 12})
        drawn = sorted(rng.choice(N_WEEK, GOLD_PER_WEEK, replace=False).tolist())
        for i in drawn:
            article = ids[i]
            truth = {"race_to_win": i in carries, "security_threat": False,
                     "economic_competition": i < 12, "cooperation": False}
            truth_by_article[article] = truth
            primary = "race_to_win" if truth["race_to_win"] else "economic_competition" if i < 12 else None
            sample_rows.append([f"sample-{week}", article, "simple", None, None, N_WEEK,
                                GOLD_PER_WEEK / N_WEEK, wh.label_version])
            for frame_id, present in truth.items():
                gold_rows.append([article, "coder-a", fingerprint, frame_id, present,
                                  frame_id == primary, f"sample-{week}"])
                # Another codebook's coder says the opposite about every frame.
                other_rows.append([article, "coder-b", OTHER_CODEBOOK, frame_id, not present, False, None])
    wh.flush()
    if with_gold:
        wh.con.executemany("insert into core.annotation_samples (sample_id, article_id, design, stratify_by,"
                           " stratum, stratum_size, inclusion_probability, label_version)"
                           " values (?, ?, ?, ?, ?, ?, ?, ?)", sample_rows)
        wh.con.executemany("insert into core.gold_labels (article_id, coder, codebook_fingerprint, frame_id,"
                           " present, is_primary, sample_id) values (?, ?, ?, ?, ?, ?, ?)",
                           gold_rows + other_rows)
    wh.close()
    return {"fingerprint": fingerprint, "frame_ids": [f[0] for f in wh.frames], "weeks": weeks,
            "truth": truth_by_article}


@pytest.fixture(scope="module")
def gold_report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("gold-report")
    db = root / "gold.duckdb"
    planted = _gold_warehouse(db)
    quality = root / "quality.json"
    quality.write_text(json.dumps({"codebook_fingerprint": OTHER_CODEBOOK, "macro_f1": 0.5,
                                   "per_frame": {"race_to_win": {"precision": 0.4321, "recall": 0.8765}}}))
    con = duckdb.connect(str(db), read_only=True)
    try:
        folder = build_report(con, WEEK, root / "reports", quality_path=quality).folder
        codebook = ShareCodebook(planted["fingerprint"], planted["frame_ids"], multi_label=True)
        expected = weekly_frame_shares(con, codebook, weeks=planted["weeks"])
    finally:
        con.close()
    return folder, expected, planted


def _read(folder: Path, name: str):
    return json.loads((folder / "data" / f"{name}.json").read_text())


@pytest.mark.slow  # builds a 12-week warehouse with gold labels and imports ppi_py
def test_frame_table_and_trends_carry_the_estimators_output(gold_report) -> None:
    folder, expected, planted = gold_report
    table = {r["frame_id"]: r for r in _read(folder, "frame_table")}
    assert expected.gold_items == 12 * GOLD_PER_WEEK
    for frame_id in planted["frame_ids"]:
        estimate = expected.get(WEEK, frame_id)
        assert estimate.method == "ppi" and estimate.n_gold == GOLD_PER_WEEK
        row = table[frame_id]
        assert row["corrected_share"] == pytest.approx(estimate.share, abs=1e-6)
        assert row["corrected_ci_low"] == pytest.approx(estimate.ci_low, abs=1e-6)
        assert row["corrected_ci_high"] == pytest.approx(estimate.ci_high, abs=1e-6)
        assert (row["correction_method"], row["n_gold"]) == ("ppi", GOLD_PER_WEEK)
        last = expected.get(planted["weeks"][-2], frame_id)
        assert row["corrected_share_last_week"] == pytest.approx(last.share, abs=1e-6)
        assert row["corrected_change_vs_last_week_pp"] == pytest.approx(
            100 * (estimate.share - last.share), abs=1e-4)
        # The raw count stays beside it, as classify-and-count.
        assert row["share"] == pytest.approx(estimate.raw_share, abs=1e-6)
    series = _read(folder, "weekly_frame_share")
    assert len(series) == 12 * len(planted["frame_ids"])
    for row in series:
        estimate = expected.get(row["week"], row["frame_id"])
        assert row["corrected_share"] == pytest.approx(estimate.share, abs=1e-6)
        assert (row["corrected_ci_low"], row["corrected_ci_high"]) == (
            pytest.approx(estimate.ci_low, abs=1e-6), pytest.approx(estimate.ci_high, abs=1e-6))
        assert row["correction_method"] == estimate.method and row["n_gold"] == estimate.n_gold
        assert row["primary_corrected_share"] is None  # multi-label: no primary-frame estimate
    race = expected.get(WEEK, "race_to_win")
    # The planted rise: the labeller marks 20 of 40 as ever; the truth went from ~30% to 75%.
    assert race.raw_share == pytest.approx(0.5) and race.share > 0.6
    html = (folder / "report.html").read_text()
    md = (folder / "report.md").read_text()
    shown = f"{100 * race.share:.1f}%"
    interval = f"{100 * race.ci_low:.1f}%–{100 * race.ci_high:.1f}%"
    for text in (html, md):
        assert shown in text and interval in text
        assert "corrected for the labeller" in text and "prediction-powered inference" in text
        assert "Not corrected for the labeller" not in text
    assert 'id="uncorrected-warning"' not in html
    trend = (folder / "charts" / "trend-race_to_win.svg").read_text()
    assert trend.count('class="corrected-point"') == 12 and 'class="corrected"' in trend
    assert f"corrected {shown}, 95% interval {interval}" in trend
    assert "corrected share, 95% interval" in (folder / "charts" / "trend-legend.svg").read_text()


@pytest.mark.slow  # builds a 12-week warehouse with gold labels and imports ppi_py
def test_what_moved_tests_the_corrected_shares_by_their_uncertainty(gold_report) -> None:
    folder, expected, planted = gold_report
    tests = {(t["frame_id"], t["reference"]): t for t in _read(folder, "tests")}
    test = tests[("race_to_win", "last_week")]
    now, last = expected.get(WEEK, "race_to_win"), expected.get(planted["weeks"][-2], "race_to_win")
    se_now = (now.ci_high - now.ci_low) / (2 * Z_95)
    se_last = (last.ci_high - last.ci_low) / (2 * Z_95)
    z = (now.share - last.share) / math.hypot(se_now, se_last)
    assert test["method"] == "ppi"
    assert (test["share"], test["share_ref"]) == (pytest.approx(now.share, abs=1e-6),
                                                   pytest.approx(last.share, abs=1e-6))
    assert (test["se"], test["se_ref"]) == (pytest.approx(se_now, abs=1e-6), pytest.approx(se_last, abs=1e-6))
    assert test["z"] == pytest.approx(z, abs=1e-4)
    assert test["p_value"] == pytest.approx(2 * norm.sf(abs(z)), abs=1e-6)
    # Counts alone (20/40 vs 20/40) show no change; the corrected shares rose and it is tested.
    assert test["k"] == test["k_ref"] == 20 and test["change_pp"] > 20
    assert test["moved"] and test["direction"] == "up"
    # The pooled reference of the 8 weeks before weights each week's estimate by its stories.
    trailing = tests[("race_to_win", "trailing_8_weeks")]
    before = [expected.get(w, "race_to_win") for w in planted["weeks"][-9:-1]]
    pooled = sum(e.n * e.share for e in before) / sum(e.n for e in before)
    assert trailing["share_ref"] == pytest.approx(pooled, abs=1e-6)
    # The stable frame (the labeller is right about it) does not move.
    assert not tests[("economic_competition", "last_week")]["moved"]
    lead = (folder / "report.html").read_text()
    assert "Race to win rose" in lead and f"{100 * now.share:.0f}%" in lead


@pytest.mark.slow  # builds a 12-week warehouse with gold labels and imports ppi_py
def test_framing_quality_measures_the_reports_codebook_only(gold_report) -> None:
    folder, _, planted = gold_report
    quality = {q["frame_id"]: q for q in _read(folder, "frame_quality")}
    truth = planted["truth"]
    marked = {}
    con = duckdb.connect(str(folder.parent.parent / "gold.duckdb"), read_only=True)
    try:
        for article, frame_id, present in con.execute(
                "select article_id, frame_id, present from core.frame_labels").fetchall():
            marked[(article, frame_id)] = present
    finally:
        con.close()
    for frame_id in ("race_to_win", "economic_competition"):
        both = sum(truth[a][frame_id] and marked[(a, frame_id)] for a in truth)
        gold_positive = sum(truth[a][frame_id] for a in truth)
        labelled_positive = sum(marked[(a, frame_id)] for a in truth)
        row = quality[frame_id]
        assert row["n_gold"] == len(truth) == 12 * GOLD_PER_WEEK
        assert row["precision"] == pytest.approx(both / labelled_positive, abs=1e-6)
        assert row["recall"] == pytest.approx(both / gold_positive, abs=1e-6)
    assert quality["economic_competition"]["precision"] == 1.0  # the other codebook disagrees on all
    assert quality["security_threat"]["precision"] is None  # never marked, never carried
    html = (folder / "report.html").read_text()
    box = html[html.index('id="framing-quality"'):]
    box = box[: box.index("</dd>")]
    race = quality["race_to_win"]
    assert f"Race to win: precision {100 * race['precision']:.0f}%, recall {100 * race['recall']:.0f}%" in box
    # The quality file measured another codebook: its per-frame numbers are not shown.
    assert "0.432" not in html and "0.877" not in html and "Quality per frame" not in html
    assert "of another codebook" in box


def test_without_gold_the_report_warns_that_shares_measure_the_labeller(tmp_path: Path) -> None:
    db = tmp_path / "plain.duckdb"
    _gold_warehouse(db, with_gold=False)
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = build_report(con, WEEK, tmp_path / "reports")
    finally:
        con.close()
    table = {r["frame_id"]: r for r in _read(result.folder, "frame_table")}
    assert table["race_to_win"]["corrected_share"] is None
    assert table["race_to_win"]["share"] == pytest.approx(0.5)
    assert all(t["method"] == "classify_and_count" for t in _read(result.folder, "tests"))
    html, md = result.path_html.read_text(), result.path_md.read_text()
    assert 'id="uncorrected-warning"' in html
    for text in (html, md):
        assert "Not corrected for the labeller" in text
        assert "framewatch annotate export --design stratified" in text
        assert "measure the labeller as much as the press" in text
        assert "not measured against hand labels of this report" in text
    assert any("framewatch annotate export" in note for note in result.notes)
    assert _read(result.folder, "frame_quality") == []


@pytest.mark.slow  # builds a 12-week warehouse with gold labels and imports ppi_py
def test_a_single_label_codebook_gets_corrected_primary_shares_that_sum_to_one(tmp_path: Path) -> None:
    db = tmp_path / "single.duckdb"
    planted = _gold_warehouse(db)
    con = duckdb.connect(str(db))
    con.execute("update core.label_versions set codebook_toml = ?",
                ['[codebook]\nid = "ai-race"\nversion = "2026.11.1"\ntitle = "t"\nmulti_label = false\n'])
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = build_report(con, WEEK, tmp_path / "reports")
        codebook = ShareCodebook(planted["fingerprint"], planted["frame_ids"], multi_label=False)
        expected = weekly_frame_shares(con, codebook, weeks=planted["weeks"])
    finally:
        con.close()
    table = {r["frame_id"]: r for r in _read(result.folder, "frame_table")}
    primary = {f: expected.get(WEEK, f, "primary") for f in planted["frame_ids"]}
    assert sum(e.share for e in primary.values()) == pytest.approx(1.0)
    for frame_id, estimate in primary.items():
        assert estimate.method == "ppi"
        assert table[frame_id]["primary_corrected_share"] == pytest.approx(estimate.share, abs=1e-6)
        assert table[frame_id]["primary_correction_method"] == "ppi"
    tests = [t for t in _read(result.folder, "tests_primary") if t["reference"] == "last_week"]
    assert {t["method"] for t in tests} == {"ppi"}
    race = next(t for t in tests if t["frame_id"] == "race_to_win")
    assert race["share"] == pytest.approx(primary["race_to_win"].share, abs=1e-6)


@pytest.mark.slow  # builds a 12-week warehouse and imports quapy
def test_a_refused_correction_is_counted_and_the_report_says_why(tmp_path: Path) -> None:
    """Calibration rows exist, but on them the labeller cannot tell race_to_win apart (its
    probabilities are noise) while it separates the other frames well: the report corrects
    those, counts race_to_win, and names it with the estimator's reason."""
    db = tmp_path / "calibrated.duckdb"
    planted = _gold_warehouse(db, with_gold=False)
    frame_ids = planted["frame_ids"]
    rng = np.random.default_rng(7)
    n = 400
    labels = rng.random((n, len(frame_ids))) < 0.4
    probabilities = np.where(labels, rng.uniform(0.7, 1.0, labels.shape), rng.uniform(0.0, 0.3, labels.shape))
    race = frame_ids.index("race_to_win")
    probabilities[:, race] = rng.random(n)  # no separation at all
    con = duckdb.connect(str(db))
    con.execute("update core.label_versions set calibration_version = 'cal-1'")
    store_calibration_holdout(con, "cal-1", frame_ids, [f"row-{i}" for i in range(n)],
                              Labelled(probabilities, labels))
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = build_report(con, WEEK, tmp_path / "reports")
        codebook = ShareCodebook(planted["fingerprint"], frame_ids, multi_label=True)
        expected = weekly_frame_shares(con, codebook, weeks=planted["weeks"])
    finally:
        con.close()
    refused = expected.get(WEEK, "race_to_win")
    assert refused.method == "classify_and_count" and refused.note.startswith("not corrected")
    assert {expected.get(WEEK, f).method for f in frame_ids if f != "race_to_win"} == {"pacc"}
    table = {r["frame_id"]: r for r in _read(result.folder, "frame_table")}
    assert table["race_to_win"]["corrected_share"] is None  # shown as the labeller's count
    assert table["security_threat"]["correction_method"] == "pacc"
    html, md = result.path_html.read_text(), result.path_md.read_text()
    paragraph = html[html.index('id="share-refusals"'):]
    paragraph = paragraph[:paragraph.index("</p>")]
    assert "Race to win (stories carrying it): not corrected" in paragraph
    assert "Security threat" not in paragraph
    assert "**Counted, not corrected, this week:** Race to win (stories carrying it): not corrected" in md
