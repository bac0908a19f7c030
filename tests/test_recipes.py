"""Every SQL recipe in docs/recipes.md runs as a user pastes it, through `framewatch sql`.

The recipes are read from the fenced ```sql blocks of the doc; the comment line above each
(`<!-- recipe: <name> | columns: a, b, ... -->`) names it and the columns it returns. Each block
is pasted between the double quotes of `framewatch sql --format json "..."`, split as a POSIX
shell would split that line, and run by the real console entry point against a small warehouse
labelled with the default codebook. A recipe that a shell or click would mangle, that names a
frame the default codebook lacks, that breaks when a view changes, that returns other columns
than documented, or that returns no rows on a warehouse holding the case it looks for, fails here.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from fixtures.cli import run_framewatch
from fixtures.recipes.small_warehouse import small_warehouse

from pipeline.framing.codebook import load_codebook
from pipeline.settings import DEFAULT_SEEDS_DIR

RECIPES_DOC = Path(__file__).resolve().parents[1] / "docs" / "recipes.md"
_BLOCK = re.compile(r"(?:<!-- (?P<header>[^\n]*?) -->\n)?```sql\n(?P<sql>.*?)```", re.DOTALL)
_HEADER = re.compile(r"recipe: (?P<name>[a-z0-9_]+) \| columns: (?P<columns>.+)")
_FRAME_IDS = re.compile(r"frame_id\s*(?:=|in)\s*\(?\s*('[^']*'(?:\s*,\s*'[^']*')*)")


def parse_recipes(text: str) -> list[tuple[str, list[str], str]]:
    """(name, documented columns, SQL) of every ```sql block; a block without its header fails."""
    recipes = []
    for match in _BLOCK.finditer(text):
        header = _HEADER.fullmatch(match["header"] or "")
        assert header, ("a ```sql block has no '<!-- recipe: NAME | columns: ... -->' line above "
                        f"it:\n{match['sql'][:200]}")
        columns = [c.strip() for c in header["columns"].split(",")]
        recipes.append((header["name"], columns, match["sql"]))
    return recipes


RECIPES = parse_recipes(RECIPES_DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("recipes")
    small_warehouse(folder / "framewatch.duckdb")
    return folder


def run_pasted(sql: str, workdir: Path, capsys, monkeypatch) -> list[dict]:
    """Paste `sql` into `framewatch sql --format json "..."` in a shell, in the workdir."""
    line = f'framewatch sql --format json "{sql}"'
    argv = shlex.split(line, posix=True)
    assert argv[-1] == sql, "the shell would change this recipe (a quote, $, ` or \\ in it)"
    monkeypatch.setenv("FRAMEWATCH_WORKDIR", str(workdir))
    code, out, err = run_framewatch(argv[1:], capsys, monkeypatch, cwd=workdir)
    assert code == 0, f"`{line[:80]}...` failed: {err}"
    return json.loads(out)


def test_the_doc_holds_a_dozen_uniquely_named_recipes():
    names = [name for name, _, _ in RECIPES]
    assert len(names) >= 12
    assert len(set(names)) == len(names), f"duplicate recipe names: {names}"


@pytest.mark.parametrize(("name", "columns", "sql"), RECIPES, ids=[r[0] for r in RECIPES])
def test_recipe_names_only_frames_of_the_default_codebook(name, columns, sql):
    known = set(load_codebook(DEFAULT_SEEDS_DIR / "frames.toml").frame_ids)
    named = {frame.strip().strip("'") for group in _FRAME_IDS.findall(sql) for frame in group.split(",")}
    assert named <= known, f"{name} names frames the default codebook lacks: {sorted(named - known)}"


@pytest.mark.parametrize(("name", "columns", "sql"), RECIPES, ids=[r[0] for r in RECIPES])
def test_pasted_recipe_returns_rows_with_its_documented_columns(workdir, capsys, monkeypatch,
                                                                name, columns, sql):
    rows = run_pasted(sql, workdir, capsys, monkeypatch)
    assert rows, f"{name}: no rows on a warehouse that holds what it looks for"
    assert list(rows[0]) == columns, f"{name}: columns differ from the doc's header"


def test_a_recipe_that_opens_with_an_sql_comment_is_taken_as_the_query(workdir, capsys, monkeypatch):
    """`framewatch sql "-- note\\nselect ..."` is a query, not an unknown option."""
    rows = run_pasted("-- recipe: any comment\nselect count(*) as n from articles", workdir, capsys,
                      monkeypatch)
    assert rows[0]["n"] > 0


def test_silent_source_recipe_names_the_outlet_that_stopped(workdir, capsys, monkeypatch):
    sql = {name: sql for name, _, sql in RECIPES}["silent_sources"]
    rows = run_pasted(sql, workdir, capsys, monkeypatch)
    assert [(r["source_id"], r["last_article_week"], r["last_crawl_health"]) for r in rows] == [
        ("delta", "2026-W45", "silent")]


def test_wire_recipe_counts_copies_once(workdir, capsys, monkeypatch):
    sql = {name: sql for name, _, sql in RECIPES}["wire_copies_once_vs_all"]
    rows = {(r["week"], r["frame_id"]): r for r in run_pasted(sql, workdir, capsys, monkeypatch)}
    # 2026-W47: bravo 6 originals (compute_chips on 4), alpha 6 + 2 copies of bravo's first two,
    # charlie 4; compute_chips on 4 (bravo) + 3 (alpha) unique, plus 2 copies.
    row = rows[("2026-W47", "compute_chips")]
    assert (row["n_articles"], row["n_with_frame"], row["n_articles_all"],
            row["n_with_frame_all"]) == (16, 7, 18, 9)
