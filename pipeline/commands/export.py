"""`framewatch export`: write the user views to Parquet (partitioned by week) or CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.commands._common import settings_from, workdir_option
from warehouse.export import EXPORT_VIEWS, FORMATS, export_views


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="parquet", show_default=True,
              help="parquet: one folder per view with week=YYYY-Www/ partitions (views without a "
                   "week: one file); csv: one file per view.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder to write into. Default: <workdir>/export/<format>.")
@click.option("--view", "views", multiple=True, metavar="NAME",
              help=f"Export only this view (repeatable). Default: {', '.join(EXPORT_VIEWS)}.")
@workdir_option
@click.pass_context
def command(ctx: click.Context, fmt: str, out_dir: str | None, views: tuple[str, ...],
            workdir: str | None) -> None:
    """Export the warehouse views to Parquet or CSV for pandas, R, Arrow or Spark.

    Reads the warehouse read-only, or the snapshot of the last run while a run is writing.
    Re-exporting replaces the earlier files of each view; manifest.json lists rows per view.
    """
    settings = settings_from(ctx, workdir)
    target = Path(out_dir) if out_dir else settings.workdir / "export" / fmt
    result = export_views(settings.warehouse_target, target, fmt, views or None)
    if result.from_snapshot:
        click.echo(f"(a run is writing the warehouse; exported the snapshot {result.source})",
                   err=True)
    for view in result.views:
        layout = f"partitioned by {view.partitioned_by}, {view.files} files" \
            if view.partitioned_by else "1 file"
        click.echo(f"{view.view:<20} {view.rows:>9} rows  {view.path}  ({layout})")
        if view.undated_path:
            click.echo(f"{'':<20} {view.undated_rows:>9} of them without a week: {view.undated_path}")
    click.echo(f"Manifest: {Path(result.out_dir) / 'manifest.json'}")
