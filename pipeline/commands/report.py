"""`framewatch report`: write the weekly framing-trend report for one ISO week."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import click

from pipeline.commands._common import settings_from, workdir_option
from pipeline.errors import FramewatchError
from pipeline.report import build_report
from pipeline.report.quality import QualityFileError
from warehouse.snapshot import open_for_reading

logger = logging.getLogger(__name__)


@click.command("report")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Warehouse file to read (opened read-only). Default: from the settings, "
    "<workdir>/framewatch.duckdb.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder that receives <week>/report.html etc. Default: <workdir>/reports.",
)
@click.option(
    "--week",
    default=None,
    metavar="YYYY-Www",
    help="ISO week to report, e.g. 2026-W47. Default: the last complete ISO week.",
)
@click.option(
    "--weeks",
    default=None,
    type=click.IntRange(min=2),
    help="Weeks shown in the trend charts and sparklines, ending with --week. "
    "Default: [report] weeks (12).",
)
@click.option(
    "--min-articles",
    default=None,
    type=click.IntRange(min=1),
    help="Weeks with fewer labelled stories are flagged, not plotted and not tested. "
    "Default: [report] min_articles (10).",
)
@click.option(
    "--min-effect",
    default=None,
    type=click.FloatRange(0, 100, min_open=True, max_open=True),
    help="Smallest change in a frame's share, in percentage points, reported as moved. "
    "Default: [report] min_effect (5).",
)
@click.option(
    "--quality",
    "quality_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file with framing quality measured on labelled data, shown in the method box. "
    "Default: [report] quality_file (none).",
)
@click.option("--from", "period_from", default=None, metavar="YYYY-MM|YYYY-Www",
              help="History report: first month (or ISO week, with --by week) of a long span.")
@click.option("--to", "period_to", default=None, metavar="YYYY-MM|YYYY-Www",
              help="History report: last month (or ISO week) of the span.")
@click.option("--by", "period_by", type=click.Choice(["month", "week"]), default="month",
              show_default=True, help="History report: one point per month or per ISO week.")
@workdir_option
@click.pass_context
def command(
    ctx: click.Context,
    period_from: str | None,
    period_to: str | None,
    period_by: str,
    workdir: str | None,
    db_path: Path | None,
    out_dir: Path | None,
    week: str | None,
    weeks: int | None,
    min_articles: int | None,
    min_effect: float | None,
    quality_path: Path | None,
) -> None:
    """Write the weekly framing-trend report (HTML, Markdown, CSV/JSON, Parquet snapshot).

    Frame shares with 95% Wilson intervals, trends, significant changes in the share of
    stories carrying each frame and in the share whose primary frame it is (two-proportion
    z-tests: this week vs last week, vs the 8 weeks before, and the last 4 weeks vs the 8
    before; one Holm correction over all of them), breakdowns by outlet and country, emerging
    framings, and a coverage and method box. Re-running it for the same week over the same
    data gives the same numbers.
    """
    settings = settings_from(ctx, workdir)
    db_path = db_path or settings.warehouse_target
    out_dir = out_dir or settings.reports_path
    if quality_path is not None and not quality_path.exists():
        raise click.BadParameter(f"no such file: {quality_path}", param_hint="--quality")
    # The settings' [report] table, with what was given on the command line on top: the same
    # options `framewatch run` reports with, so both write the same report for the same week.
    given = {"weeks": weeks, "min_articles": min_articles, "min_effect": min_effect,
             "quality_file": str(quality_path) if quality_path else None}
    report_settings = replace(settings.report, **{k: v for k, v in given.items() if v is not None})
    if period_from or period_to:  # the history report over a long span (docs/backfill.md)
        _history(db_path, out_dir, period_from, period_to, period_by, report_settings)
        return
    con, source, from_snapshot = open_for_reading(db_path)
    if from_snapshot:
        click.echo(f"(a run is writing the warehouse; reporting from the snapshot {source})", err=True)
    try:
        result = build_report(con, week, out_dir, **report_settings.build_arguments())
    except (ValueError, QualityFileError) as error:
        raise FramewatchError(str(error)) from error
    finally:
        con.close()
    click.echo(f"report for {result.week}: {result.n_articles} labelled stories")
    for note in result.notes:
        click.echo(f"  note: {note}")
    if result.moved_frames:
        click.echo(f"  moved: {', '.join(result.moved_frames)}")
    click.echo(f"  {result.path_html}")
    click.echo(f"  {result.path_md}")


def _history(db_path: Path, out_dir: Path, period_from: str | None, period_to: str | None,
             period_by: str, report_settings: object) -> None:
    """`--from/--to/--by`: write the history report (pipeline/report/history.py)."""
    from pipeline.report.history import HistoryError, HistoryOptions, write_history_report

    if not (period_from and period_to):
        raise click.UsageError("the history report needs both --from and --to")
    options = HistoryOptions(period_from, period_to, period_by,
                             min_articles=report_settings.min_articles,  # type: ignore[attr-defined]
                             min_effect=report_settings.min_effect / 100)  # type: ignore[attr-defined]
    con, source, from_snapshot = open_for_reading(db_path)
    if from_snapshot:
        click.echo(f"(a run is writing the warehouse; reporting from the snapshot {source})", err=True)
    try:
        result = write_history_report(con, options, out_dir)
    except HistoryError as error:
        raise FramewatchError(f"report --from/--to: {error}") from error
    finally:
        con.close()
    model = result.model
    click.echo(f"history {options.first} to {options.last} by {options.by}: "
               f"{sum(t['n'] for t in model.totals)} labelled stories in {len(model.periods)} periods")
    for note in model.notes:
        click.echo(f"  note: {note}")
    moved = [f"{t['label']} ({t['measure_label']}) {t['direction']}" for t in model.tests if t["moved"]]
    if moved:
        click.echo(f"  moved: {', '.join(moved)}")
    click.echo(f"  {result.path_html}")
    click.echo(f"  {result.path_md}")
