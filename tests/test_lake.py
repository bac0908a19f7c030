"""The DuckLake warehouse (catalog in a real PostgreSQL on loopback, Parquet in a folder): the same
migrations and views as the file, many writers at once, the same report, clear bad-config errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
import pytest
from fixtures.lake_writer import ARTICLE_TABLES, SHARED_TABLES, copy_shared, units
from fixtures.report.synthetic import planted_trends

from pipeline.cluster.postgres import free_port
from pipeline.errors import WarehouseConfigError, WarehouseMissingError
from pipeline.report import build_report
from pipeline.settings import load_settings
from warehouse.db import LakeLocation, connect, lake_statements, migration_files, warehouse
from warehouse.snapshot import open_for_reading, publish_snapshot

# The PostgreSQL fixtures (postgres_server, lake_location), by name.
pytest_plugins = ["fixtures.postgres"]

REPO = Path(__file__).resolve().parents[1]
WEEK = "2026-W47"
USER_VIEWS = {"articles", "article_frames", "frame_evidence", "weekly_frame_share", "sources",
              "crawl_runs", "fetch_log", "source_health", "weekly_coverage", "extraction_failures"}


@pytest.fixture(scope="module")
def planted_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single-file warehouse with twelve weeks of labelled stories (tests/fixtures/report)."""
    path = tmp_path_factory.mktemp("planted") / "planted.duckdb"
    planted_trends(path, WEEK)
    return path


def lake_env(location: LakeLocation) -> dict[str, str]:
    return {"FRAMEWATCH_WAREHOUSE__BACKEND": "ducklake",
            "FRAMEWATCH_WAREHOUSE__CATALOG_DSN": location.catalog_dsn,
            "FRAMEWATCH_WAREHOUSE__DATA_PATH": location.data_path}


def core_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    # Rows in a fixed order, whatever the backend returns them in.
    return sorted(con.execute(f"select * from core.{table}").fetchall(), key=repr)


def test_same_migrations_and_views_on_the_lake(lake_location: LakeLocation) -> None:
    with warehouse(lake_location) as con:
        recorded = con.execute("select version, name from core.schema_migrations order by version").fetchall()
        views = {row[0] for row in con.execute(
            "select view_name from duckdb_views() where database_name = 'lake' and schema_name = 'main'").fetchall()}
        columns = con.execute("select table_name, column_name, data_type from duckdb_columns() "
                              "where database_name = 'lake' and schema_name = 'core' "
                              "order by table_name, column_index").fetchall()
    assert recorded == [(v, n) for v, n, _ in migration_files()]
    assert USER_VIEWS <= views
    with warehouse(lake_location) as con:  # a second writer applies nothing again
        assert con.execute("select count(*) from core.schema_migrations").fetchone()[0] == len(recorded)
    # The file has the very same tables and columns (the lake only lacks keys; the claims
    # table lives in the lake's PostgreSQL).
    file_con = connect(Path(lake_location.data_path).parent / "same.duckdb")
    try:
        file_columns = file_con.execute(
            "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'core' "
            "and table_name <> 'work_claims' order by table_name, column_index").fetchall()
    finally:
        file_con.close()
    assert columns == file_columns


def test_lake_statements_drop_only_what_ducklake_lacks() -> None:
    sql = ("create table core.t (a varchar primary key, b varchar not null unique, c integer,"
           " primary key (a, c));\ncreate index t_b on core.t (b);\n"
           "create table if not exists core.work_claims (x varchar, primary key (x));")
    assert lake_statements(sql) == [
        "create table core.t (a varchar not null, b varchar not null, c integer)"]


