"""Open the warehouse: apply numbered migrations once, (re)create the user views.

Two backends answer the same SQL (docs/warehouse.md, docs/scale-out.md "Warehouse"):

- a single DuckDB file (the default): one writing process at a time;
- a DuckLake: its catalog in PostgreSQL, its data as Parquet files in a folder every machine
  reaches. Any number of processes, on any number of machines, read and write it at once;
  DuckLake commits with optimistic concurrency and retries a commit that raced another.

A target is a `Path` (the file) or a `LakeLocation`; `Settings.warehouse_target` gives the one
the settings name. `str(LakeLocation.spec())` passes a lake through a string-only channel (the
crawl subprocess's settings), and `connect` takes that string back.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from pipeline.errors import WarehouseBusyError, WarehouseConfigError, WarehouseMissingError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VIEWS_DIR = Path(__file__).with_name("views")
LAKE_ALIAS = "lake"
LAKE_SPEC_PREFIX = "ducklake:"
CATALOG_CONNECT_TIMEOUT_SECONDS = 10
# Concurrent writers that meet a fresh catalog race to migrate it; the loser retries this often.
LAKE_SCHEMA_RETRIES = 8


@dataclass(frozen=True)
class LakeLocation:
    """A DuckLake warehouse: the PostgreSQL catalog (libpq URI or key=value string) and the
    folder (or object-store URL) of its Parquet files."""

    catalog_dsn: str
    data_path: str

    def spec(self) -> str:
        """This location as one string (with the password), for `connect` in another process."""
        return LAKE_SPEC_PREFIX + json.dumps({"catalog_dsn": self.catalog_dsn, "data_path": self.data_path})

    @classmethod
    def from_spec(cls, spec: str) -> LakeLocation:
        fields = json.loads(spec[len(LAKE_SPEC_PREFIX):])
        return cls(fields["catalog_dsn"], fields["data_path"])

    def __str__(self) -> str:
        return f"DuckLake (catalog {redact_dsn(self.catalog_dsn)}, data {self.data_path})"


WarehouseTarget = str | Path | LakeLocation


def as_target(target: WarehouseTarget) -> Path | LakeLocation:
    """A Path for the single file, a LakeLocation for a lake (also from its `spec()` string)."""
    if isinstance(target, LakeLocation):
        return target
    if isinstance(target, str) and target.startswith(LAKE_SPEC_PREFIX + "{"):
        return LakeLocation.from_spec(target)
    return Path(target)


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        if parts.password is not None:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return parts._replace(netloc=netloc).geturl()
        return dsn
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", dsn)


def migration_files() -> list[tuple[int, str, Path]]:
    """The numbered migrations, in order: (version, name, path)."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        number, _, name = path.stem.partition("_")
        found.append((int(number), name, path))
    return found


# --- DuckLake lacks keys and indexes: the migrations are adapted statement by statement ---------

