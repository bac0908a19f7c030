"""The Dask client the settings name, and a runner that hands units of work to it.

`[processing] dask_address` names a running scheduler (`tcp://host:8786`, the user's own or the
one `framewatch cluster up` starts); left empty, a local cluster of `local_workers` single-threaded
worker processes is started for the stage and stopped after it. A scheduler that does not answer
is one line naming the setting, raised before the stage opens the warehouse (nothing written).

Dask runs a task again when the worker running it dies; the unit functions are pure (data in,
rows out), so a second run only costs time, and the flow writes each unit's result once (claims
in the warehouse, keyed writes; pipeline/stages/clean.py and frame.py).
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pipeline.errors import ConfigError
from pipeline.settings import ProcessingSettings

logger = logging.getLogger(__name__)

ENGINES = ("local", "dask")
CONNECT_TIMEOUT_SECONDS = 5
# A scheduler without workers would leave the stage waiting for ever.
WORKERS_TIMEOUT_SECONDS = 60
# Units in flight per worker: enough to keep each worker busy while the flow writes results,
# few enough that results waiting to be written stay small.
UNITS_IN_FLIGHT_PER_WORKER = 3

Job = TypeVar("Job")


def check_engine(processing: ProcessingSettings) -> None:
    if processing.engine not in ENGINES:
        raise ConfigError("settings", "processing.engine",
                          f"unknown engine {processing.engine!r} (known: {', '.join(ENGINES)})")
    if processing.unit_size < 1:
        raise ConfigError("settings", "processing.unit_size", f"{processing.unit_size} (at least 1)")
    if processing.local_workers < 1:
        raise ConfigError("settings", "processing.local_workers", f"{processing.local_workers} (at least 1)")


@contextmanager
def dask_client(processing: ProcessingSettings) -> Iterator[Any]:
    """A client of the settings' scheduler, or of a local cluster started (and stopped) here."""
    from distributed import Client, LocalCluster

    check_engine(processing)
    address = processing.dask_address.strip()
    if not address:
        cluster = LocalCluster(n_workers=processing.local_workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        try:
            with Client(cluster, set_as_default=False) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError("settings", "processing.dask_address",
                          f"no Dask scheduler answers at {address} within {CONNECT_TIMEOUT_SECONDS} s "
                          f"({reason})") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_SECONDS)
        except TimeoutError:
            raise ConfigError("settings", "processing.dask_address",
                              f"the Dask scheduler at {address} has no workers "
                              f"(waited {WORKERS_TIMEOUT_SECONDS} s)") from None
        yield client
    finally:
        client.close()


class DaskUnits:
    """Runs a unit function over jobs on a Dask client, yielding results as they complete."""

    def __init__(self, client: Any, stage: str) -> None:
        self.client = client
        self.stage = stage

    def run(self, function: Callable[..., Any], jobs: Iterable[tuple[Job, tuple]]) -> Iterator[tuple[Job, Any]]:
        """`jobs`: (unit, the function's arguments) pairs, drawn only as room frees up (a job's
        arguments may be built when it is drawn). Yields (unit, result); the first failed unit
        raises (after the rest are cancelled)."""
        from distributed import as_completed

        workers = max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
        window = UNITS_IN_FLIGHT_PER_WORKER * workers
        pending = iter(jobs)
        run_token = uuid.uuid4().hex[:8]
        numbers = itertools.count()
        units: dict[Any, Job] = {}
        completed = as_completed(loop=self.client.loop)

        def submit_next() -> bool:
            job = next(pending, None)
            if job is None:
                return False
            unit, arguments = job
            future = self.client.submit(function, *arguments, pure=False,
                                        key=f"{self.stage}-{run_token}-{next(numbers)}")
            units[future] = unit
            completed.add(future)
            return True

        for _ in range(window):
            if not submit_next():
                break
        try:
            for future in completed:
                result = future.result()
                unit = units.pop(future)
                future.release()
                submit_next()
                yield unit, result
        finally:
            for future in list(units):
                future.cancel()
