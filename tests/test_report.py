"""The weekly report on generated warehouses with known trends: numbers, tests, files, CLI."""

from __future__ import annotations

import csv
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from fixtures.report.synthetic import PlantedTrends, SyntheticWarehouse, planted_trends
from statsmodels.stats.proportion import proportion_confint

from pipeline.commands.report import command
from pipeline.report import build_report
from pipeline.report.charts import bar_chart, heatmap, text_width, wrap_text
from pipeline.report.records import PrimaryShare
from pipeline.report.stats import pooled_smooth, two_proportion_test, wilson_interval
from pipeline.report.weeks import last_complete_week, shift_week, week_range

WEEK = "2026-W47"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlantedTrends]:
    db = tmp_path_factory.mktemp("planted") / "planted.duckdb"
    return db, planted_trends(db, WEEK)


@pytest.fixture
def open_db():
    opened = []

    def _open(path: Path) -> duckdb.DuckDBPyConnection:
        opened.append(duckdb.connect(str(path), read_only=True))
        return opened[-1]

    yield _open
    for con in opened:
        con.close()


@pytest.fixture(scope="module")
def planted_report(planted, tmp_path_factory) -> Path:
    db, _ = planted
    con = duckdb.connect(str(db), read_only=True)
    try:
        return build_report(con, WEEK, tmp_path_factory.mktemp("out")).folder
    finally:
        con.close()


def read_json(folder: Path, name: str):
    return json.loads((folder / "data" / f"{name}.json").read_text())


def by_frame(rows: list[dict], frame_id: str, **match) -> dict:
    found = [
        r for r in rows if r["frame_id"] == frame_id and all(r[k] == v for k, v in match.items())
    ]
    assert len(found) == 1, (frame_id, match, found)
    return found[0]


# --- statistics ----------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(24, 42), (0, 40), (40, 40), (1, 1), (3, 7), (48, 241)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    ours = wilson_interval(k, n)
    assert ours == pytest.approx((low, high), abs=1e-12)


def test_wilson_hand_computed_and_edges() -> None:
    # 24/42: centre (p + z²/2n)/(1 + z²/n) = 0.565443, half-width 0.143380 (by hand, z=1.96)
    assert wilson_interval(24, 42) == pytest.approx((0.42206, 0.70882), abs=5e-5)
    assert wilson_interval(1, 1) == pytest.approx((0.20655, 1.0), abs=5e-5)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="k <= n"):
        wilson_interval(5, 3)


def test_two_proportion_test_by_hand_and_degenerate() -> None:
    # pooled p = 32/82; se = sqrt(p(1-p)(1/42+1/40)) = 0.107770; z = (24/42 - 8/40)/se = 3.4465
    test = two_proportion_test(24, 42, 8, 40)
    assert test.z == pytest.approx(3.4465, abs=1e-3)
    assert test.p_value == pytest.approx(5.679e-4, rel=1e-3)
    assert two_proportion_test(0, 40, 0, 30).p_value == 1.0
    assert two_proportion_test(3, 10, 0, 0) is None


def test_pooled_smoothing_weights_weeks_by_articles() -> None:
    smooth = pooled_smooth([8, 1, 8], [40, 1, 40], min_n=10)
    assert smooth[1] == pytest.approx(17 / 81)
    assert math.isnan(pooled_smooth([0, 0], [0, 3], min_n=10)[0])


