"""Read what a report needs from the documented warehouse views, for a window of ISO weeks.

Every query here selects from a view a user can query too (see warehouse/views/), filtered to
the report's window and fully ordered, so the same data always loads in the same order. The
same SQL writes the Parquet snapshot, so the snapshot holds exactly the rows the report used.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

logger = logging.getLogger(__name__)

EVIDENCE_RANKS = 2  # passages kept per (article, frame): enough to show why a frame was given


@dataclass(frozen=True)
class Query:
    """A named, parameterised SELECT over the views; `snapshot` marks the row-level inputs."""

    name: str
    sql: str
    snapshot: bool = False


def _window_queries() -> list[Query]:
    # Parameters, in order: first week, last week (both inclusive), the report week.
    return [
        Query(
            "weekly_frame_share",
            """
            select week, frame_id, frame_label, n_articles, n_with_frame, share, n_primary,
                   primary_share, n_articles_all, n_with_frame_all
            from weekly_frame_share
            where week between $first and $last
            order by week, frame_id""",
        ),
        Query(
            "weekly_attention",
            """
            select * from report_weekly_attention
            where week between $first and $last
            order by week""",
        ),
        Query(
            "share_by_source",
            """
            select * from report_frame_share_by_source
            where week between $first and $last
            order by week, source_id, frame_id""",
        ),
        Query(
            "share_by_country",
            """
            select * from report_frame_share_by_country
            where week between $first and $last
            order by week, country, frame_id""",
        ),
        Query(
            "cooccurrence",
            """
            select * from report_frame_cooccurrence
            where week between $first and $last
            order by week, frame_a, frame_b""",
        ),
        Query(
            "label_versions",
            """
            select * from report_label_versions
            where week between $first and $last
            order by week, label_version""",
        ),
        Query(
            "frames",
            """
            select label_version, codebook_id, codebook_version, label_version_created_at,
                   frame_id, label, definition, position
            from report_frames
            order by label_version_created_at, label_version, position, frame_id""",
        ),
        Query(
            "source_health",
            """
            select s.source_id, s.name as outlet, s.country, s.kind,
                   h.n_runs, h.urls_seen, h.articles_fetched, h.urls_unchanged,
                   h.urls_blocked, h.urls_failed, h.health
            from sources as s
            left join report_source_health_weekly as h
                on h.source_id = s.source_id and h.week = $week
            order by s.source_id""",
        ),
        Query(
            "crawl_runs",
            """
            select run_id, started_at, finished_at, status, urls_seen, urls_failed, urls_blocked
            from crawl_runs
            where strftime(started_at, '%G-W%V') = $week
            order by started_at, run_id""",
        ),
        Query(
            "article_frames",
            """
            select article_id, week, source_id, outlet, country, is_duplicate, frame_id,
                   score, present, is_primary, label_version
            from article_frames
            where week between $first and $last
            order by week, article_id, frame_id""",
            snapshot=True,
        ),
        Query(
            "articles",
            """
            select article_id, week, published_at, source_id, outlet, country, source_kind,
                   canonical_url, title, in_scope, relevance_score, is_duplicate,
                   duplicate_of, duplicate_kind, wire_credit
            from articles
            where week between $first and $last
            order by week, article_id""",
            snapshot=True,
        ),
        Query(
            "frame_evidence",
            f"""
            select article_id, frame_id, rank, passage_idx, passage_kind, passage, score,
                   week, outlet, title, canonical_url, is_duplicate, label_version
            from frame_evidence
            where week between $first and $last and rank <= {EVIDENCE_RANKS}
            order by week, article_id, frame_id, rank""",
            snapshot=True,
        ),
        Query(
            "emerging",
            """
            select cluster_id, first_seen_week, last_seen_week, keywords, cluster_size, week,
                   article_id, passage_idx, similarity, passage, outlet, title, canonical_url
            from report_emerging
            where week between $first and $last
            order by cluster_id, week, article_id, passage_idx""",
            snapshot=True,
        ),
        Query(
            "fetch_health",
            """
            select week, source_id, outlet, country, n_runs, urls_seen, articles_fetched,
                   urls_unchanged, urls_blocked, urls_failed, health
            from report_source_health_weekly
            where week = $week
            order by source_id""",
            snapshot=True,
        ),
    ]


QUERIES: tuple[Query, ...] = tuple(_window_queries())


@dataclass(frozen=True)
class ReportData:
    """The report's inputs: one DataFrame per query, keyed by query name."""

    first_week: str
    last_week: str
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def _params(first_week: str, last_week: str, sql: str) -> dict[str, str]:
    values = {"first": first_week, "last": last_week, "week": last_week}
    return {key: value for key, value in values.items() if f"${key}" in sql}


def load_report_data(con: duckdb.DuckDBPyConnection, first_week: str, last_week: str) -> ReportData:
    """Run every report query for the window [first_week, last_week]."""
    frames = {}
    for query in QUERIES:
        frames[query.name] = con.execute(query.sql, _params(first_week, last_week, query.sql)).df()
        logger.debug("loaded %s: %d rows", query.name, len(frames[query.name]))
    return ReportData(first_week, last_week, frames)


def _canonical(value: object) -> object:
    if isinstance(value, float) and value != value:  # nan
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
