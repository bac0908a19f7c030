"""Read what a report needs from the documented warehouse views, for a window of ISO weeks.

Every query (warehouse/queries/report.sql) selects from a view a user can query too (see
warehouse/views/), filtered to the report's window and fully ordered, so the same data always
loads in the same order. The same SQL writes the Parquet snapshot, so the snapshot holds exactly
the rows the report used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

EVIDENCE_RANKS = 2  # passages kept per (article, frame): enough to show why a frame was given


@dataclass(frozen=True)
class Query:
    """A named, parameterised SELECT over the views; `snapshot` marks the row-level inputs."""

    name: str
    sql: str
    snapshot: bool = False


# The row-level inputs of the report: written to the Parquet snapshot and hashed in the manifest.
SNAPSHOT_QUERIES = frozenset(
    {"article_frames", "articles", "frame_evidence", "emerging", "fetch_health"}
)


def _report_queries() -> tuple[Query, ...]:
    """The queries of warehouse/queries/report.sql, in the file's order."""
    queries = named_queries("report")
    missing = sorted(SNAPSHOT_QUERIES - queries.keys())
    if missing:
        raise RuntimeError(f"warehouse/queries/report.sql has no query {', '.join(missing)}")
    return tuple(
        Query(name, sql, snapshot=name in SNAPSHOT_QUERIES) for name, sql in queries.items()
    )


QUERIES: tuple[Query, ...] = _report_queries()


@dataclass(frozen=True)
class ReportData:
    """The report's inputs: one DataFrame per query, keyed by query name."""

    first_week: str
    last_week: str
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def _params(first_week: str, last_week: str, sql: str) -> dict[str, str | int]:
    values = {
        "first": first_week,
        "last": last_week,
        "week": last_week,
        "evidence_ranks": EVIDENCE_RANKS,
    }
    return {key: value for key, value in values.items() if f"${key}" in sql}


def load_report_data(con: duckdb.DuckDBPyConnection, first_week: str, last_week: str) -> ReportData:
    """Run every report query for the window [first_week, last_week]."""
    frames = {}
    for query in QUERIES:
        frames[query.name] = con.execute(query.sql, _params(first_week, last_week, query.sql)).df()
        logger.debug("loaded %s: %d rows", query.name, len(frames[query.name]))
    return ReportData(first_week, last_week, frames)


def _canonical(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def input_row_hashes(
    con: duckdb.DuckDBPyConnection, first_week: str, last_week: str
) -> dict[str, dict[str, object]]:
    """For each snapshot query: its row count and a sha256 over its rows in query order."""
    hashes = {}
    for query in QUERIES:
        if not query.snapshot:
            continue
        digest = hashlib.sha256()
        rows = con.execute(query.sql, _params(first_week, last_week, query.sql)).fetchall()
        for row in rows:
            line = json.dumps([_canonical(v) for v in row], default=str, ensure_ascii=False)
            digest.update(line.encode("utf-8") + b"\n")
        hashes[query.name] = {"rows": len(rows), "sha256": digest.hexdigest()}
    return hashes


def write_snapshot(
    con: duckdb.DuckDBPyConnection, first_week: str, last_week: str, folder: Path
) -> list[Path]:
    """COPY the row-level inputs of the report to Parquet files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for query in QUERIES:
        if not query.snapshot:
            continue
        target = folder / f"{query.name}.parquet"
        sql = f"copy ({query.sql}) to '{_sql_string(target)}' (format parquet)"
        con.execute(sql, _params(first_week, last_week, query.sql))
        written.append(target)
    return written


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")
