"""`framewatch export`: the views to Parquet (partitioned by week) and CSV, read back intact."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from fixtures.recipes.small_warehouse import small_warehouse

from pipeline.commands.export import command as export_command
from pipeline.errors import WarehouseBusyError
from warehouse.export import EXPORT_VIEWS, ExportError, export_views
from warehouse.snapshot import publish_snapshot

REPO = Path(__file__).resolve().parents[1]
WEEKLY_VIEWS = ("articles", "article_frames", "frame_evidence", "weekly_frame_share")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return small_warehouse(tmp_path_factory.mktemp("export") / "framewatch.duckdb")


@pytest.fixture()
def db_path(built, tmp_path) -> Path:
    """A private copy of the small warehouse, so a test may change it."""
    copy = tmp_path / "framewatch.duckdb"
    copy.write_bytes(built.path.read_bytes())
    return copy


def view_rows(db_path: Path, view: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        columns = [row[0] for row in con.execute(f"describe {view}").fetchall()]
        order = ", ".join(f'"{c}"' for c in columns if c not in ("authors",))
        return con.execute(f"select {order} from {view} order by {order}").fetchall()
    finally:
        con.close()


def parquet_rows(path: Path, columns: list[str]) -> list[tuple]:
    """Rows of an exported view, read back the way a researcher would (hive partitions)."""
    pattern = f"{path}/**/*.parquet" if path.is_dir() else str(path)
    order = ", ".join(f'"{c}"' for c in columns)
    con = duckdb.connect()
    try:
        return con.execute(f"select {order} from read_parquet('{pattern}', hive_partitioning = true)"
                           f" order by {order}").fetchall()
    finally:
        con.close()


def test_parquet_export_round_trips_every_view(db_path, tmp_path):
    result = export_views(db_path, tmp_path / "out")
    assert [v.view for v in result.views] == list(EXPORT_VIEWS)
    assert not result.from_snapshot
    con = duckdb.connect(str(db_path), read_only=True)
    for exported in result.views:
        columns = [r[0] for r in con.execute(f"describe {exported.view}").fetchall()
                   if r[0] != "authors"]
        expected = view_rows(db_path, exported.view)
        assert exported.rows == len(expected) > 0, exported.view
        assert parquet_rows(Path(exported.path), columns) == expected, exported.view
    con.close()


def test_views_with_a_week_are_partitioned_by_week(db_path, built, tmp_path):
    result = export_views(db_path, tmp_path / "out")
    by_view = {v.view: v for v in result.views}
    for view in WEEKLY_VIEWS:
        folder = Path(by_view[view].path)
        assert by_view[view].partitioned_by == "week"
        weeks = sorted(p.name for p in folder.iterdir())
        assert weeks == [f"week={w}" for w in built.weeks], view
        assert by_view[view].files == len(built.weeks)
    for view in ("sources", "crawl_runs", "fetch_log"):
        assert Path(by_view[view].path).name == f"{view}.parquet"
        assert by_view[view].partitioned_by is None
    # pandas/pyarrow read a partition folder as one table, with the week back as a column
    frame = pq.read_table(tmp_path / "out" / "weekly_frame_share").to_pandas()
    assert sorted(frame["week"].astype(str).unique()) == list(built.weeks)


def test_manifest_records_what_was_exported(db_path, tmp_path):
    export_views(db_path, tmp_path / "out", views=["sources", "articles"])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["format"] == "parquet"
    assert manifest["source"] == str(db_path)
    assert {v["view"]: v["rows"] for v in manifest["views"]} == {
        "sources": len(view_rows(db_path, "sources")),
        "articles": len(view_rows(db_path, "articles")),
    }


def test_reexport_leaves_no_rows_of_the_earlier_export(db_path, built, tmp_path):
    out = tmp_path / "out"
    export_views(db_path, out, views=["articles"])
    con = duckdb.connect(str(db_path))
    con.execute("delete from core.articles where strftime(published_at, '%G-W%V') = ?",
                [built.weeks[0]])
    con.close()
    result = export_views(db_path, out, views=["articles"])
    folder = out / "articles"
    assert sorted(p.name for p in folder.iterdir()) == [f"week={w}" for w in built.weeks[1:]]
    count = len(parquet_rows(folder, ["article_id"]))
    assert count == result.views[0].rows == len(view_rows(db_path, "articles"))
    assert not list(out.glob(".*.partial")) and not list(out.glob(".*.old"))


def test_csv_export_writes_one_file_per_view(db_path, tmp_path):
    result = export_views(db_path, tmp_path / "csv", "csv")
    for exported in result.views:
        path = Path(exported.path)
        assert path.name == f"{exported.view}.csv"
        frame = pd.read_csv(path)
        assert len(frame) == exported.rows == len(view_rows(db_path, exported.view))
    articles = pd.read_csv(tmp_path / "csv" / "articles.csv")
    assert {"article_id", "week", "outlet", "title", "is_duplicate"} <= set(articles.columns)


def test_unknown_view_or_format_is_refused_clearly(db_path, tmp_path):
    with pytest.raises(ExportError, match=r"no such view .*: artikles"):
        export_views(db_path, tmp_path / "out", views=["artikles"])
    with pytest.raises(ExportError, match="unknown export format 'xlsx'"):
        export_views(db_path, tmp_path / "out", "xlsx")


def _hold_writer(db_path: Path) -> subprocess.Popen:
    """Another process that opens the warehouse for writing and keeps it open."""
    code = textwrap.dedent(f"""
        import sys, time, duckdb
        con = duckdb.connect({str(db_path)!r})
        print("holding", flush=True)
        sys.stdin.read()
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_export_reads_the_snapshot_while_a_run_writes(db_path, tmp_path):
    publish_snapshot(db_path)
    holder = _hold_writer(db_path)
    try:
        result = export_views(db_path, tmp_path / "out", views=["sources"])
    finally:
        holder.communicate("", timeout=30)
    assert result.from_snapshot
    assert result.source.endswith("framewatch.snapshot.duckdb")
    assert result.views[0].rows == len(view_rows(db_path, "sources"))