def test_weeks() -> None:
    assert last_complete_week(datetime(2026, 11, 23, 0, 5, tzinfo=UTC)) == "2026-W47"
    assert last_complete_week(datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == "2026-W47"
    assert shift_week("2026-W01", -1) == "2025-W52"
    assert week_range("2027-W02", 3) == ["2026-W53", "2027-W01", "2027-W02"]
    with pytest.raises(ValueError, match="not an ISO week"):
        week_range("2026-47", 3)


LONG = "Public benefit: health, infrastructure, science and everything else besides"


def test_labels_are_wrapped_and_charts_sized_to_them() -> None:
    lines = wrap_text(LONG, 12, 170)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(text_width(line, 12) <= 170 for line in lines)
    assert wrap_text("Race to win", 12, 170) == ["Race to win"]
    assert text_width("Regulation", 12) > text_width("Regul", 12) > 0
    # the matrix grows to fit its labels: a long label widens the (numbered) row label column;
    # columns carry only the numbers, so their header never grows or collides
    short = heatmap("h1", "t", ["A", "B"], {})
    long = heatmap("h2", "t", [LONG, "B"], {})

    def view_box(svg: str) -> list[float]:
        return [float(v) for v in svg.split('viewBox="')[1].split('"')[0].split()]

    assert view_box(long)[2] > view_box(short)[2] + 100
    assert view_box(long)[3] == view_box(short)[3]
    assert re.findall(r'class="column-label"[^>]*><title>([^<]*)</title>(\d+)</text>', long) == [
        (LONG, "1"),
        ("B", "2"),
    ]
    assert ">1. Public benefit:" in long
    bars = bar_chart(
        "b",
        "t",
        [PrimaryShare("x", LONG, 5, 10, 0.5, 2, 10, 0.2)],
        "frame_label",
        "primary_share",
        "n_primary",
        "n_articles",
        reference_key="primary_share_trailing",
        reference_label="share before",
    )
    assert "<title>share before: 20.0%</title>" in bars and "50.0% (5/10)" in bars


# --- planted trends ------------------------------------------------------------------------


def test_planted_rise_is_flagged_and_flat_frame_is_not(planted_report: Path) -> None:
    table = read_json(planted_report, "frame_table")
    rising = by_frame(table, "race_to_win")
    assert (rising["n_with_frame"], rising["n_articles"]) == (24, 42)
    assert rising["share"] == pytest.approx(24 / 42, abs=1e-6)
    low, high = proportion_confint(24, 42, method="wilson")
    assert (rising["ci_low"], rising["ci_high"]) == pytest.approx((low, high), abs=1e-6)
    assert rising["change_vs_last_week_pp"] == pytest.approx(100 * (24 / 42 - 8 / 40), abs=1e-4)
    # trailing 8 weeks: six normal weeks (8/40), the empty week and the single-article week
    assert (rising["n_with_frame_trailing"], rising["n_articles_trailing"]) == (48, 241)
    assert rising["n_with_frame_all"] == 28 and rising["n_articles_all"] == 46  # wire copies, raw
    flat = by_frame(table, "economic_competition")
    assert (flat["n_with_frame"], flat["n_articles"], flat["n_with_frame_trailing"]) == (12, 42, 73)

    tests = read_json(planted_report, "tests")
    for reference in ("last_week", "trailing_8_weeks"):
        up = by_frame(tests, "race_to_win", reference=reference)
        assert up["measure"] == "carries" and (up["k"], up["n"]) == (24, 42)
        assert up["moved"] and up["significant"] and up["direction"] == "up"
        assert up["p_adjusted"] < 0.05
        still = by_frame(tests, "economic_competition", reference=reference)
        assert not still["moved"] and not still["significant"] and still["p_adjusted"] > 0.5
    assert [t["frame_id"] for t in tests if t["moved"]] == ["race_to_win", "race_to_win"]
    # primary frame: race_to_win comes first in the primary order, so its primary share rises
    # the same way; economic_competition loses its primary stories (4/40 -> 0/42), too few to flag
    primary = read_json(planted_report, "tests_primary")
    assert {t["measure"] for t in primary} == {"primary"}
    up = by_frame(primary, "race_to_win", reference="last_week")
    assert (up["k"], up["n"], up["k_ref"], up["n_ref"]) == (24, 42, 8, 40) and up["moved"]
    down = by_frame(primary, "economic_competition", reference="last_week")
    assert (down["k"], down["k_ref"]) == (0, 4) and down["direction"] == "down"
    assert not down["moved"] and down["p_value"] < 0.05 < down["p_adjusted"]
    evidence = read_json(planted_report, "evidence")
    assert len(evidence) == 5 and {e["frame_id"] for e in evidence} == {"race_to_win"}
    assert all("whoever leads" in e["passage"] for e in evidence)


def test_window_test_pools_the_last_4_weeks_against_the_8_before(planted_report: Path, planted):
    _, plan = planted
    tests = read_json(planted_report, "tests")
    window = by_frame(tests, "race_to_win", reference="recent_4_vs_prior_8")
    assert window["weeks"] == f"{plan.weeks[-4]}..{WEEK}"
    assert window["reference_weeks"] == f"{plan.weeks[0]}..{plan.weeks[-5]}"
    # last 4 weeks: the single-article week (0/1), two normal weeks (8/40) and the report week
    # (24/42); the 8 before: seven normal weeks and the empty one
    assert (window["k"], window["n"], window["k_ref"], window["n_ref"]) == (40, 123, 56, 280)
    by_hand = two_proportion_test(40, 123, 56, 280)
    assert window["z"] == pytest.approx(by_hand.z, abs=1e-5)
    assert window["p_value"] == pytest.approx(by_hand.p_value, rel=1e-4)
    assert window["significant"] is (window["p_adjusted"] < 0.05)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, written out independently of statsmodels."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def test_holm_correction_is_applied_once_over_every_test(planted_report: Path) -> None:
    tests = read_json(planted_report, "tests") + read_json(planted_report, "tests_primary")
    tested = [t for t in tests if t["p_value"] is not None]
    # 6 frames x 2 measures x 3 comparisons, all with enough stories on both sides
    assert len(tests) == 36 and len(tested) == 36
    assert {t["n_tests"] for t in tested} == {36}
    # p-values in the files are rounded to 6 digits: compare with matching tolerance
    expected = holm([t["p_value"] for t in tested])
    for test, p_adjusted in zip(tested, expected, strict=True):
        assert test["p_adjusted"] == pytest.approx(p_adjusted, abs=1e-4, rel=1e-3), test
    manifest = json.loads((planted_report / "manifest.json").read_text())
    assert manifest["parameters"]["n_tests"] == 36
    html = (planted_report / "report.html").read_text()
    assert "Holm correction over all 36 tests" in html
    # the planted rise's p-values print as "<0.001": an entity in HTML, plain in Markdown
    assert "&lt;0.001" in html and "<0.001" not in html
    assert "<0.001" in (planted_report / "report.md").read_text()


def test_empty_and_single_article_weeks_are_thin_not_zero(planted_report: Path, planted) -> None:
    _, plan = planted
    series = read_json(planted_report, "weekly_frame_share")
    empty = by_frame(series, "race_to_win", week=plan.empty_week)
    assert empty["n_articles"] == 0 and empty["share"] is None and empty["thin"]
    assert empty["ci_low"] is None
    single = by_frame(series, "economic_competition", week=plan.single_week)
    assert (single["n_with_frame"], single["n_articles"], single["share"]) == (1, 1, 1.0)
    assert single["thin"] and single["ci_low"] == pytest.approx(0.206549, abs=1e-5)
    normal = by_frame(series, "economic_competition", week=plan.weeks[0])
    assert not normal["thin"] and normal["share"] == pytest.approx(0.3)
    html = (planted_report / "report.html").read_text()
    svg = (planted_report / "charts" / "trend-race_to_win.svg").read_text()
    assert svg.count('class="thin-week"') == 2  # hatched, with no point drawn
    assert f"{plan.empty_week}: n=0" in svg
    assert "Thin weeks" in html and plan.single_week in html


def test_headline_coverage_and_breakdowns(planted_report: Path) -> None:
    headline = read_json(planted_report, "headline")[0]
    assert headline["n_in_scope"] == 42 and headline["n_in_scope_all"] == 46
    assert headline["change_vs_last_week"] == 2 and headline["trailing_median"] == 40.0
    assert headline["n_outlets"] == 2
    assert headline["attention"] == pytest.approx(42 / 52, abs=1e-6)  # 10 off-topic stories
    primary = read_json(planted_report, "primary_share")
    assert sum(r["primary_share"] for r in primary) == pytest.approx(1.0)
    assert by_frame(primary, "(none)")["n_primary"] == 18
    health = {r["source_id"]: r["health"] for r in read_json(planted_report, "source_health")}
    assert health == {"alpha": "ok", "bravo": "degraded", "charlie": "silent"}
    outlets = read_json(planted_report, "outlet_week")
    bravo = by_frame(outlets, "race_to_win", source_id="bravo")
    assert (bravo["n_with_frame"], bravo["n_articles"], bravo["n_articles_all"]) == (12, 22, 26)
    pairs = read_json(planted_report, "cooccurrence_week")
    pair = [
        r for r in pairs if r["frame_a"] == "race_to_win" and r["frame_b"] == "economic_competition"
    ]
    assert pair[0]["n_both"] == 12  # the first 6 of each outlet's 20 carry both
    manifest = json.loads((planted_report / "manifest.json").read_text())
    assert manifest["inputs"]["article_frames"]["rows"] == (9 * 40 + 1 + 46) * 6  # 9 normal weeks
    assert manifest["outputs"]["report.html"]
    with duckdb.connect() as con:
        count = con.execute(
            f"select count(*) from '{planted_report}/snapshot/article_frames.parquet'"
        )
        assert count.fetchone()[0] == manifest["inputs"]["article_frames"]["rows"]
    md = (planted_report / "report.md").read_text()
    assert "Race to win" in md and "57.1%" in md and "No candidate framings" in md


def test_building_twice_gives_identical_numbers(planted, tmp_path: Path, open_db) -> None:
    db, _ = planted
    first = build_report(open_db(db), WEEK, tmp_path / "a", now=datetime(2026, 12, 1, tzinfo=UTC))
    second = build_report(open_db(db), WEEK, tmp_path / "b", now=datetime(2027, 1, 5, tzinfo=UTC))
    files = sorted(p.relative_to(first.folder) for p in (first.folder / "data").iterdir())
    assert len(files) > 20
    for name in files:
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes(), name
    one, two = (json.loads(r.path_manifest.read_text()) for r in (first, second))
    assert one["inputs"] == two["inputs"] and one["outputs"] == two["outputs"]
    assert one["generated_at"] != two["generated_at"]
    assert first.path_html.read_bytes() == second.path_html.read_bytes()


def test_report_week_that_is_empty_or_single(planted, tmp_path: Path, open_db) -> None:
    db, plan = planted
    empty = build_report(open_db(db), plan.empty_week, tmp_path)
    assert empty.n_articles == 0 and empty.moved_frames == ()
    assert any("No labelled in-scope articles" in n for n in empty.notes)
    rows = read_json(empty.folder, "frame_table")
    assert all(r["share"] is None and r["thin"] for r in rows)
    tests = read_json(empty.folder, "tests") + read_json(empty.folder, "tests_primary")
    # this (empty) week is not tested against earlier weeks; the 4-vs-8-week window still is
    assert all(t["not_tested"] for t in tests if t["reference"] != "recent_4_vs_prior_8")
    assert not any(t["moved"] for t in tests)
    single = build_report(open_db(db), plan.single_week, tmp_path)
    assert single.n_articles == 1 and single.moved_frames == ()
    assert any("Only 1 labelled" in n for n in single.notes)
    html = single.path_html.read_text()
    assert "n&lt;10" in html and "Too few stories this week to test" in html


def test_empty_warehouse_and_emerging_clusters(tmp_path: Path, open_db) -> None:
    db = tmp_path / "empty.duckdb"
    SyntheticWarehouse(db).close()
    result = build_report(open_db(db), WEEK, tmp_path / "out")
    assert "No crawl ran" in result.path_html.read_text()

    db2 = tmp_path / "emerging.duckdb"
    wh = SyntheticWarehouse(db2)
    wh.add_source("alpha", "Alpha", "US")
    last = wh.add_articles(shift_week(WEEK, -1), "alpha", 12, {"cooperation": 3})
    now = wh.add_articles(WEEK, "alpha", 12, {"cooperation": 3})
    wh.add_emerging_cluster(
        "c1",
        ["power", "grid"],
        [(shift_week(WEEK, -1), last[0], 0, 0.8)]
        + [(WEEK, a, 0, 0.9 - i / 100) for i, a in enumerate(now[:4])],
    )
    wh.close()
    result = build_report(open_db(db2), WEEK, tmp_path / "out2")
    clusters = read_json(result.folder, "emerging_clusters")
    assert clusters == [
        {
            "cluster_id": "c1",
            "keywords": ["power", "grid"],
            "size": 5,
            "first_seen_week": shift_week(WEEK, -1),
            "last_seen_week": WEEK,
            "n_this_week": 4,
            "n_last_week": 1,
            "growth": 3,
            "n_window": 5,
        }
    ]
    assert len(read_json(result.folder, "emerging_examples")) == 3
    assert "power, grid" in result.path_html.read_text()


def test_quality_file_feeds_method_box_but_never_corrects_shares(
    planted, tmp_path: Path, open_db
) -> None:
    """A quality file is shown as measured, but shares are corrected by one path only (the
    estimator, from gold or calibration rows in the warehouse); per-frame measures of a file
    that does not name the report's codebook are not shown."""
    db, _ = planted
    quality = tmp_path / "quality.json"
    quality.write_text(
        json.dumps(
            {
                "macro_f1": 0.71,
                "n_items": 300,
                "measured": {"f1": {"dev": 0.7}},
                "per_frame": {"race_to_win": {"recall": 0.8, "specificity": 0.9, "f1": 0.75}},
            }
        )
    )
    result = build_report(open_db(db), WEEK, tmp_path, quality_path=quality)
    row = by_frame(read_json(result.folder, "frame_table"), "race_to_win")
    assert row["corrected_share"] is None and row["correction_method"] is None
    assert row["share"] == pytest.approx(24 / 42, abs=1e-6)
    html = result.path_html.read_text()
    assert "macro_f1: 0.710" in html and "measured.f1.dev: 0.700" in html
    assert "does not name this report&#39;s codebook" in html
    assert "Quality per frame" not in html
    assert 'id="uncorrected-warning"' in html
    plain = build_report(open_db(db), WEEK, tmp_path / "plain")
    assert "not measured against hand labels of this report" in plain.path_html.read_text()


def test_cli(planted, tmp_path: Path) -> None:
    db, _ = planted
    runner = CliRunner()
    result = runner.invoke(
        command,
        [
            "--db",
            str(db),
            "--out",
            str(tmp_path),
            "--week",
            WEEK,
            "--quality",
            str(tmp_path / "missing.json"),
        ],
    )
    assert result.exit_code != 0 and "no such file" in result.output
    result = runner.invoke(command, ["--db", str(db), "--out", str(tmp_path), "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert "moved: race_to_win" in result.output
    assert (tmp_path / WEEK / "report.html").exists()
    with open(tmp_path / WEEK / "data" / "frame_table.csv", newline="") as handle:
        rows = {r["frame_id"]: r for r in csv.DictReader(handle)}
    assert rows["race_to_win"]["n_with_frame"] == "24"
    bad = runner.invoke(command, ["--db", str(db), "--out", str(tmp_path), "--week", "2026-47"])
    # the message reaches the user either printed by the command or raised for the CLI to print
    assert bad.exit_code != 0 and "not an ISO week" in bad.output + str(bad.exception)
    missing = runner.invoke(
        command, ["--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path)]
    )
    assert missing.exit_code != 0 and "no warehouse" in missing.output + str(missing.exception)
    assert "Wilson" in runner.invoke(command, ["--help"]).output


def test_emerging_examples_are_quoted_without_page_furniture(tmp_path: Path, open_db) -> None:
    db = tmp_path / "furniture.duckdb"
    wh = SyntheticWarehouse(db)
    wh.add_source("xinhua", "Xinhua", "CN")
    now = wh.add_articles(WEEK, "xinhua", 12, {"cooperation": 3})
    for article_id in now[:3]:
        wh.add_passage(
            article_id,
            90,
            "Data centres strain the grid, utilities warn. [Editor: Zhang Wei] "
            "(Reporting by Jane Doe; Editing by Tom Roe)",
        )
    wh.add_emerging_cluster("c1", ["grid"], [(WEEK, a, 90, 0.9) for a in now[:3]])
    wh.close()
    result = build_report(open_db(db), WEEK, tmp_path / "out")
    examples = read_json(result.folder, "emerging_examples")
    assert [e["passage"] for e in examples] == ["Data centres strain the grid, utilities warn."] * 3
    for text in (result.path_html.read_text(), result.path_md.read_text()):
        assert "Data centres strain the grid, utilities warn." in text
        assert "Editor: Zhang" not in text and "Reporting by" not in text


def test_a_week_crawled_later_says_where_its_stories_came_from(tmp_path: Path, open_db) -> None:
    """The demo crawls in the current week and reports the last complete one: no crawl ran in
    the report week itself, and the report must say so without an alarm."""
    db = tmp_path / "later.duckdb"
    wh = SyntheticWarehouse(db)
    wh.add_source("alpha", "Alpha", "US")
    wh.add_source("bravo", "Bravo", "GB")
    wh.add_articles(WEEK, "alpha", 12, {"cooperation": 3})
    wh.add_source("charlie", "Charlie", "CN")
    wh.add_articles(WEEK, "bravo", 3, {})  # reached the warehouse by no crawl: back-filled
    wh.add_crawl_run("next-week", shift_week(WEEK, 1), {"charlie": {"not_modified": 2}})
    wh.add_fetches("next-week", "alpha", WEEK)
    wh.close()
    result = build_report(open_db(db), WEEK, tmp_path / "out")
    html, md = result.path_html.read_text(), result.path_md.read_text()
    said = (
        f"No crawl ran during {WEEK} itself. Of its 15 in-scope stories, 12 were collected by "
        f"the crawls of {shift_week(WEEK, 1)} and 3 were back-filled (imported, not crawled)."
    )
    for text in (html, md):
        assert said in text and f"No crawl ran in {WEEK}" not in text
    assert 'class="alarm"' not in html
    health = {r["source_id"]: r["health"] for r in read_json(result.folder, "source_health")}
    assert health == {
        "alpha": f"collected in {shift_week(WEEK, 1)}",
        "bravo": "back-filled",
        "charlie": f"no story; crawled in {shift_week(WEEK, 1)}",
    }


def test_trend_panels_and_sparklines_share_one_y_scale(planted_report: Path) -> None:
    """race_to_win reaches 57% this week, economic_competition stays near 30%: on their own
    scales their panels would top out at different values and could not be compared."""
    tops = {}
    for path in (planted_report / "charts").glob("trend-*.svg"):
        if path.name == "trend-legend.svg":
            continue
        tops[path.stem] = re.findall(r'class="y-max">([^<]+)</text>', path.read_text())
    assert len(tops) == 6 and all(len(t) == 1 for t in tops.values())
    assert {t[0] for t in tops.values()} == {"80%"}  # the rising frame's 95% interval reaches 70.9%
    html = (planted_report / "report.html").read_text()
    assert "All panels share one y scale, 0 to 80%" in html
    sparks = [
        (planted_report / "charts" / f"spark-{f}.svg").read_text()
        for f in ("race_to_win", "economic_competition")
    ]
    assert all("(scale 0 to 80%)" in s for s in sparks)


def test_story_counts_are_not_coloured_as_good_or_bad(planted_report: Path) -> None:
    html = (planted_report / "report.html").read_text()
    cards = html[html.index('<section id="headline">') : html.index('<section id="frames">')]
    assert "up" not in re.findall(r'class="value ?(\w*)"', cards)
    assert not re.search(r'class="value (up|down)"', cards)
    assert "Story counts are not tested" in cards


def test_markdown_keeps_our_own_names_unescaped(planted_report: Path) -> None:
    """Escaping is for crawled text: chart file names and data file names stay as they are
    (a backslash would show inside a code span and in a raw link)."""
    md = (planted_report / "report.md").read_text()
    assert "](charts/trend-race_to_win.svg)" in md and "`data/tests_primary.csv`" in md
    assert "\\_" not in md