@pytest.mark.slow
def test_two_writer_processes_at_once_lose_and_duplicate_nothing(
        planted_file: Path, lake_location: LakeLocation, tmp_path: Path) -> None:
    """Two processes meet a fresh lake (both migrate it), claim units of articles and write them
    at once; every row of the file warehouse is in the lake exactly once, and the report built
    from the lake equals the one built from the file."""
    spec = lake_location.spec()
    writer = REPO / "tests" / "fixtures" / "lake_writer.py"
    processes = [subprocess.Popen([sys.executable, str(writer), str(planted_file), spec, owner, *extra],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for owner, extra in (("writer-a", []), ("writer-b", ["reverse"]))]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    written = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    source = duckdb.connect(str(planted_file), read_only=True)
    source.execute(f"attach '{planted_file}' as src (read_only)")
    all_units = units(source)
    assert written[0] and written[1], f"both writers wrote some units: {written}"
    assert sorted(written[0] + written[1]) == sorted(all_units), "every unit written by exactly one writer"
    copy_shared(str(planted_file), spec)
    copy_shared(str(planted_file), spec)  # keyed writes: a second copy changes nothing

    lake = connect(lake_location, read_only=True)
    try:
        for table in (*ARTICLE_TABLES, *SHARED_TABLES):
            assert core_rows(lake, table) == core_rows(source, table), table
        assert lake.execute("select count(*) from core.articles").fetchone()[0] == 417  # planted_trends
        now = datetime(2026, 12, 1, tzinfo=UTC)
        from_lake = build_report(lake, WEEK, tmp_path / "lake", now=now).folder
        from_file = build_report(source, WEEK, tmp_path / "file", now=now).folder
    finally:
        lake.close()
        source.close()
    data_files = sorted(p.name for p in (from_file / "data").iterdir())
    assert len(data_files) > 20
    assert sorted(p.name for p in (from_lake / "data").iterdir()) == data_files
    for name in data_files:
        if name.endswith((".csv", ".json")):
            assert (from_lake / "data" / name).read_bytes() == (from_file / "data" / name).read_bytes(), name
    assert (from_lake / "report.md").read_text() == (from_file / "report.md").read_text()


@pytest.mark.slow
def test_rewriting_a_unit_is_idempotent(planted_file: Path, lake_location: LakeLocation) -> None:
    from fixtures.lake_writer import write_units

    from warehouse.claims import WorkClaims

    spec = lake_location.spec()
    first = write_units(str(planted_file), spec, "writer-a")
    assert write_units(str(planted_file), spec, "writer-b") == []  # every unit is done
    # The whole stage again under another name (a relabel run): every row written a second time.
    assert write_units(str(planted_file), spec, "writer-b", stage="copy-again") == first
    with WorkClaims(spec) as claims:
        assert claims.summary("copy").completed == claims.summary("copy-again").completed == len(first)
    with connect(lake_location, read_only=True) as lake, duckdb.connect(str(planted_file), read_only=True) as source:
        for table in ARTICLE_TABLES:
            assert core_rows(lake, table) == core_rows(source, table), table


@pytest.mark.slow
def test_cli_sql_status_export_report_read_the_lake(planted_file: Path, lake_location: LakeLocation,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = lake_location.spec()
    copy_shared(str(planted_file), spec)
    from fixtures.lake_writer import write_units
    write_units(str(planted_file), spec, "writer-a")
    env = {**_base_env(), **lake_env(lake_location)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args, "--workdir", str(tmp_path)],
                              capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done

    query = "select count(*) as n from articles"
    result = cli("sql", "--format", "json", query)
    expected = duckdb.connect(str(planted_file), read_only=True)
    try:
        expected.execute("set TimeZone = 'UTC'")
        n_file = expected.execute(query).fetchone()[0]
    finally:
        expected.close()
    assert n_file > 0 and json.loads(result.stdout) == [{"n": n_file}]

    result = cli("status")
    assert "DuckLake" in result.stdout and ":***@" in result.stdout
    assert f":{lake_location.catalog_dsn.split(':')[2].split('@')[0]}@" not in result.stdout  # no password

    cli("export", "--out", str(tmp_path / "x"), "--format", "csv")
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest

    cli("report", "--week", WEEK, "--out", str(tmp_path / "reports"))
    assert (tmp_path / "reports" / WEEK / "report.html").exists()
    for name, value in lake_env(lake_location).items():
        monkeypatch.setenv(name, value)
    assert load_settings().warehouse_target == lake_location


def test_the_lake_has_no_snapshot_file(lake_location: LakeLocation) -> None:
    connect(lake_location).close()
    assert publish_snapshot(lake_location) is None
    con, source, from_snapshot = open_for_reading(lake_location)
    con.close()
    assert source == lake_location and not from_snapshot


def test_unreachable_catalog_names_the_setting_and_writes_nothing(tmp_path: Path, postgres_server) -> None:
    closed = postgres_server.dsn_with(port=free_port())
    location = LakeLocation(closed, str(tmp_path / "lake"))
    with pytest.raises(WarehouseConfigError, match=r"^\[warehouse\] catalog_dsn .*cannot reach PostgreSQL"):
        connect(location)
    assert not (tmp_path / "lake").exists()


def test_wrong_password_names_the_setting_and_writes_nothing(tmp_path: Path, postgres_server,
                                                             new_lake_on_server) -> None:
    location = new_lake_on_server(tmp_path / "lake")
    wrong = LakeLocation(location.catalog_dsn.replace(postgres_server.password, "not-the-password"),
                         location.data_path)
    with pytest.raises(WarehouseConfigError, match=r"catalog_dsn .*refused the user name or password") as raised:
        connect(wrong)
    assert postgres_server.password not in str(raised.value) and "not-the-password" not in str(raised.value)
    assert not (tmp_path / "lake").exists()
    with psycopg.connect(location.catalog_dsn) as pg:  # the catalog database is untouched
        assert pg.execute("select count(*) from information_schema.tables "
                          "where table_schema not in ('pg_catalog', 'information_schema')").fetchone()[0] == 0


def test_reading_an_empty_catalog_is_a_clear_error(lake_location: LakeLocation) -> None:
    with pytest.raises(WarehouseMissingError, match="holds no framewatch warehouse"):
        connect(lake_location, read_only=True)


@pytest.mark.slow
def test_cli_bad_catalog_is_one_line(tmp_path: Path, postgres_server, new_lake_on_server,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    location = new_lake_on_server(tmp_path / "lake")
    wrong = location.catalog_dsn.replace(postgres_server.password, "nope")
    monkeypatch.chdir(tmp_path)
    for env in ({"FRAMEWATCH_WAREHOUSE__CATALOG_DSN": wrong},
                {"FRAMEWATCH_WAREHOUSE__CATALOG_DSN": postgres_server.dsn_with(port=free_port())},
                {"FRAMEWATCH_WAREHOUSE__CATALOG_DSN": ""}):
        env = {"FRAMEWATCH_WAREHOUSE__BACKEND": "ducklake",
               "FRAMEWATCH_WAREHOUSE__DATA_PATH": location.data_path, **env}
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", "sql", "--workdir", str(tmp_path),
                               "select 1"], capture_output=True, text=True, timeout=120, check=False,
                              env={**_base_env(), **env}, cwd=tmp_path)
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "[warehouse] catalog_dsn" in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "lake").exists()
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "sql", "--workdir", str(tmp_path), "select 1"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
                          env={**_base_env(), "FRAMEWATCH_WAREHOUSE__BACKEND": "sqlite"})
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1 and "warehouse.backend" in lines[0], done.stderr
    assert not (tmp_path / "framewatch.duckdb").exists()