def test_export_without_snapshot_while_a_run_writes_says_why(db_path, tmp_path):
    holder = _hold_writer(db_path)
    try:
        with pytest.raises(WarehouseBusyError, match="being written .* no snapshot exists yet"):
            export_views(db_path, tmp_path / "out")
    finally:
        holder.communicate("", timeout=30)


def test_cli_exports_into_the_workdir_by_default(db_path):
    workdir = db_path.parent
    result = CliRunner().invoke(export_command, ["--workdir", str(workdir), "--format", "csv",
                                                 "--view", "sources"], obj={})
    assert result.exit_code == 0, result.output
    assert (workdir / "export" / "csv" / "sources.csv").exists()
    assert "sources" in result.output and "4 rows" in result.output
    assert "manifest.json" in result.output


def test_articles_without_a_date_go_to_a_file_of_their_own(db_path, tmp_path):
    con = duckdb.connect(str(db_path))
    undated = con.execute("select article_id from core.articles where extraction_status = 'ok' "
                          "order by article_id limit 1").fetchone()[0]
    con.execute("update core.articles set published_at = null where article_id = ?", [undated])
    con.close()
    out = tmp_path / "out"
    exported = export_views(db_path, out, views=["articles"]).views[0]
    assert exported.undated_rows == 1
    assert exported.undated_path == str(out / "articles.undated.parquet")
    dated = pd.read_parquet(out / "articles")  # no NULL partition: pandas reads the folder
    rest = pd.read_parquet(exported.undated_path)
    assert len(dated) + len(rest) == exported.rows == len(view_rows(db_path, "articles"))
    assert rest["article_id"].tolist() == [undated] and rest["week"].isna().all()
    assert not dated["week"].isna().any()
    # dated again: the next export removes the undated file
    con = duckdb.connect(str(db_path))
    con.execute("update core.articles set published_at = timestamp '2026-11-18 10:00' "
                "where article_id = ?", [undated])
    con.close()
    assert export_views(db_path, out, views=["articles"]).views[0].undated_path is None
    assert not (out / "articles.undated.parquet").exists()
