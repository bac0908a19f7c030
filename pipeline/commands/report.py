"""`framewatch report`: write the weekly framing-trend report for one ISO week."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pipeline.errors import FramewatchError
from pipeline.report import build_report
from pipeline.report.quality import QualityFileError
from pipeline.settings import REPO_ROOT, load_settings
from warehouse.db import connect

logger = logging.getLogger(__name__)

DEFAULT_QUALITY = REPO_ROOT / "tests" / "quality" / "framing_baseline.json"


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
    default=12,
    show_default=True,
    type=click.IntRange(min=2),
    help="Weeks shown in the trend charts and sparklines, ending with --week.",
)
@click.option(
    "--min-articles",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Weeks with fewer labelled stories are flagged, not plotted and not tested.",
)
@click.option(
    "--min-effect",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 100, min_open=True, max_open=True),
    help="Smallest change in a frame's share, in percentage points, reported as moved.",
)
@click.option(
    "--quality",
    "quality_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file with framing quality measured on labelled data. Default: "
    "tests/quality/framing_baseline.json in the repository, if it exists.",
)
def command(
    db_path: Path | None,
    out_dir: Path | None,
    week: str | None,
    weeks: int,
    min_articles: int,
    min_effect: float,
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
    settings = load_settings()
    db_path = db_path or settings.db_path
    out_dir = out_dir or settings.reports_path
    if quality_path is not None and not quality_path.exists():
        raise click.BadParameter(f"no such file: {quality_path}", param_hint="--quality")
    quality_path = quality_path or (DEFAULT_QUALITY if DEFAULT_QUALITY.exists() else None)
    try:
        con = connect(db_path, read_only=True)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error
    try:
        result = build_report(
            con,
            week,
            out_dir,
            weeks=weeks,
            min_articles=min_articles,
            min_effect=min_effect / 100,
            quality_path=quality_path,
        )
    except (ValueError, QualityFileError, FramewatchError) as error:
        raise click.ClickException(str(error)) from error
    finally:
        con.close()
    click.echo(f"report for {result.week}: {result.n_articles} labelled stories")
    for note in result.notes:
        click.echo(f"  note: {note}")
    if result.moved_frames:
        click.echo(f"  moved: {', '.join(result.moved_frames)}")
    click.echo(f"  {result.path_html}")
    click.echo(f"  {result.path_md}")
