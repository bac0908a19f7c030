"""Open the DuckDB warehouse: apply numbered migrations once, (re)create the user views."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.errors import WarehouseBusyError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VIEWS_DIR = Path(__file__).with_name("views")


def migration_files() -> list[tuple[int, str, Path]]:
    """The numbered migrations, in order: (version, name, path)."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        number, _, name = path.stem.partition("_")
        found.append((int(number), name, path))
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet recorded in core.schema_migrations; return their versions."""
    con.execute("create schema if not exists core")
    con.execute(
        "create table if not exists core.schema_migrations ("
        " version integer primary key, name varchar not null,"
        " applied_at timestamp not null default current_timestamp)"
    )
    done = {row[0] for row in con.execute("select version from core.schema_migrations").fetchall()}
    applied = []
    for version, name, path in migration_files():
        if version in done:
            continue
        logger.info("applying migration %04d_%s", version, name)
        con.execute("begin transaction")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("insert into core.schema_migrations (version, name) values (?, ?)", [version, name])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(version)
    return applied


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the documented views users query, in file-name order (dependencies first)."""
    # One transaction: one commit (and fsync) instead of one per view, which cost a tenth of a
    # second on every writer's connect.
    con.execute("begin transaction")
    try:
        for path in sorted(VIEWS_DIR.glob("*.sql")):
            con.execute(path.read_text(encoding="utf-8"))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


def connect(
    path: str | Path, *, read_only: bool = False, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse file; a writer migrates it first.

    DuckDB lets one process write a file at a time. When another process holds it, retry for up
    to `wait_seconds`, then raise WarehouseBusyError naming the file.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `framewatch run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"the warehouse {path} is in use by another framewatch process "
                    "(DuckDB allows one writer at a time); wait for it to finish, "
                    "or query the read-only snapshot instead"
                ) from error
            time.sleep(0.5)
    # Timestamps in the warehouse are naive and mean UTC; make `now()` and casts agree.
    con.execute("set TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
        create_views(con)
    return con


@contextmanager
def warehouse(
    path: str | Path, *, read_only: bool = False, wait_seconds: float = 0.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is closed (and checkpointed, for writers) on exit."""
    con = connect(path, read_only=read_only, wait_seconds=wait_seconds)
    try:
        yield con
        if not read_only:
            con.execute("checkpoint")
    finally:
        con.close()
