"""Export the user views to Parquet (partitioned by ISO week) or CSV, for pandas, R, Arrow or Spark.

The warehouse is opened read-only; when a pipeline run holds it for writing, the export reads
the snapshot that the last run published instead (and says so in the manifest). Each view is
written to a temporary folder first and then swapped in, so a re-export never leaves files of
an earlier export behind (a week that vanished, a partition file of another size) and a reader
never sees half a view. `manifest.json` beside the views records what was exported, from where,
when, and how many rows each view has.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import FramewatchError, WarehouseBusyError
from warehouse.db import connect
from warehouse.snapshot import snapshot_path

logger = logging.getLogger(__name__)

# The views a researcher works with, in the order they are documented (docs/warehouse.md).
EXPORT_VIEWS: tuple[str, ...] = (
    "articles", "article_frames", "frame_evidence", "weekly_frame_share", "sources",
    "crawl_runs", "fetch_log",
)
FORMATS = ("parquet", "csv")
PARTITION_COLUMN = "week"
MANIFEST = "manifest.json"


class ExportError(FramewatchError):
    """An export was asked for something that cannot be done (unknown view or format)."""


@dataclass(frozen=True)
class ExportedView:
    """Where one view went and what it held."""

    view: str
    path: str  # a folder of week=YYYY-Www/ partitions, or one .parquet/.csv file
    rows: int
    partitioned_by: str | None
    files: int


@dataclass(frozen=True)
class ExportResult:
    """What `export_views` wrote."""

    out_dir: str
    format: str
    source: str  # the database file read
    from_snapshot: bool
    exported_at: str
    views: tuple[ExportedView, ...]


def open_for_reading(db_path: str | Path) -> tuple[duckdb.DuckDBPyConnection, Path, bool]:
    """A read-only connection to the warehouse, or to its snapshot while a writer holds it.

    Returns (connection, the file opened, whether it is the snapshot).
    """
    db_path = Path(db_path)
    try:
        return connect(db_path, read_only=True), db_path, False
    except (WarehouseBusyError, duckdb.IOException) as error:
        if isinstance(error, duckdb.IOException) and "lock" not in str(error).lower():
            raise
        snapshot = snapshot_path(db_path)
        if not snapshot.exists():
            raise WarehouseBusyError(
                f"{db_path} is being written by a framewatch run and no snapshot exists yet "
                f"({snapshot}); export again when the run has finished") from error
        logger.warning("%s is being written; exporting the snapshot %s", db_path, snapshot)
        return connect(snapshot, read_only=True), snapshot, True


def _columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    return [row[0] for row in con.execute(f'describe "{view}"').fetchall()]


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy_view(con: duckdb.DuckDBPyConnection, view: str, fmt: str, target: Path) -> ExportedView:
    """COPY one view into `target` (a fresh path); return what was written."""
    columns = _columns(con, view)
    rows = con.execute(f'select count(*) from "{view}"').fetchone()[0]
    partitioned = fmt == "parquet" and PARTITION_COLUMN in columns
    if partitioned:
        options = (f"format parquet, compression zstd, partition_by ({PARTITION_COLUMN}), "
                   "filename_pattern 'part_{i}'")
        con.execute(f'copy (select * from "{view}") to {_quote_path(target)} ({options})')
        files = sum(1 for _ in target.rglob("*.parquet"))
        if rows == 0:  # DuckDB writes no folder for an empty partitioned result
            target.mkdir(parents=True, exist_ok=True)
    elif fmt == "parquet":
        con.execute(f'copy (select * from "{view}") to {_quote_path(target)} '
                    "(format parquet, compression zstd)")
        files = 1
    else:
        con.execute(f'copy (select * from "{view}") to {_quote_path(target)} (format csv, header)')
        files = 1
    return ExportedView(view=view, path=str(target), rows=rows,
                        partitioned_by=PARTITION_COLUMN if partitioned else None, files=files)


def _final_name(view: str, fmt: str, columns: Sequence[str]) -> str:
    if fmt == "parquet" and PARTITION_COLUMN in columns:
        return view
    return f"{view}.{fmt}"


def _swap_in(staged: Path, final: Path) -> None:
    """Replace `final` by `staged`; the old export is removed only after the new one is there."""
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    if final.exists():
        os.replace(final, old)
    os.replace(staged, final)
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def export_views(db_path: str | Path, out_dir: str | Path, fmt: str = "parquet",
                 views: Sequence[str] | None = None) -> ExportResult:
    """Export `views` (default: EXPORT_VIEWS) of the warehouse at `db_path` into `out_dir`.

    Parquet: a view with a `week` column becomes a folder `out_dir/<view>/week=YYYY-Www/part_0.parquet`
    (hive partitioning; rows without a week go to `week=NULL`); other views become
    `out_dir/<view>.parquet`. CSV: one `out_dir/<view>.csv` per view, with a header.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    wanted = tuple(views) if views else EXPORT_VIEWS
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con, source, from_snapshot = open_for_reading(db_path)
    try:
        known = {row[0] for row in con.execute(
            "select view_name from duckdb_views() where schema_name = 'main' and not internal"
        ).fetchall()}
        unknown = [view for view in wanted if view not in known]
        if unknown:
            raise ExportError(f"no such view in {source}: {', '.join(unknown)} "
                              f"(views: {', '.join(sorted(known))})")
        exported = []
        for view in wanted:
            final = out_dir / _final_name(view, fmt, _columns(con, view))
            staged = final.with_name(f".{final.name}.partial")
            if staged.exists():
                shutil.rmtree(staged) if staged.is_dir() else staged.unlink()
            written = _copy_view(con, view, fmt, staged)
            _swap_in(staged, final)
            exported.append(ExportedView(view=view, path=str(final), rows=written.rows,
                                         partitioned_by=written.partitioned_by, files=written.files))
            logger.info("exported %s: %d rows to %s", view, written.rows, final)
    finally:
        con.close()
    result = ExportResult(out_dir=str(out_dir), format=fmt, source=str(source),
                          from_snapshot=from_snapshot,
                          exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
                          views=tuple(exported))
    (out_dir / MANIFEST).write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return result
