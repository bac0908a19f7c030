"""`framewatch sql "select ..."`: query the warehouse views from the command line."""

from __future__ import annotations

import click
import duckdb

from pipeline.commands._common import settings_from, workdir_option
from pipeline.errors import WarehouseBusyError
from warehouse.db import connect
from warehouse.snapshot import snapshot_path


@click.command("sql")
@click.argument("query")
@workdir_option
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="How to print the result.")
@click.option("--snapshot", is_flag=True,
              help="Query the read-only snapshot (refreshed after each run) instead of the live file.")
@click.pass_context
def command(ctx: click.Context, query: str, workdir: str | None, output_format: str, snapshot: bool) -> None:
    """Run a read-only SQL query against the warehouse (views: articles, weekly_frame_share, ...)."""
    settings = settings_from(ctx, workdir)
    path = snapshot_path(settings.db_path) if snapshot else settings.db_path
    try:
        con = connect(path, read_only=True)
    except duckdb.IOException as error:  # DuckDB raises IOException when a writer holds the file
        if "lock" not in str(error).lower() or snapshot:
            raise
        fallback = snapshot_path(settings.db_path)
        if not fallback.exists():
            raise WarehouseBusyError(
                f"{settings.db_path} is being written by a framewatch run and no snapshot exists yet"
            ) from error
        click.echo(f"(the warehouse is being written; answering from the snapshot {fallback})", err=True)
        con = connect(fallback, read_only=True)
    try:
        relation = con.sql(query)
        if relation is None:
            return
        if output_format == "table":
            relation.show(max_rows=10_000, max_width=200)
        elif output_format == "csv":
            click.echo(relation.df().to_csv(index=False), nl=False)
        else:
            click.echo(relation.df().to_json(orient="records", date_format="iso", indent=2))
    finally:
        con.close()
