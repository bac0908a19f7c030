"""Claim units of work in the shared warehouse, so each unit is processed once.

A distributed stage splits its input into units (a batch of page URLs or article ids, named by a
stable `unit_id`). A worker claims units before it works on them, writes its results with keyed,
idempotent writes (warehouse/writes.py), then marks the units complete. A scheduler may run a task
again (a worker died, Dask retried it): the new attempt finds the unit complete and skips it, or
held by a live lease and leaves it, or held by a lease that ran out and takes it over.

    claims = WorkClaims(settings.warehouse_target)
    mine = claims.claim("frame", unit_ids, owner=worker_id, lease_seconds=600)
    for unit in mine:
        ...process, write idempotently...
        claims.complete("frame", [unit], owner=worker_id)
    claims.close()

Where the claims live: in the single DuckDB file, `core.work_claims` (one writing process, so a
claim is trivially exclusive); on a DuckLake, the same table in the catalog's PostgreSQL, whose
primary key makes two workers' simultaneous claims of one unit exclusive (DuckLake itself has no
keys, and two concurrent inserts of one key would both commit). The statements are the named
queries of warehouse/queries/claims.sql on both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.db import (
    LakeLocation,
    WarehouseTarget,
    as_target,
    check_catalog,
    connect,
    postgres_statements,
)
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimSummary:
    completed: int  # units done
    held: int  # units held under a live lease
    expired: int  # units held under a lease that ran out (a worker died): claimable again
    takeovers: int  # times a unit was taken over after its lease ran out


@dataclass(frozen=True)
class UnitClaim:
    unit_id: str
    owner: str  # who holds it, or finished it
    attempts: int  # 1 + times it was taken over after a lease ran out
    completed: bool


class WorkClaims:
    """Claims of units of work in one warehouse (a file, or a lake's catalog)."""

    def __init__(self, target: WarehouseTarget, *, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        """`connection`: an open writer connection to the file warehouse to reuse (the single
        file allows one writing process, so a stage that holds one must claim through it)."""
        self.target = as_target(target)
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._pg: Any = None
        self._owns_connection = connection is None
        if isinstance(self.target, LakeLocation):
            self._pg = _postgres(self.target.catalog_dsn)
        else:
            self._duck = connection if connection is not None else connect(self.target)

    # --- the API ---------------------------------------------------------------------------

    def claim(self, stage: str, unit_ids: Iterable[str], owner: str, lease_seconds: float) -> list[str]:
        """Claim `unit_ids` for `owner`; returns the ids it now holds (others are done or held)."""
        ids = sorted(set(unit_ids))
        if not ids:
            return []
        got = self._run("claim", [stage, ids, owner, round(lease_seconds)])
        return sorted(row[0] for row in got)

    def complete(self, stage: str, unit_ids: Iterable[str], owner: str) -> list[str]:
        """Mark units `owner` holds as done; returns the ids marked (a lost lease marks none)."""
        return sorted(row[0] for row in self._run("complete", [stage, sorted(set(unit_ids)), owner]))

    def release(self, stage: str, unit_ids: Iterable[str], owner: str) -> list[str]:
        """Give back units `owner` holds unfinished (it failed on them), for another to claim."""
        return sorted(row[0] for row in self._run("release", [stage, sorted(set(unit_ids)), owner]))

    def reclaim_expired(self, stage: str) -> list[str]:
        """Free every unfinished unit of `stage` whose lease ran out; returns their ids."""
        return sorted(row[0] for row in self._run("reclaim_expired", [stage]))

    def completed(self, stage: str, unit_ids: Iterable[str]) -> set[str]:
        return {row[0] for row in self._run("completed_units", [stage, sorted(set(unit_ids))])}

    def units(self, stage: str) -> list[UnitClaim]:
        """Every claimed unit of `stage`, by id (read it on either backend; on a lake the
        claims are not in the DuckDB connection's `core` schema but in PostgreSQL)."""
        return [UnitClaim(unit_id, owner, int(attempts), bool(completed))
                for unit_id, owner, attempts, completed in self._run("stage_units", [stage])]

    def summary(self, stage: str) -> ClaimSummary:
        return ClaimSummary(*(int(value) for value in self._run("stage_summary", [stage])[0]))

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
        if self._duck is not None and self._owns_connection:
            self._duck.close()

    def __enter__(self) -> WorkClaims:  # noqa: PYI034 (Self needs 3.11 typing; same thing)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one statement, on either backend -----------------------------------------------------

    def _run(self, name: str, params: list[Any]) -> list[tuple]:
        sql = named_queries("claims")[name]
        if self._pg is not None:
            # psycopg's placeholders; the queries hold no other `?` and no `%`.
            with self._pg.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall()
        return self._duck.execute(sql, params).fetchall()


def _postgres(dsn: str) -> Any:
    """An autocommit connection to the lake's catalog database, with core.work_claims there."""
    import psycopg

    check_catalog(dsn)
    pg = psycopg.connect(dsn, autocommit=True, options="-c TimeZone=UTC")
    try:
        with pg.transaction():
            # Two workers creating the table at once: the advisory lock lets one do it.
            pg.execute("select pg_advisory_xact_lock(hashtext('framewatch.work_claims'))")
            for statement in postgres_statements():
                pg.execute(statement)
    except BaseException:
        pg.close()
        raise
    return pg