# Tables that live in the catalog's PostgreSQL instead, where a primary key makes a claim atomic
# (warehouse/claims.py); DuckLake's optimistic commits let two inserts of one key both succeed.
POSTGRES_ONLY_TABLES = ("core.work_claims",)
_TABLE_KEY = re.compile(r",\s*primary\s+key\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"(\bnot\s+null\s+)?\bprimary\s+key\b", re.IGNORECASE)
_UNIQUE = re.compile(r"\s+unique\b(?!\s*\()", re.IGNORECASE)
_BOOLEAN_DEFAULT = re.compile(r"(\bdefault\s+)(true|false)\b", re.IGNORECASE)


def lake_statements(sql: str) -> list[str]:
    """The statements of a migration as DuckLake runs them.

    DuckLake has no PRIMARY KEY, UNIQUE or indexes: keys become NOT NULL columns, indexes are
    dropped, and keyed writes stay idempotent by deleting before inserting in one transaction
    (warehouse/writes.py) instead of by a constraint.
    """
    adapted = []
    for text in split_statements(sql):
        lowered = " ".join(text.lower().split())
        if lowered.startswith(("create index", "create unique index", "drop index")):
            continue
        if any(f"table {name}" in lowered or f"exists {name}" in lowered for name in POSTGRES_ONLY_TABLES):
            continue
        text = _TABLE_KEY.sub("", text)
        text = _COLUMN_KEY.sub("not null", text)
        text = _UNIQUE.sub("", text)
        if lowered.startswith("alter table"):
            # A boolean keyword is not a "literal" default to DuckLake's ALTER; a string is.
            text = _BOOLEAN_DEFAULT.sub(lambda m: f"{m.group(1)}'{m.group(2).lower()}'", text)
        adapted.append(text)
    return adapted


def split_statements(sql: str) -> list[str]:
    """The statements of a migration file without comments. (DuckDB's extract_statements gives
    no text for ALTER statements.) Semicolons and `--` inside quoted strings are kept."""
    statements, current, quote = [], [], ""
    index = 0
    while index < len(sql):
        char = sql[index]
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif sql.startswith("--", index):
            newline = sql.find("\n", index)
            index = len(sql) if newline < 0 else newline
            continue
        elif char == ";":
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    statements.append("".join(current).strip())
    return [statement for statement in statements if statement]


def postgres_statements() -> list[str]:
    """The migrations' statements for POSTGRES_ONLY_TABLES, as the lake's PostgreSQL runs them."""
    wanted = ["create schema if not exists core"]
    for _, _, path in migration_files():
        for text in split_statements(path.read_text(encoding="utf-8")):
            lowered = " ".join(text.lower().split())
            if any(f"table if not exists {name}" in lowered for name in POSTGRES_ONLY_TABLES):
                wanted.append(text)
    return wanted


def _is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("select current_database()").fetchone()[0] == LAKE_ALIAS


def _is_conflict(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "conflict" in text or "concurrent" in text


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet recorded in core.schema_migrations; return their versions."""
    lake = _is_lake(con)
    for attempt in range(LAKE_SCHEMA_RETRIES if lake else 1):
        try:
            return _migrate_once(con, lake)
        except (duckdb.TransactionException, duckdb.CatalogException) as error:
            # Another writer migrated the fresh lake first: read what it did and go on.
            if not lake or attempt == LAKE_SCHEMA_RETRIES - 1:
                raise
            logger.info("migrating the lake raced another writer (%s); retrying", str(error).splitlines()[0])
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _migrate_once(con: duckdb.DuckDBPyConnection, lake: bool) -> list[int]:
    ledger = ("create table if not exists core.schema_migrations ("
              " version integer primary key, name varchar not null,"
              " applied_at timestamp not null default current_timestamp)")
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists core")
        for statement in lake_statements(ledger) if lake else [ledger]:
            con.execute(statement)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    done = {row[0] for row in con.execute("select version from core.schema_migrations").fetchall()}
    applied = []
    for version, name, path in migration_files():
        if version in done:
            continue
        logger.info("applying migration %04d_%s", version, name)
        sql = path.read_text(encoding="utf-8")
        con.execute("begin transaction")
        try:
            if lake:
                # A second writer applying the same version at once creates or alters the same
                # tables, which DuckLake refuses to commit twice: it retries from the ledger.
                for statement in lake_statements(sql):
                    con.execute(statement)
            else:
                con.execute(sql)
            con.execute("insert into core.schema_migrations (version, name) values (?, ?)", [version, name])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(version)
    if applied and not lake:
        # Into the file now: DuckDB (1.5) cannot replay a WAL holding `alter table ... add column
        # ... default` on a table with a `default current_timestamp` column (0005 does that to
        # core.sources), so a process killed before its next checkpoint would leave a warehouse
        # that no longer opens.
        con.execute("checkpoint")
    return applied


def view_files() -> list[Path]:
    return sorted(VIEWS_DIR.glob("*.sql"))


def views_fingerprint() -> str:
    digest = sha256()
    for path in view_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the documented views users query, in file-name order (dependencies first)."""
    # One transaction: one commit (and fsync) instead of one per view, which cost a tenth of a
    # second on every writer's connect.
    con.execute("begin transaction")
    try:
        for path in view_files():
            con.execute(path.read_text(encoding="utf-8"))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _create_lake_views(con: duckdb.DuckDBPyConnection) -> None:
    """On a lake the views live in the shared catalog: recreate them only when their files
    changed (a fingerprint kept in core.view_definitions), so writers starting together do not
    all rewrite the catalog, and a writer that loses that race finds the work done."""
    wanted = views_fingerprint()
    for attempt in range(LAKE_SCHEMA_RETRIES):
        stored = con.execute(
            "select fingerprint from core.view_definitions order by created_at desc limit 1").fetchall()
        if stored and stored[0][0] == wanted:
            return
        con.execute("begin transaction")
        try:
            for path in view_files():
                con.execute(path.read_text(encoding="utf-8"))
            con.execute("delete from core.view_definitions")
            con.execute("insert into core.view_definitions (fingerprint, created_at) values (?, now())", [wanted])
            con.execute("commit")
            return
        except (duckdb.TransactionException, duckdb.CatalogException) as error:
            con.execute("rollback")
            if attempt == LAKE_SCHEMA_RETRIES - 1:
                raise
            logger.info("creating the lake's views raced another writer (%s); retrying",
                        str(error).splitlines()[0])
            time.sleep(0.2 * (attempt + 1))


def duckdb_message(error: duckdb.Error) -> str:
    """DuckDB's message on one line: its first paragraph (the LINE/caret drawing is dropped)."""
    paragraph = str(error).strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


def connect(
    target: WarehouseTarget, *, read_only: bool = False, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """Connect to the warehouse (a file, or a lake); a writer migrates it first.

    DuckDB lets one process write a file at a time. When another process holds it, retry for up
    to `wait_seconds`, then raise WarehouseBusyError naming the file. A lake has no such limit.
    """
    target = as_target(target)
    if isinstance(target, LakeLocation):
        return connect_lake(target, read_only=read_only)
    path = target
    if read_only and not path.exists():
        raise WarehouseMissingError(f"no warehouse at {path}: check --workdir, or run `framewatch run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if "newer version of duckdb" in str(error).lower():
                raise WarehouseMissingError(
                    f"{path} was written by a newer DuckDB (2.x) than framewatch's {duckdb.__version__}, "
                    "which the DuckLake extension needs; convert it once with DuckDB 2.x: "
                    f"ATTACH '{path}' AS old (READ_ONLY); ATTACH 'converted.duckdb' AS new "
                    "(STORAGE_VERSION 'v1.5.0'); COPY FROM DATABASE old TO new; "
                    "(docs/scale-out.md, Warehouse)") from None
            if not _is_lock_error(error):
                raise WarehouseMissingError(
                    f"cannot open the warehouse {path}: {duckdb_message(error)}") from error
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(
                    f"the warehouse {path} is in use by another framewatch process "
                    "(DuckDB allows one writer at a time); wait for it to finish, "
                    "or query the read-only snapshot instead"
                ) from error
            time.sleep(0.5)
    # Timestamps in the warehouse are naive and mean UTC; make `now()` and casts agree.
    con.execute("set TimeZone = 'UTC'")
    if read_only and not con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'core'"
            " and table_name = 'schema_migrations'").fetchall()[0][0]:
        con.close()
        raise WarehouseMissingError(f"{path} is a DuckDB file but not a framewatch warehouse "
                                    "(it has no core.schema_migrations table)")
    if not read_only:
        migrate(con)
        create_views(con)
    return con


# --- DuckLake ----------------------------------------------------------------------------------

# The extension wheels name their files after the extension, but DuckDB finds an extension's entry
# point by its canonical name: postgres is `postgres_scanner`. A directory of correctly named links
# to the installed files is what DuckDB's extension directory expects.
_EXTENSIONS = {"ducklake": "ducklake", "postgres": "postgres_scanner"}


def extension_directory() -> Path:
    """A DuckDB extension directory linking to the extensions the PyPI wheels installed."""
    version = duckdb.__version__
    platform = duckdb.execute("pragma platform").fetchone()[0]
    root = Path(tempfile.gettempdir()) / f"framewatch-duckdb-extensions-{os.getuid()}"
    target_dir = root / f"v{version}" / platform
    target_dir.mkdir(parents=True, exist_ok=True)
    for package, canonical in _EXTENSIONS.items():
        spec = importlib.util.find_spec(f"duckdb_extension_{package}")
        if spec is None or spec.origin is None:
            raise WarehouseConfigError(
                f"[warehouse] backend = 'ducklake' needs the package duckdb-extension-{package}=={version} "
                "(pip install it; DuckDB cannot download extensions here)")
        installed = Path(spec.origin).parent / "extensions" / f"v{version}" / f"{package}.duckdb_extension"
        if not installed.exists():
            raise WarehouseConfigError(
                f"[warehouse] backend = 'ducklake': duckdb-extension-{package} is not built for DuckDB "
                f"{version} (no {installed}); install duckdb-extension-{package}=={version}")
        link = target_dir / f"{canonical}.duckdb_extension"
        if not link.exists() or link.resolve() != installed.resolve():
            partial = link.with_name(link.name + f".{os.getpid()}")
            partial.unlink(missing_ok=True)
            partial.symlink_to(installed)
            os.replace(partial, link)
    return root


def check_catalog(dsn: str) -> None:
    """Reach the PostgreSQL catalog once, so a wrong host, port or password is one clear line
    naming the setting (and DuckDB is not left half-attached)."""
    open_catalog(dsn).close()


def open_catalog(dsn: str) -> Any:
    """A psycopg connection to the lake's catalog database; errors name the setting."""
    import psycopg

    if not dsn.strip():
        raise WarehouseConfigError(
            "[warehouse] catalog_dsn is empty: backend 'ducklake' needs the PostgreSQL catalog, "
            "e.g. postgresql://framewatch:PASSWORD@db.internal:5432/framewatch")
    try:
        return psycopg.connect(dsn, connect_timeout=CATALOG_CONNECT_TIMEOUT_SECONDS, autocommit=True)
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        if "password authentication failed" in reason or "no password supplied" in reason:
            problem = "PostgreSQL refused the user name or password"
        elif "does not exist" in reason:
            problem = "the database or role does not exist"
        else:
            problem = "cannot reach PostgreSQL"
        raise WarehouseConfigError(
            f"[warehouse] catalog_dsn ({redact_dsn(dsn)}): {problem}: {_without_password(reason, dsn)[-300:]}") from None
    except psycopg.ProgrammingError as error:
        raise WarehouseConfigError(
            f"[warehouse] catalog_dsn ({redact_dsn(dsn)}) is not a PostgreSQL connection string: {error}") from error


def _without_password(text: str, dsn: str) -> str:
    """DuckDB's errors quote the whole connection string; never show its password."""
    password = urlsplit(dsn).password if "://" in dsn else None
    if password is None:
        found = re.search(r"password\s*=\s*(\S+)", dsn)
        password = found.group(1) if found else None
    text = text.replace(dsn, redact_dsn(dsn))
    return text.replace(password, "***") if password else text


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect_lake(location: LakeLocation, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as `lake` and used by default, so `core.*`
    and the views resolve as in the file. A writer migrates the lake first."""
    data_path = location.data_path
    if not data_path:
        raise WarehouseConfigError("[warehouse] data_path is empty: backend 'ducklake' needs the folder "
                                   "(or object-store URL) where the lake's Parquet files live")
    catalog = open_catalog(location.catalog_dsn)
    try:
        if not read_only:
            # Writers meeting a fresh catalog would race to create DuckLake's own tables, then to
            # migrate: a PostgreSQL advisory lock lets one writer at a time set up (about a second).
            catalog.execute("select pg_advisory_lock(hashtext('framewatch.warehouse.setup'))")
            if "://" not in data_path:
                Path(data_path).mkdir(parents=True, exist_ok=True)
        return _attach_lake(location, read_only)
    finally:
        catalog.close()  # and with it the advisory lock


def _attach_lake(location: LakeLocation, read_only: bool) -> duckdb.DuckDBPyConnection:
    data_path = location.data_path
    con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False,
                                 "extension_directory": str(extension_directory())})
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("load ducklake")
        con.execute("load postgres_scanner")
        # No data inlining: it reserves the column name row_id (a migration uses it), and every
        # write lands in Parquet where any engine reads it (compact small files with
        # `CALL ducklake_merge_adjacent_files('lake')`).
        options = [f"data_path {_sql_string(data_path)}", "data_inlining_row_limit 0"]
        if read_only:
            options.append("read_only")
        try:
            con.execute(f"attach {_sql_string('ducklake:postgres:' + location.catalog_dsn)} "
                        f"as {LAKE_ALIAS} ({', '.join(options)})")
        except duckdb.Error as error:
            reason = _without_password(str(error).splitlines()[0], location.catalog_dsn)
            if read_only and "creating a new ducklake is explicitly disabled" in reason.lower():
                raise WarehouseMissingError(f"{location} holds no framewatch warehouse yet: run a "
                                            "writing stage (framewatch run) against it first") from None
            if "data_path" in reason.lower():
                raise WarehouseConfigError(
                    f"[warehouse] data_path ({data_path}) is not where this lake keeps its files: "
                    f"{reason}") from None
            raise WarehouseConfigError(
                f"[warehouse] catalog_dsn ({redact_dsn(location.catalog_dsn)}): cannot open the DuckLake "
                f"catalog: {reason}") from None
        con.execute(f"use {LAKE_ALIAS}")
        if read_only:
            has_ledger = con.execute(
                "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'core'"
                " and table_name = 'schema_migrations'", [LAKE_ALIAS]).fetchone()[0]
            if not has_ledger:
                raise WarehouseMissingError(f"{location} holds no framewatch warehouse yet: run a "
                                            "writing stage (framewatch run) against it first")
        else:
            migrate(con)
            _create_lake_views(con)
    except BaseException:
        con.close()
        raise
    return con


def backend_of(con: duckdb.DuckDBPyConnection) -> str:
    """'ducklake' or 'duckdb': which backend a connection from `connect` writes."""
    return "ducklake" if _is_lake(con) else "duckdb"


@contextmanager
def warehouse(
    target: WarehouseTarget, *, read_only: bool = False, wait_seconds: float = 0.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is closed (and checkpointed, for writers of a file) on exit."""
    con = connect(target, read_only=read_only, wait_seconds=wait_seconds)
    try:
        yield con
        if not read_only and not _is_lake(con):
            con.execute("checkpoint")
    finally:
        con.close()
