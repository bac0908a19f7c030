"""`framewatch status`: last runs, per-source health, corpus size and what is queued."""

from __future__ import annotations

import click
import duckdb

from pipeline.commands._common import settings_from, workdir_option
from warehouse.queries import named_queries
from warehouse.snapshot import open_for_reading


def _table(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = [["" if v is None else str(v) for v in row] for row in cursor.fetchall()]
    if not rows:
        return "  (none)"
    widths = [max(len(n), *(len(r[i]) for r in rows)) for i, n in enumerate(names)]
    lines = ["  " + "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


@click.command("status")
@workdir_option
@click.pass_context
def command(ctx: click.Context, workdir: str | None) -> None:
    """Show the last runs, each source's health in the last crawl, corpus size and queued work."""
    settings = settings_from(ctx, workdir)
    con, source, from_snapshot = open_for_reading(settings.warehouse_target)
    origin = f"{source} (snapshot: a run is writing the warehouse)" if from_snapshot else str(source)
    queries = named_queries("status")
    try:
        click.echo(f"Warehouse: {origin}\n")
        for title, key in [("Corpus", "corpus"), ("Queued", "queued"), ("Last stage runs", "last_runs"),
                           ("Sources in the last crawl", "source_health")]:
            click.echo(f"{title}:")
            click.echo(_table(con, queries[key]))
            click.echo("")
    finally:
        con.close()
