"""The history report (`framewatch report --from --to --by`): long-run shares with intervals,
thin and empty periods marked, coverage by acquisition path; web text escaped; and, on the demo's
imported back catalogue, the planted long-run trends."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.backfill import TOPIC, demo_sources, write_demo_sources

from pipeline.cli import cli
from pipeline.demo_site.backcatalogue import back_catalogue, month_starts, write_warc_files
from pipeline.report.history import (
    HistoryError,
    HistoryModel,
    HistoryOptions,
    md_escape,
    periods_between,
    render_history_html,
    render_history_markdown,
)
from pipeline.settings import Settings
from pipeline.stages import runs
from pipeline.stages.imports import import_warc
from warehouse.db import connect

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> | *bold* [link](javascript:x)'


def test_periods_are_months_or_iso_weeks() -> None:
    assert periods_between(HistoryOptions("2025-11", "2026-02")) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert periods_between(HistoryOptions("2025-W52", "2026-W02", by="week")) == [
        "2025-W52", "2026-W01", "2026-W02"]
    with pytest.raises(HistoryError, match="before"):
        periods_between(HistoryOptions("2026-03", "2026-01"))
    with pytest.raises(HistoryError, match="not a month"):
        periods_between(HistoryOptions("2026-W03", "2026-W05"))
    with pytest.raises(HistoryError, match="not an ISO week"):
        periods_between(HistoryOptions("2026-13", "2026-14", by="week"))


def _hostile_model() -> HistoryModel:
    point = {"period": "2026-01", "k": 3, "n": 12, "share": 0.25, "low": 0.09, "high": 0.53,
             "k_primary": 1, "primary_share": 1 / 12, "primary_low": 0.01, "primary_high": 0.35,
             "thin": False}
    return HistoryModel(
        options=HistoryOptions("2026-01", "2026-01"), periods=["2026-01"],
        frames=[{"frame_id": "evil", "label": HOSTILE}], series={"evil": [point]},
        totals=[{"period": "2026-01", "n": 12, "thin": False}],
        tests=[{"frame_id": "evil", "label": HOSTILE, "measure": "share", "measure_label": "carrying",
                "start": None, "end": None, "diff": None, "p": None, "p_adjusted": None,
                "moved": False, "direction": ""}],
        coverage=[{"period": "2026-01", "n": 12, "paths": {"crawl": 2, "warc": 10, "urls": 0, "texts": 0},
                   "outlets": {HOSTILE: 12}}],
        outlets=[HOSTILE], notes=[f"note about {HOSTILE}"])


def test_web_text_is_escaped_in_html_and_markdown() -> None:
    html = render_history_html(_hostile_model())
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "script-src 'none'" in html
    markdown = render_history_markdown(_hostile_model())
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "\\| \\*bold\\* \\[link\\]\\(javascript:x\\)" in markdown
    assert md_escape("a|b") == "a\\|b"


@pytest.mark.slow
def test_imported_back_catalogue_shows_the_planted_long_run_trends(tmp_path: Path, embedder) -> None:
    months = 12
    end = date(2026, 10, 1)
    stories = list(back_catalogue(end, months, on_topic_per_month=20, outlet_off_topic_per_month=4,
                                  unfollowed_per_month=12))
    files = write_warc_files(stories, tmp_path / "warc", records_per_file=100)
    settings = Settings(workdir=tmp_path / "wd",
                        sources_file=str(write_demo_sources(tmp_path / "sources.toml")))
    with connect(settings.db_path) as con:
        summary = import_warc(con, files, archive_dir=settings.archive_path,
                              sources=demo_sources(tmp_path / "s.toml"), topic_terms=TOPIC.terms)
    assert summary.imported >= months * 20
    run_id = runs.new_run_id()
    runs.clean_stage(settings, run_id)
    runs.frame_stage(settings, run_id)

    first = month_starts(end, months)[0]
    before = f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"
    result = CliRunner().invoke(cli, ["report", "--workdir", str(settings.workdir), "--from", before,
                                      "--to", "2026-10", "--by", "month"], obj={},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "moved:" in result.output
    folder = settings.reports_path / f"history-{before}-to-2026-10-by-month"
    report = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    tests = {(t["frame_id"], t["measure"]): t for t in report["tests"]}
    assert tests[("regulation", "primary_share")]["direction"] == "rose"
    assert tests[("compute_chips", "primary_share")]["direction"] == "fell"
    assert tests[("not_a_race", "primary_share")]["moved"] is False
    # the month before the back catalogue is a gap, named as such; the others are not thin
    assert report["totals"][0] == {"period": before, "n": 0, "thin": True}
    assert not any(t["thin"] for t in report["totals"][1:])
    assert any("no labelled story" in note for note in report["notes"])
    # coverage: every in-scope story came in through the WARC import
    coverage = json.loads((folder / "history_coverage.json").read_text(encoding="utf-8"))
    assert sum(row["path_warc"] for row in coverage) == sum(row["n"] for row in coverage) > 0
    assert sum(row["path_crawl"] for row in coverage) == 0
    html = (folder / "history.html").read_text(encoding="utf-8")
    assert "Regulation" in html and "<svg" in html
