"""The warehouse: migrations applied once and recorded, views created, one writer at a time."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from pipeline.errors import WarehouseBusyError
from warehouse.db import connect, migration_files, warehouse
from warehouse.snapshot import publish_snapshot, snapshot_path

USER_VIEWS = {"articles", "article_frames", "frame_evidence", "weekly_frame_share", "sources",
              "crawl_runs", "fetch_log", "source_health", "weekly_coverage", "extraction_failures"}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "fw.duckdb"


def test_migrations_apply_once_and_are_recorded(db_path):
    with warehouse(db_path) as con:
        recorded = con.execute("select version, name from core.schema_migrations order by version").fetchall()
    assert recorded == [(v, n) for v, n, _ in migration_files()]
    with warehouse(db_path) as con:  # a second open applies nothing again
        again = con.execute("select count(*) from core.schema_migrations").fetchone()[0]
    assert again == len(recorded)


def test_documented_views_exist(db_path):
    with warehouse(db_path) as con:
        views = {r[0] for r in con.execute(
            "select view_name from duckdb_views() where schema_name = 'main' and not internal").fetchall()}
    assert USER_VIEWS <= views


def test_weekly_frame_share_counts_once_per_story(db_path):
    with warehouse(db_path) as con:
        con.execute("insert into core.sources (source_id, name) values ('s', 'S')")
        con.execute("insert into core.label_versions values ('v1', 'm', 'cb', '1', 'fp', null, null, now())")
        con.execute("insert into core.codebook_frames values ('fp', 'regulation', 'Regulation', null, 0)")
        for k, dup in enumerate([None, None, "a0"]):
            con.execute(
                "insert into core.articles (article_id, canonical_url, source_id, content_sha256, "
                "extraction_status, published_at, in_scope, duplicate_of, cleaned_at) "
                "values (?, ?, 's', 'h', 'ok', timestamp '2026-11-18 10:00', true, ?, now())",
                [f"a{k}", f"http://x/{k}", dup])
            con.execute("insert into core.frame_labels values (?, 'regulation', 0.9, ?, ?, 'v1', now())",
                        [f"a{k}", k != 1, k != 1])
        row = con.execute("select week, n_articles, n_with_frame, share, n_articles_all, n_with_frame_all "
                          "from weekly_frame_share").fetchone()
    assert row == ("2026-W47", 2, 1, 0.5, 3, 2)


def test_second_writer_gets_a_clear_error(db_path):
    connect(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db_path)!r})
            print("locked", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusyError, match="in use by another framewatch process"):
            connect(db_path, wait_seconds=1.0)
    finally:
        holder.communicate("\n", timeout=30)


def test_snapshot_is_a_readable_copy(db_path):
    with warehouse(db_path) as con:
        con.execute("insert into core.sources (source_id, name) values ('s', 'S')")
    path = publish_snapshot(db_path)
    assert path == snapshot_path(db_path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("select name from sources").fetchall() == [("S",)]
    finally:
        con.close()
