"""`framewatch sql "select ..."`: query the warehouse views from the command line."""

from __future__ import annotations

import click

from pipeline.commands._common import settings_from, workdir_option
from warehouse.db import connect
from warehouse.snapshot import open_for_reading, snapshot_path


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
    if snapshot:
        con = connect(snapshot_path(settings.db_path), read_only=True)
    else:
        con, source, from_snapshot = open_for_reading(settings.db_path)
        if from_snapshot:
            click.echo(f"(the warehouse is being written; answering from the snapshot {source})", err=True)
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
