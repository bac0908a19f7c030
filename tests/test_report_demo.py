"""The report's statistics on the demo site's planted trend, without crawler or model.

The demo corpus (`build_corpus(seed=7, scale="demo")`) plants its trend in the PRIMARY frame:
over the last 4 weeks regulation rises from ~12% to 20, 28, 37, 45% of on-topic stories and
compute_chips falls from ~18% to 14, 10, 7, 4%, while not_a_race stays at 8%. Here the corpus is
written straight into the warehouse, labelled with exactly the frames it planted
(fixtures/report/demo_corpus.py), so what is checked is the report's arithmetic and tests on a
known trend; tests/test_end_to_end.py checks the run in which the model labels the crawled pages.

With ~20 stories a week, the rise is too gradual for any single week to stand out once the 54
tests of the report are corrected for, and only the pooled window test (last 4 weeks vs the 8
before) flags it; the fall of compute_chips shows in the estimates but is not large enough to
survive the correction (see the numbers asserted below).
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fixtures.report.demo_corpus import demo_corpus_warehouse

from pipeline.demo_site import build_corpus
from pipeline.demo_site.model import Corpus
from pipeline.report import ReportResult, build_report
from pipeline.report.stats import two_proportion_test

# A fixed calendar: the corpus's weeks (and so the report) do not depend on the day tests run.
ANCHOR = date(2026, 11, 26)
WINDOW = "recent_4_vs_prior_8"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(seed=7, scale="demo", anchor=ANCHOR)


@pytest.fixture(scope="module")
def warehouse(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo-corpus") / "framewatch.duckdb"
    demo_corpus_warehouse(db, corpus)
    return db


@pytest.fixture(scope="module")
def report(corpus: Corpus, warehouse: Path, tmp_path_factory) -> ReportResult:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return build_report(con, corpus.weeks[-1], tmp_path_factory.mktemp("reports"))
    finally:
        con.close()


def read_json(result: ReportResult, name: str) -> list[dict]:
    return json.loads((result.folder / "data" / f"{name}.json").read_text())


def one(rows: list[dict], **match) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def primary_counts(corpus: Corpus, weeks: list[str], frame: str) -> tuple[int, int]:
    """(stories with `frame` as primary, on-topic stories) over `weeks`, from the corpus's own
    ground truth: originals only, as the report counts wire copies once."""
    weekly = corpus.weekly_counts()
    k = sum(weekly[w]["originals"]["primary_counts"][frame] for w in weeks)
    n = sum(weekly[w]["originals"]["on_topic"] for w in weeks)
    return k, n


def test_warehouse_holds_the_corpus_as_planted(corpus: Corpus, warehouse: Path) -> None:
    weekly = corpus.weekly_counts()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select week, frame_id, n_articles, n_primary, n_with_frame from weekly_frame_share"
        ).fetchall()
        duplicates = con.execute(
            "select count(*) from articles where is_duplicate and duplicate_kind = 'wire'"
        ).fetchone()[0]
    assert duplicates == sum(a.wire_of is not None for a in corpus.articles) > 0
    assert {r[0] for r in rows} == set(corpus.weeks)
    for week, frame, n, k_primary, k_present in rows:
        originals = weekly[week]["originals"]
        assert n == originals["on_topic"], week
        assert k_primary == originals["primary_counts"][frame], (week, frame)
        assert k_present == originals["frame_counts"][frame], (week, frame)


def test_regulation_rise_is_flagged_by_the_window_test(corpus: Corpus, report: ReportResult):
    tests = read_json(report, "tests_primary")
    rise = one(tests, frame_id="regulation", reference=WINDOW)
    recent, prior = list(corpus.weeks[-4:]), list(corpus.weeks[-12:-4])
    k, n = primary_counts(corpus, recent, "regulation")
    k_ref, n_ref = primary_counts(corpus, prior, "regulation")
    assert (rise["k"], rise["n"], rise["k_ref"], rise["n_ref"]) == (k, n, k_ref, n_ref)
    assert k / n > 0.28 and k_ref / n_ref < 0.16  # planted: ~12% before, 20-45% lately
    by_hand = two_proportion_test(k, n, k_ref, n_ref)
    assert rise["z"] == pytest.approx(by_hand.z, abs=1e-5) and rise["z"] > 3.5
    assert rise["change_pp"] == pytest.approx(100 * (k / n - k_ref / n_ref), abs=1e-4)
    assert rise["n_tests"] == 54  # 9 frames x 2 measures x 3 comparisons
    assert rise["p_adjusted"] < 0.05 and rise["significant"] and rise["moved"]
    assert rise["direction"] == "up"
    assert "regulation" in report.moved_frames
    # the planted pattern, week by week: this week is up against the 8 weeks before, but with
    # ~20 stories a week that alone does not survive correcting over 54 tests
    this_week = one(tests, frame_id="regulation", reference="trailing_8_weeks")
    assert this_week["change_pp"] > 20 and this_week["p_value"] < 0.05
    assert not this_week["moved"]


def test_compute_chips_falls_and_not_a_race_stays(corpus: Corpus, report: ReportResult) -> None:
    recent, prior = list(corpus.weeks[-4:]), list(corpus.weeks[-12:-4])
    primary = read_json(report, "tests_primary")
    fall = one(primary, frame_id="compute_chips", reference=WINDOW)
    assert (fall["k"], fall["n"]) == primary_counts(corpus, recent, "compute_chips")
    assert (fall["k_ref"], fall["n_ref"]) == primary_counts(corpus, prior, "compute_chips")
    assert fall["direction"] == "down" and fall["change_pp"] < -8
    assert fall["share"] < 0.5 * fall["share_ref"]
    assert fall["p_value"] < 0.05  # nominally; not after correction at this volume
    for reference in ("last_week", "trailing_8_weeks"):
        assert one(primary, frame_id="compute_chips", reference=reference)["change_pp"] < 0
    carries = read_json(report, "tests")
    assert one(carries, frame_id="compute_chips", reference=WINDOW)["change_pp"] < 0

    for rows in (primary, carries):
        flat = [t for t in rows if t["frame_id"] == "not_a_race"]
        assert len(flat) == 3 and not any(t["moved"] or t["significant"] for t in flat)
        assert all(t["p_adjusted"] > 0.5 for t in flat)
    # every other frame's planted primary share changes by less than the 5-point minimum effect
    assert set(report.moved_frames) <= {"regulation", "compute_chips"}


def test_report_shows_the_primary_table_and_says_what_is_tested(
    corpus: Corpus, report: ReportResult
) -> None:
    with open(report.folder / "data" / "tests_primary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 27 and {r["measure"] for r in rows} == {"primary"}
    moved = [r for r in rows if r["moved"] == "true"]
    assert [(r["frame_id"], r["reference"]) for r in moved] == [("regulation", WINDOW)]
    html = report.path_html.read_text(encoding="utf-8")
    assert "Share of stories whose primary frame it is" in html
    weeks = corpus.weeks
    k, n = primary_counts(corpus, list(weeks[-4:]), "regulation")
    k_ref, n_ref = primary_counts(corpus, list(weeks[-12:-4]), "regulation")
    span = (
        f"{weeks[-4][-3:]}–{weeks[-1][-3:]}) vs the 8 before ({weeks[-12][-3:]}–{weeks[-5][-3:]})"
    )
    assert f"the last 4 weeks ({span}: {100 * k / n:.1f}% ({k}/{n})" in html
    assert "Holm correction over all 54 tests" in html
    series = read_json(report, "weekly_frame_share")
    last = one(series, frame_id="regulation", week=weeks[-1])
    assert (last["n_primary"], last["n_articles"]) == primary_counts(
        corpus, [weeks[-1]], "regulation"
    )
    svg = (report.folder / "charts" / "trend-regulation.svg").read_text()
    assert svg.count('class="primary-point"') == 12 and 'class="primary"' in svg
    md = report.path_md.read_text(encoding="utf-8")
    change = f"+{100 * (k / n - k_ref / n_ref):.1f} pp"
    assert "### Share of stories whose primary frame it is" in md and f"▲ **{change}**" in md


def test_report_opens_with_the_finding(corpus: Corpus, report: ReportResult) -> None:
    """One sentence and one chart of what moved, before every table; only the tested change
    is coloured."""
    html = report.path_html.read_text(encoding="utf-8")
    first = html.index("<section")
    assert html[first:].startswith('<section id="lead">')
    assert html.index('id="lead"') < html.index('id="headline"') < html.index('id="frames"')
    lead = html[first : html.index("</section>", first)]
    weeks = corpus.weeks
    k, n = primary_counts(corpus, list(weeks[-4:]), "regulation")
    k_ref, n_ref = primary_counts(corpus, list(weeks[-12:-4]), "regulation")
    change = 100 * (k / n - k_ref / n_ref)
    sentence = re.search(r'<p class="finding">(.*?)</p>', lead)[1]
    assert sentence.startswith(
        f"Regulation and governance rose as the primary frame: {100 * k / n:.0f}% in the last "
        f"4 weeks ({weeks[-4][-3:]}–{weeks[-1][-3:]}) against {100 * k_ref / n_ref:.0f}% in the "
        f"8 before ({weeks[-12][-3:]}–{weeks[-5][-3:]}) (+{change:.1f} points, adjusted p "
    )
    assert "<svg" in lead and 'id="chart-lead"' in lead
    chart = (report.folder / "charts" / "lead.svg").read_text()
    # nine frames, two comparisons each: one change passed its test, the other 17 are grey
    assert chart.count('class="moved"') == 1 and chart.count('class="unmoved"') == 17
    assert chart.count(f"+{change:.1f} pp *") == 1
    md = report.path_md.read_text(encoding="utf-8")
    assert md.index("## What moved") < md.index("## Stories this week") < md.index("## Frames")
    assert f"+{change:.1f} points" in md[: md.index("## Stories this week")]
