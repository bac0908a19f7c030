"""Ordinary mistakes at the command line get one line naming the problem, not a traceback.

Each case runs the real `framewatch` entry point (`pipeline.cli.main`, the console script) against
a real DuckDB file: a SQL typo, an unknown table, a write statement, a missing or unusable
workdir. Each must exit non-zero, print one line on stderr, and create nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.cli import run_framewatch
from fixtures.recipes.small_warehouse import small_warehouse


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("errors")
    small_warehouse(folder / "framewatch.duckdb")
    return folder


def assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("framewatch: error: "), lines[0]
    assert "Traceback" not in err
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"


@pytest.mark.parametrize(("query", "expected"), [
    ("selec week from weekly_frame_share", ['Parser Error: syntax error at or near "selec"']),
    ("select * from no_such_table", ["Catalog Error: Table with name no_such_table does not exist"]),
    ("select 'x'::integer", ["Conversion Error"]),
    ("delete from articles", ["read-only", "delete statement"]),
    ("create table scratch (a integer)", ["read-only", "create statement"]),
    ("insert into core.sources (source_id) values ('x')", ["read-only", "insert statement"]),
    ("copy (select 1) to 'out.csv'", ["read-only", "copy statement"]),
    ("attach 'other.duckdb'", ["read-only", "attach statement"]),
    ("   ", ["the query is empty"]),
], ids=["typo", "unknown-table", "conversion", "delete", "create", "insert", "copy-to", "attach", "empty"])
def test_sql_mistakes_print_duckdbs_message_on_one_line(workdir, tmp_path, capsys, monkeypatch,
                                                        query, expected):
    before = sorted(p.name for p in workdir.iterdir())
    code, out, err = run_framewatch(["sql", "--workdir", str(workdir), query], capsys, monkeypatch,
                                    tmp_path)
    assert_one_line_error(code, err, *expected)
    assert out == ""
    assert sorted(p.name for p in workdir.iterdir()) == before
    assert list(tmp_path.iterdir()) == [], "a refused statement wrote a file"


def test_sql_still_answers_a_good_query(workdir, tmp_path, capsys, monkeypatch):
    code, out, err = run_framewatch(
        ["sql", "--workdir", str(workdir), "--format", "csv", "select count(*) as n from articles"],
        capsys, monkeypatch, tmp_path)
    assert code == 0, err
    assert out.splitlines()[0] == "n" and int(out.splitlines()[1]) > 0


@pytest.mark.parametrize("command", [
    ["sql", "select 1"], ["status"], ["export"], ["export", "--format", "csv"], ["report"],
    ["annotate", "export", "--out", "sheet.csv"],
])
def test_a_missing_workdir_is_named_and_nothing_is_created(tmp_path, capsys, monkeypatch, command):
    missing = tmp_path / "missing"
    code, _, err = run_framewatch([*command, "--workdir", str(missing)], capsys, monkeypatch, tmp_path)
    assert_one_line_error(code, err, f"no warehouse at {missing / 'framewatch.duckdb'}")
    assert not missing.exists(), f"`framewatch {' '.join(command)}` created {missing}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["sql", "select 1"], ["status"], ["export"]])
def test_a_file_that_is_not_a_warehouse_is_named(tmp_path, capsys, monkeypatch, command):
    (tmp_path / "framewatch.duckdb").write_text("not a database\n", encoding="utf-8")
    code, _, err = run_framewatch([*command, "--workdir", str(tmp_path)], capsys, monkeypatch, tmp_path)
    assert_one_line_error(code, err, "cannot open the warehouse", "not a valid DuckDB database file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["framewatch.duckdb"]


def test_a_duckdb_file_without_framewatch_tables_is_named(tmp_path, capsys, monkeypatch):
    import duckdb

    duckdb.connect(str(tmp_path / "framewatch.duckdb")).close()
    code, _, err = run_framewatch(["status", "--workdir", str(tmp_path)], capsys, monkeypatch, tmp_path)
    assert_one_line_error(code, err, "not a framewatch warehouse")


def test_export_of_an_unknown_view_creates_no_folder(workdir, tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "out"
    code, _, err = run_framewatch(["export", "--workdir", str(workdir), "--out", str(out_dir),
                                   "--view", "no_such_view"], capsys, monkeypatch, tmp_path)
    assert_one_line_error(code, err, "no such view", "no_such_view")
    assert not out_dir.exists()


def test_the_installed_console_script_prints_no_traceback(tmp_path):
    """The same through a real process: what a user's shell sees."""
    script = Path(sys.executable).with_name("framewatch")
    result = subprocess.run([str(script), "sql", "--workdir", str(tmp_path / "nowhere"), "selec 1"],
                            check=False, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "no warehouse at" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_sql_while_a_run_writes_answers_from_the_snapshot_and_says_so_once(workdir, tmp_path):
    """A writer in another process holds the warehouse: one note on stderr, then the answer."""
    from warehouse.snapshot import publish_snapshot

    folder = tmp_path / "busy"
    folder.mkdir()
    shutil.copyfile(workdir / "framewatch.duckdb", folder / "framewatch.duckdb")
    publish_snapshot(folder / "framewatch.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         ("import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
          "sys.stdin.read()"), str(folder / "framewatch.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        script = Path(sys.executable).with_name("framewatch")
        result = subprocess.run(
            [str(script), "sql", "--workdir", str(folder), "--format", "csv",
             "select count(*) as n from articles"],
            check=False, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "n" and int(result.stdout.splitlines()[1]) > 0
    notes = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "answering from the snapshot" in notes[0], result.stderr
