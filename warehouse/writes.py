"""Keyed, idempotent writes that behave the same on the DuckDB file and on a DuckLake.

DuckLake has no primary keys, so `insert or replace` and `on conflict` are unavailable there. A
keyed write instead deletes the rows whose keys it brings and inserts the new ones, in one
transaction: writing the same rows twice (a retried task, a re-run stage) leaves one copy.

    con.register("new_labels", arrow_table)
    replace_rows(con, "core.frame_labels", ["article_id", "frame_id"], "new_labels")
    replace_for_keys(con, {"core.frame_labels": "new_labels", "core.frame_evidence": "new_evidence"},
                     "article_id", article_ids)   # "the results for these articles are these"

Concurrent writers must write disjoint keys (units claimed with warehouse/claims.py): two
transactions that both insert a key that did not exist yet both commit on DuckLake (it detects
conflicting deletes, not concurrent inserts). A commit that races another writer on the same
table is retried by DuckLake itself; a conflict it cannot resolve is retried here.

Table and column names are identifiers chosen by the caller at run time, so these statements are
built in Python rather than kept in warehouse/queries (values are always bound parameters).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import duckdb

logger = logging.getLogger(__name__)

WRITE_RETRIES = 5
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def _checked(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], int]) -> int:
    """Run `work` in one transaction, retrying when a concurrent lake writer conflicts."""
    for attempt in range(WRITE_RETRIES):
        con.execute("begin transaction")
        try:
            result = work()
            con.execute("commit")
            return result
        except duckdb.TransactionException as error:
            con.execute("rollback")
            if attempt == WRITE_RETRIES - 1:
                raise
            logger.info("write conflicted with another writer (%s); retrying", str(error).splitlines()[0])
            time.sleep(0.1 * 2 ** attempt)
        except BaseException:
            con.execute("rollback")
            raise
    raise AssertionError("unreachable")


def _duplicate_keys(con: duckdb.DuckDBPyConnection, source: str, keys: Sequence[str]) -> int:
    key_list = ", ".join(_checked(k) for k in keys)
    return con.execute(f"select count(*) from (select {key_list} from {_checked(source)} "
                       f"group by {key_list} having count(*) > 1)").fetchone()[0]


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, key_columns: Sequence[str], source: str) -> int:
    """Write the rows of `source` (a table, view or registered frame) into `table`, replacing
    rows with the same key; returns the number of rows written. Columns match by name; columns
    `source` lacks take their defaults."""
    table, source = _checked(table), _checked(source)
    if _duplicate_keys(con, source, key_columns):
        raise ValueError(f"{source} holds the same {', '.join(key_columns)} more than once")
    match = " and ".join(f"t.{_checked(k)} is not distinct from s.{k}" for k in key_columns)

    def write() -> int:
        con.execute(f"delete from {table} as t where exists (select 1 from {source} as s where {match})")
        return con.execute(f"insert into {table} by name select * from {source}").fetchone()[0]

    return in_transaction(con, write)


def replace_for_keys(con: duckdb.DuckDBPyConnection, sources: Mapping[str, str], key_column: str,
                     keys: Iterable[str]) -> dict[str, int]:
    """Make `keys` (say article ids) have exactly the rows of `sources` ({table: source}) in
    each table, all in one transaction: rows of those keys not in the sources go away too (an
    article that lost a frame loses its old label). Returns rows written per table."""
    key_list = sorted(set(keys))
    column = _checked(key_column)
    for source in sources.values():
        stray = con.execute(f"select count(*) from {_checked(source)} where not ({column} = any(?::varchar[]))",
                            [key_list]).fetchone()[0]
        if stray:
            raise ValueError(f"{source} holds {stray} rows whose {column} is not among the keys written")

    def write() -> int:
        written.clear()
        for table, source in sources.items():
            con.execute(f"delete from {_checked(table)} where {column} = any(?::varchar[])", [key_list])
            written[table] = con.execute(f"insert into {table} by name select * from {source}").fetchone()[0]
        return sum(written.values())

    written: dict[str, int] = {}
    in_transaction(con, write)
    return dict(written)
