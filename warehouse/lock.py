"""One framewatch process writes a warehouse at a time: a lock file beside the database.

DuckDB itself refuses a second writing process, but only when it opens the file; a pipeline
opens and closes the warehouse between stages (the crawl runs in a subprocess), so runs take
this lock for their whole length and a second run waits or is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.errors import WarehouseBusyError


def lock_path(db_path: str | Path) -> Path:
    return Path(str(db_path) + ".lock")


@contextmanager
def writer_lock(db_path: str | Path, wait_seconds: float) -> Iterator[None]:
    """Hold the warehouse's writer lock, waiting up to `wait_seconds` for another run to finish."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=wait_seconds)
    try:
        lock.acquire()
    except Timeout as error:
        raise WarehouseBusyError(
            f"another framewatch run is writing {db_path} (lock {path}); "
            f"waited {wait_seconds:.0f}s. Try again when it has finished."
        ) from error
    try:
        yield
    finally:
        lock.release()
