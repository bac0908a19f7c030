"""A read-only copy of the warehouse, refreshed after each run, for users to query meanwhile.

DuckDB lets one process write a file and no other process open it while it does. Readers use
the snapshot instead: a checkpointed copy written beside the database and swapped in atomically,
so a reader never sees a half-written file.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

from pipeline.errors import WarehouseBusyError
from warehouse.db import LakeLocation, WarehouseTarget, as_target, connect, warehouse

logger = logging.getLogger(__name__)


def snapshot_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".snapshot" + db_path.suffix)


def publish_snapshot(db_path: WarehouseTarget) -> Path | None:
    """Checkpoint the warehouse and copy it to the snapshot path (atomic replace).

    A lake has no snapshot file (None): readers read it while writers write, each query seeing
    the last committed state.
    """
    target = as_target(db_path)
    if isinstance(target, LakeLocation):
        return None
    db_path = target
    with warehouse(db_path) as con:
        con.execute("checkpoint")
    target = snapshot_path(db_path)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(db_path, partial)
    os.replace(partial, target)
    return target


def open_for_reading(
    db_path: WarehouseTarget,
) -> tuple[duckdb.DuckDBPyConnection, Path | LakeLocation, bool]:
    """A read-only connection to the warehouse, or to its snapshot while a writer holds it.

    Returns (connection, the file or lake opened, whether it is the snapshot). A lake is read
    directly, writers or not.
    """
    target = as_target(db_path)
    if isinstance(target, LakeLocation):
        return connect(target, read_only=True), target, False
    db_path = target
    try:
        return connect(db_path, read_only=True), db_path, False
    except (WarehouseBusyError, duckdb.IOException) as error:
        if isinstance(error, duckdb.IOException) and "lock" not in str(error).lower():
            raise
        snapshot = snapshot_path(db_path)
        if not snapshot.exists():
            raise WarehouseBusyError(
                f"{db_path} is being written by a framewatch run and no snapshot exists yet "
                f"({snapshot}); try again when the run has finished") from error
        # info, not warning: each command tells the user itself, once.
        logger.info("%s is being written; reading the snapshot %s", db_path, snapshot)
        return connect(snapshot, read_only=True), snapshot, True
