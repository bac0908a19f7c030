"""The named queries of warehouse/queries/*.sql: well-formed files, and every query binds against
the schema the migrations and views create (a renamed column fails here, not mid-crawl)."""

from __future__ import annotations

import re

import duckdb
import pytest

from spiders.store import _BATCH_TABLES, _batch_select, _column_types
from warehouse.db import connect
from warehouse.queries import QUERIES_DIR, named_queries

QUERY_FILES = sorted(path.stem for path in QUERIES_DIR.glob("*.sql"))
# Batch writes of spiders/store.py: `{select}` is filled from the table's live column types.
STORE_TEMPLATES = {"upsert_sources": "sources", "insert_warc_records": "warc_records",
                   "insert_fetch_log": "fetch_log", "upsert_pages": "pages",
                   "upsert_http_validators": "http_validators", "upsert_discovered": "discovered"}


@pytest.fixture(scope="module")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("queries") / "w.duckdb")
    # What clean.py registers (an Arrow table of new rows) before its delete_replaced_articles.
    con.execute("create temp table new_articles as select * from core.articles limit 0")
    # What embedding_cache.py registers before its lookup and store.
    con.execute("create temp table wanted_hashes (text_sha256 varchar)")
    con.execute("create temp table new_embeddings as select * from core.embeddings limit 0")
    yield con
    con.close()


def _all_queries() -> list[tuple[str, str]]:
    return [(stem, name) for stem in QUERY_FILES for name in named_queries(stem)]


def _runnable(con: duckdb.DuckDBPyConnection, stem: str, name: str) -> str:
    """The query as its caller runs it (store templates filled in)."""
    sql = named_queries(stem)[name]
    if stem == "pages" and name in STORE_TEMPLATES:
        table = STORE_TEMPLATES[name]
        sql = sql.format(select=_batch_select(table, _BATCH_TABLES[table], _column_types(con)))
    return sql


def test_every_file_has_unique_named_blocks(fresh_db: duckdb.DuckDBPyConnection) -> None:
    assert {"annotate", "clean", "crawl", "embeddings", "emerging", "export", "frame", "pages",
            "report", "stages", "status"} <= set(QUERY_FILES)
    for stem in QUERY_FILES:
        text = (QUERIES_DIR / f"{stem}.sql").read_text(encoding="utf-8")
        headers = re.findall(r"^-- name: *(\S+) *$", text, flags=re.MULTILINE)
        assert headers, f"{stem}.sql has no '-- name:' block"
        assert len(headers) == len(set(headers)), f"{stem}.sql names a query twice"
        for name in named_queries(stem):
            # one statement per block: callers execute a block on its own, with its parameters
            statements = duckdb.extract_statements(_runnable(fresh_db, stem, name))
            assert len(statements) == 1, f"{stem}.sql: {name} holds {len(statements)} statements"


@pytest.mark.parametrize(("stem", "name"), _all_queries())
def test_query_binds_against_the_warehouse(fresh_db: duckdb.DuckDBPyConnection, stem: str,
                                           name: str) -> None:
    sql = _runnable(fresh_db, stem, name)
    if re.sub(r"--[^\n]*", "", sql).lstrip().lower().startswith("merge"):
        # DuckDB cannot PREPARE a MERGE by SQL (Python binds its parameters fine): plan it with
        # NULLs for the parameters instead, which binds every table and column just the same.
        fresh_db.execute("explain " + sql.replace("?", "null"))
        return
    fresh_db.execute(f"prepare checked as {sql}")
    fresh_db.execute("deallocate checked")


def test_store_templates_cover_every_batch_table() -> None:
    assert set(STORE_TEMPLATES.values()) == set(_BATCH_TABLES)
    assert set(STORE_TEMPLATES) <= set(named_queries("pages"))


def test_a_query_naming_a_missing_column_fails_to_bind(fresh_db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.BinderException):
        fresh_db.execute("prepare checked as select no_such_column from core.pages where url = ?")
