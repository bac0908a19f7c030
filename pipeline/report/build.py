"""Build one week's report folder: load the views, compute, render, export, snapshot, manifest."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline import __version__
from pipeline.report.analysis import (
    PRIOR_WEEKS,
    RECENT_WEEKS,
    TRAILING_WEEKS,
    WINDOW_TEST_WEEKS,
    ReportModel,
    ReportOptions,
    build_model,
)
from pipeline.report.data import QUERIES, input_row_hashes, load_report_data, write_snapshot
from pipeline.report.export import output_hashes, plain, write_json, write_table
from pipeline.report.quality import load_quality
from pipeline.report.records import GroupShare
from pipeline.report.render import build_charts, render_html, render_markdown
from pipeline.report.shares import load_report_shares
from pipeline.report.weeks import last_complete_week, parse_week, week_bounds, week_range

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportResult:
    """Where the report went, and its key facts."""

    path_html: Path
    path_md: Path
    folder: Path
    week: str
    path_manifest: Path
    n_articles: int
    moved_frames: tuple[str, ...]
    notes: tuple[str, ...]


def _options(
    week: str, weeks: int, min_articles: int, min_effect: float, alpha: float, correction: str
) -> ReportOptions:
    parse_week(week)
    if weeks < 2:
        raise ValueError(f"--weeks must be at least 2, got {weeks}")
    if min_articles < 1:
        raise ValueError(f"--min-articles must be at least 1, got {min_articles}")
    if not 0 < min_effect < 1:
        raise ValueError(f"the minimum effect is a share between 0 and 1, got {min_effect}")
    return ReportOptions(
        week=week,
        weeks=week_range(week, weeks),
        data_weeks=week_range(week, max(weeks, TRAILING_WEEKS + 1, WINDOW_TEST_WEEKS)),
        min_articles=min_articles,
        min_effect=min_effect,
        alpha=alpha,
        correction=correction,
    )


def _tables(model: ReportModel) -> dict[str, list[Any]]:
    """The numbers behind every chart and table, one CSV/JSON pair each (records or dicts)."""
    evidence = [row for rows in model.evidence.values() for row in rows]
    emerging = [{k: v for k, v in plain(c).items() if k != "examples"} for c in model.emerging]
    examples = [e for c in model.emerging for e in c.examples]
    return {
        "headline": [model.headline],
        "frame_quality": list(model.coverage.shares.frame_quality) if model.coverage.shares else [],
        "weekly_volume": model.volume,
        "frame_table": model.frame_table,
        "primary_share": model.primary_share,
        "weekly_frame_share": model.series,
        "tests": [t for t in model.tests if t.measure == "carries"],
        "tests_primary": [t for t in model.tests if t.measure == "primary"],
        "evidence": evidence,
        "outlet_week": model.breakdowns["outlet_week"],
        "outlet_window": model.breakdowns["outlet_window"],
        "country_week": [_country(r) for r in model.breakdowns["country_week"]],
        "country_window": [_country(r) for r in model.breakdowns["country_window"]],
        "cooccurrence_week": model.cooccurrence["week"],
        "cooccurrence_window": model.cooccurrence["window"],
        "emerging_clusters": emerging,
        "emerging_examples": examples,
        "source_health": list(model.coverage.sources),
    }


def _country(row: GroupShare) -> dict[str, Any]:
    """A by-country row has no outlet: its file keeps the country key only."""
    return {k: v for k, v in plain(row).items() if k not in ("source_id", "outlet")}


def _write_folder(con: duckdb.DuckDBPyConnection, model: ReportModel, folder: Path) -> None:
    options = model.options
    svgs = build_charts(model)
    charts_dir = folder / "charts"
    charts_dir.mkdir(parents=True)
    for name, svg in svgs.items():
        (charts_dir / f"{name}.svg").write_text(svg + "\n", encoding="utf-8")
    (folder / "report.html").write_text(render_html(model, svgs), encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(model, svgs), encoding="utf-8")
    for name, rows in _tables(model).items():
        write_table(folder / "data", name, rows)
    write_json(
        folder / "data" / "report.json",
        {
            "week": options.week,
            "weeks": options.weeks,
            "frames": model.frames,
            "notes": model.notes,
            **_tables(model),
            "coverage": {k: v for k, v in plain(model.coverage).items() if k != "sources"},
        },
    )
    write_snapshot(con, options.data_weeks[0], options.week, folder / "snapshot")


def build_report(
    con: duckdb.DuckDBPyConnection,
    week: str | None,
    out_dir: Path,
    *,
    weeks: int = 12,
    min_articles: int = 10,
    now: datetime | None = None,
    min_effect: float = 0.05,
    alpha: float = 0.05,
    correction: str = "holm",
    quality_path: Path | None = None,
) -> ReportResult:
    """Write `out_dir/<week>/` (report.html, report.md, charts/, data/, snapshot/, manifest.json).

    `week` defaults to the last complete ISO week before `now`. The numbers depend only on the
    warehouse rows and the options; `now` reaches only the manifest's generated_at.
    """
    now = now or datetime.now(UTC)
    week = week or last_complete_week(now)
    options = _options(week, weeks, min_articles, min_effect, alpha, correction)
    quality = load_quality(quality_path)
    data = load_report_data(con, options.data_weeks[0], options.week)
    shares = load_report_shares(con, data, options.week, options.data_weeks)
    model = build_model(data, options, quality, shares)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = out_dir / week
    staging = out_dir / f".{week}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        _write_folder(con, model, staging)
        first_day, _ = week_bounds(options.data_weeks[0])
        _, last_day = week_bounds(options.week)
        manifest = {
            "report": "framewatch weekly framing report",
            "framewatch_version": __version__,
            "week": week,
            "window": {
                "weeks_shown": options.weeks,
                "weeks_loaded": options.data_weeks,
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
            },
            "parameters": {
                "weeks": weeks,
                "min_articles": min_articles,
                "min_effect": min_effect,
                "alpha": alpha,
                "correction": correction,
                "trailing_weeks": TRAILING_WEEKS,
                "window_test": {"recent_weeks": RECENT_WEEKS, "prior_weeks": PRIOR_WEEKS},
                "n_tests": sum(t.p_value is not None for t in model.tests),
                "quality_file": str(quality_path) if quality else None,
                "frame_shares": None
                if model.coverage.shares is None
                else {
                    "codebook_fingerprint": model.coverage.shares.codebook_fingerprint,
                    "methods_this_week": list(model.coverage.shares.methods_week),
                    "gold_items": model.coverage.shares.gold_items,
                    "calibration_rows": model.coverage.shares.calibration_rows,
                },
            },
            "row_counts": {q.name: len(data[q.name]) for q in QUERIES},
            "inputs": input_row_hashes(con, options.data_weeks[0], options.week),
            "versions": {
                "label_versions": plain(model.coverage.label_versions_week),
                "label_versions_in_window": list(model.coverage.label_versions_window),
            },
            "outputs": output_hashes(staging, exclude={"manifest.json"}),
            "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        }
        write_json(staging / "manifest.json", manifest)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("report for %s written to %s", week, folder)
    return ReportResult(
        path_html=folder / "report.html",
        path_md=folder / "report.md",
        folder=folder,
        week=week,
        path_manifest=folder / "manifest.json",
        n_articles=int(model.headline.n_labelled),
        moved_frames=tuple(sorted({t.frame_id for t in model.movers})),
        notes=tuple(model.notes),
    )
