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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import FramewatchError
from warehouse.queries import named_queries
from warehouse.snapshot import open_for_reading

logger = logging.getLogger(__name__)

# The views a researcher works with, in the order they are documented (docs/warehouse.md).
EXPORT_VIEWS: tuple[str, ...] = (
    "articles", "article_frames", "frame_evidence", "weekly_frame_share", "sources",
    "crawl_runs", "fetch_log",
)
FORMATS = ("parquet", "csv")
PARTITION_COLUMN = "week"
MANIFEST = "manifest.json"
UNDATED = "undated"


class ExportError(FramewatchError):
    """An export was asked for something that cannot be done (unknown view or format)."""


@dataclass(frozen=True)
class ExportedView:
    """Where one view went and what it held."""

    view: str
    path: str  # a folder of week=YYYY-Www/ partitions, or one .parquet/.csv file
    rows: int  # all rows of the view, undated ones included
    partitioned_by: str | None
    files: int  # files under `path`
    undated_path: str | None = None  # partitioned views: the rows whose week is NULL
    undated_rows: int = 0


@dataclass(frozen=True)
class ExportResult:
    """What `export_views` wrote."""

    out_dir: str
    format: str
    source: str  # the database file read
    from_snapshot: bool
    exported_at: str
    views: tuple[ExportedView, ...]


# The per-view SQL here stays inline: it names the view (an identifier, checked against
# user_views first), which a named query could not take as a parameter.
def _columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    return [row[0] for row in con.execute(f'describe "{view}"').fetchall()]


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, options: str) -> None:
    con.execute(f"copy ({query}) to {_quote_path(target)} ({options})")


def _export_view(con: duckdb.DuckDBPyConnection, view: str, fmt: str,
                 out_dir: Path) -> ExportedView:
    """Write one view under `out_dir` (staged, then swapped in); return what was written."""
    columns = _columns(con, view)
    rows = con.execute(f'select count(*) from "{view}"').fetchone()[0]
    everything = f'select * from "{view}"'
    if fmt == "csv":
        final = out_dir / f"{view}.csv"
        _write_swapped(final, lambda staged: _copy(con, everything, staged, "format csv, header"))
        return ExportedView(view, str(final), rows, None, 1, None, 0)
    parquet = "format parquet, compression zstd"
    if PARTITION_COLUMN not in columns:
        final = out_dir / f"{view}.parquet"
        _write_swapped(final, lambda staged: _copy(con, everything, staged, parquet))
        return ExportedView(view, str(final), rows, None, 1, None, 0)
    final = out_dir / view

    def write_partitions(staged: Path) -> None:
        _copy(con, f"{everything} where {PARTITION_COLUMN} is not null", staged,
              f"{parquet}, partition_by ({PARTITION_COLUMN}), filename_pattern 'part_{{i}}'")
        staged.mkdir(parents=True, exist_ok=True)  # DuckDB writes no folder for no rows

    _write_swapped(final, write_partitions)
    files = sum(1 for _ in final.rglob("*.parquet"))
    # Rows without a week (no publication date) get a file of their own: a NULL partition
    # (week=__HIVE_DEFAULT_PARTITION__) breaks pyarrow's and so pandas' reading of the folder.
    undated_rows = con.execute(
        f'select count(*) from "{view}" where {PARTITION_COLUMN} is null').fetchone()[0]
    undated = out_dir / f"{view}.{UNDATED}.parquet"
    if undated_rows:
        _write_swapped(undated, lambda staged: _copy(
            con, f"{everything} where {PARTITION_COLUMN} is null", staged, parquet))
    elif undated.exists():
        undated.unlink()
    return ExportedView(view, str(final), rows, PARTITION_COLUMN, files,
                        str(undated) if undated_rows else None, undated_rows)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _write_swapped(final: Path, write: Callable[[Path], None]) -> None:
    """Write into a staging path, then replace `final` by it; the old one goes only after."""
    staged = final.with_name(f".{final.name}.partial")
    old = final.with_name(f".{final.name}.old")
    _remove(staged)
    _remove(old)
    write(staged)
    if final.exists():
        os.replace(final, old)
    os.replace(staged, final)
    _remove(old)


def export_views(db_path: str | Path, out_dir: str | Path, fmt: str = "parquet",
                 views: Sequence[str] | None = None) -> ExportResult:
    """Export `views` (default: EXPORT_VIEWS) of the warehouse at `db_path` into `out_dir`.

    Parquet: a view with a `week` column becomes a folder `out_dir/<view>/week=YYYY-Www/part_0.parquet`
    (hive partitioning), and its rows without a week (no publication date), if any, go to
    `out_dir/<view>.undated.parquet`; other views become `out_dir/<view>.parquet`. CSV: one `out_dir/<view>.csv` per view, with a header.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    wanted = tuple(views) if views else EXPORT_VIEWS
    out_dir = Path(out_dir)
    # Open and check first: a missing warehouse or a wrong view must leave no empty folder behind.
    con, source, from_snapshot = open_for_reading(db_path)
    try:
        known = {row[0] for row in con.execute(named_queries("export")["user_views"]).fetchall()}
        unknown = [view for view in wanted if view not in known]
        if unknown:
            raise ExportError(f"no such view in {source}: {', '.join(unknown)} "
                              f"(views: {', '.join(sorted(known))})")
        out_dir.mkdir(parents=True, exist_ok=True)
        exported = []
        for view in wanted:
            written = _export_view(con, view, fmt, out_dir)
            exported.append(written)
            logger.info("exported %s: %d rows to %s", view, written.rows, written.path)
    finally:
        con.close()
    result = ExportResult(out_dir=str(out_dir), format=fmt, source=str(source),
                          from_snapshot=from_snapshot,
                          exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
                          views=tuple(exported))
    (out_dir / MANIFEST).write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return result
