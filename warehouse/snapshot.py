"""A read-only copy of the warehouse, refreshed after each run, for users to query meanwhile.

DuckDB lets one process write a file and no other process open it while it does. Readers use
the snapshot instead: a checkpointed copy written beside the database and swapped in atomically,
so a reader never sees a half-written file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from warehouse.db import warehouse


def snapshot_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".snapshot" + db_path.suffix)


def publish_snapshot(db_path: str | Path) -> Path:
    """Checkpoint the warehouse and copy it to the snapshot path (atomic replace)."""
    db_path = Path(db_path)
    with warehouse(db_path) as con:
        con.execute("checkpoint")
    target = snapshot_path(db_path)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(db_path, partial)
    os.replace(partial, target)
    return target
