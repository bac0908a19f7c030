"""Every SQL recipe in docs/recipes.md runs against a small warehouse and returns its columns.

The recipes are read from the fenced ```sql blocks of the doc; each must start with
`-- recipe: <name>` and `-- columns: a, b, ...`. A recipe that breaks when a view changes, that
returns other columns than documented, or that returns no rows on a warehouse holding the case
it looks for, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from fixtures.recipes.small_warehouse import small_warehouse

RECIPES_DOC = Path(__file__).resolve().parents[1] / "docs" / "recipes.md"
_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)
_HEADER = re.compile(r"-- recipe: (?P<name>[a-z0-9_]+)\n-- columns: (?P<columns>[^\n]+)\n")


def parse_recipes(text: str) -> list[tuple[str, list[str], str]]:
    """(name, documented columns, SQL) of every ```sql block; a block without headers fails."""
    recipes = []
    for block in _BLOCK.findall(text):
        match = _HEADER.match(block)
        assert match, f"a ```sql block does not start with '-- recipe:' and '-- columns:':\n{block[:200]}"
        columns = [c.strip() for c in match["columns"].split(",")]
        recipes.append((match["name"], columns, block))
    return recipes


RECIPES = parse_recipes(RECIPES_DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse_con(tmp_path_factory):
    built = small_warehouse(tmp_path_factory.mktemp("recipes") / "framewatch.duckdb")
    con = duckdb.connect(str(built.path), read_only=True)
    yield con
    con.close()


def test_the_doc_holds_a_dozen_uniquely_named_recipes():
    names = [name for name, _, _ in RECIPES]
    assert len(names) >= 12
    assert len(set(names)) == len(names), f"duplicate recipe names: {names}"


@pytest.mark.parametrize(("name", "columns", "sql"), RECIPES, ids=[r[0] for r in RECIPES])
def test_recipe_returns_rows_with_its_documented_columns(warehouse_con, name, columns, sql):
    relation = warehouse_con.sql(sql)
    assert relation.columns == columns, f"{name}: columns differ from the doc's '-- columns:'"
    rows = relation.fetchall()
    assert rows, f"{name}: no rows on a warehouse that holds what it looks for"


def test_silent_source_recipe_names_the_outlet_that_stopped(warehouse_con):
    sql = {name: sql for name, _, sql in RECIPES}["silent_sources"]
    rows = warehouse_con.sql(sql).fetchall()
    assert [(r[0], r[2], r[4]) for r in rows] == [("delta", "2026-W45", "silent")]


def test_wire_recipe_counts_copies_once(warehouse_con):
    sql = {name: sql for name, _, sql in RECIPES}["wire_copies_once_vs_all"]
    rows = {(r[0], r[1]): r for r in warehouse_con.sql(sql).fetchall()}
    # 2026-W47: bravo 6 originals (race_to_win on 4), alpha 6 + 2 copies of bravo's first two,
    # charlie 4; race_to_win on 4 (bravo) + 3 (alpha) unique, plus 2 copies.
    _, _, n_articles, n_with, _, n_all, n_with_all, _ = rows[("2026-W47", "race_to_win")]
    assert (n_articles, n_with, n_all, n_with_all) == (16, 7, 18, 9)
