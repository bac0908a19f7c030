"""`framewatch sql "select ..."`: query the warehouse views from the command line."""

from __future__ import annotations

import click
import duckdb

from pipeline.commands._common import settings_from, workdir_option
from pipeline.errors import QueryError
from warehouse.db import connect, duckdb_message
from warehouse.snapshot import open_for_reading, snapshot_path

# Statements that only read. Anything else (create, insert, copy ... to, attach, export, set)
# would change the warehouse or write files, which is the stages' job, not a query's.
READ_STATEMENTS = frozenset({
    duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA, duckdb.StatementType.CALL,
})


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Raise QueryError unless every statement in `query` parses and only reads."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as error:
        raise QueryError(f"SQL error: {duckdb_message(error)}") from error
    if not statements:
        raise QueryError("SQL error: the query is empty")
    for statement in statements:
        if statement.type not in READ_STATEMENTS:
            kind = statement.type.name.lower()
            raise QueryError(
                f"`framewatch sql` runs read-only queries (select, explain, pragma, call); "
                f"this is a {kind} statement. The warehouse is changed only by framewatch's "
                "stages; use `framewatch export` to write files")


class _SqlCommand(click.Command):
    """Takes a query that opens with an SQL comment (`-- ...`) as the query, not as an option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        commented = [arg for arg in args if arg.startswith("--") and any(c.isspace() for c in arg)]
        if commented and "--" not in args:
            args = [arg for arg in args if arg not in commented] + ["--", *commented]
        return super().parse_args(ctx, args)


@click.command("sql", cls=_SqlCommand)
@click.argument("query")
@workdir_option
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="How to print the result.")
@click.option("--snapshot", is_flag=True,
              help="Always query the read-only snapshot (refreshed after each run). Without it, "
                   "the live file is queried, or the snapshot while a run is writing.")
@click.pass_context
def command(ctx: click.Context, query: str, workdir: str | None, output_format: str, snapshot: bool) -> None:
    """Run a read-only SQL query against the warehouse (views: articles, weekly_frame_share, ...).

    While a run writes the warehouse, the query is answered from the snapshot of the last run
    (a note on stderr says so). SQL errors print DuckDB's message on one line.
    """
    settings = settings_from(ctx, workdir)
    if snapshot and settings.warehouse.backend == "duckdb":  # a lake has no snapshot file
        con = connect(snapshot_path(settings.db_path), read_only=True)
    else:
        con, source, from_snapshot = open_for_reading(settings.warehouse_target)
        if from_snapshot:
            click.echo(f"(the warehouse is being written; answering from the snapshot {source})", err=True)
    try:
        check_read_only(con, query)
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
        except duckdb.Error as error:
            raise QueryError(f"SQL error: {duckdb_message(error)}") from error
    finally:
        con.close()