def _base_env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("FRAMEWATCH_WAREHOUSE")}


@pytest.mark.slow
def test_keyed_writes_of_the_stages_are_idempotent_on_both_backends(lake_location: LakeLocation,
                                                                      tmp_path: Path) -> None:
    """The stage bookkeeping, label versions, codebook frames, embedding cache and emerging
    clusters: written twice, stored once, and the same rows on the file and on the lake."""
    import pyarrow as pa

    from warehouse.queries import named_queries

    started = datetime(2026, 11, 20, 8, 0)
    finished = datetime(2026, 11, 20, 8, 5)
    stored = {}
    for name, target in (("file", tmp_path / "w.duckdb"), ("lake", lake_location)):
        with warehouse(target) as con:
            for _ in range(2):
                con.execute(named_queries("stages")["start_stage"], ["run-1", "clean", started])
                con.execute(named_queries("stages")["record_stage"],
                            ["run-1", "crawl", started, finished, "finished", 10, 8, 300.0, None])
                con.execute(named_queries("frame")["insert_label_version"],
                            ["lv-1", "model", "ai-race", "1", "fp", None, "toml"])
                con.execute(named_queries("frame")["insert_codebook_frame"], ["fp", "race", "Race", "def", 0])
                con.register("new_embeddings", pa.table({
                    "model_id": ["model", "model"], "text_sha256": ["h1", "h2"],
                    "vector": pa.array([[0.5, 1.0], [1.5, 2.0]], pa.list_(pa.float32()))}))
                con.execute(named_queries("embeddings")["store"])
                con.unregister("new_embeddings")
                con.execute(named_queries("emerging")["upsert_cluster"],
                            ["c1", "2026-W46", "2026-W47", ["chips"], [0.25, 0.5], 4, "lv-1", finished, "model"])
            con.execute(named_queries("stages")["start_stage"], ["run-1", "crawl", finished])  # replaces
            stored[name] = {table: sorted(con.execute(  # created_at: the default, now()
                f"select * exclude (created_at) from core.{table}" if table in ("label_versions", "embeddings")
                else f"select * from core.{table}").fetchall(), key=repr) for table in (
                "stage_runs", "label_versions", "codebook_frames", "embeddings", "emerging_clusters")}
    for table, rows in stored["file"].items():
        assert rows == stored["lake"][table], table
    assert len(stored["lake"]["stage_runs"]) == 2 and len(stored["lake"]["embeddings"]) == 2
    crawl = next(row for row in stored["lake"]["stage_runs"] if row[1] == "crawl")
    assert crawl[2:5] == (finished, None, "running")
