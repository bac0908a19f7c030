"""Emerging-framings stage: cluster this window's unclaimed passages, keep cluster ids stable."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import duckdb
import numpy as np

from pipeline.framing.emerging import KnownCluster, PassageRef, find_emerging
from pipeline.report.weeks import shift_week
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

WINDOW_WEEKS = 12


def update_emerging(
    con: duckdb.DuckDBPyConnection, model_id: str, current_week: str, *, label_version: str | None = None,
    window_weeks: int = WINDOW_WEEKS,
) -> int:
    """Recompute the clusters of the window ending with `current_week`; return how many."""
    queries = named_queries("emerging")
    first_week = shift_week(current_week, -(window_weeks - 1))
    rows = con.execute(queries["unclaimed_passages"], [model_id, first_week, current_week]).fetchall()
    refs = [PassageRef(r[0], int(r[1]), r[2], r[3]) for r in rows]
    vectors = np.asarray([r[4] for r in rows], dtype=np.float32) if rows else np.zeros((0, 0))
    known = [KnownCluster(r[0], np.asarray(r[1], dtype=np.float32), r[2])
             for r in con.execute(queries["known_clusters"], [model_id]).fetchall()]
    outlets = [name for row in con.execute(queries["outlet_names"]).fetchall() for name in row]
    clusters = find_emerging(refs, vectors, current_week=current_week, known=known, outlets=outlets)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute("begin transaction")
    try:
        # Members are this window's; stored clusters absent now stay, for identity across runs.
        con.execute(queries["clear_members"])
        for cluster in clusters:
            con.execute(
                queries["upsert_cluster"],
                [cluster.cluster_id, cluster.first_seen_week, cluster.last_seen_week, cluster.keywords,
                 cluster.centroid.tolist(), cluster.size, label_version, now, model_id],
            )
            con.executemany(
                queries["insert_member"],
                [[cluster.cluster_id, ref.article_id, ref.passage_idx, ref.week, similarity]
                 for ref, similarity in cluster.members],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    logger.info("%d emerging clusters from %d unclaimed passages", len(clusters), len(refs))
    return len(clusters)
