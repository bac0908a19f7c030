"""Start and stop a local Dask cluster: one `dask scheduler` and `dask worker` processes.

The scheduler listens on 127.0.0.1 on a free port (no dashboard: it would need bokeh and a
second port); the workers are single-threaded processes (`--nthreads 1`), each of which loads
the framing model once. A production cluster is the user's own scheduler, named by its address
(`tcp://host:8786`) in the settings the Dask processing reads (docs/scale-out.md).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.cluster.processes import (
    ClusterError,
    free_port,
    load_state,
    pid_alive,
    save_state,
    spawn,
    stop_pid,
    wait_until,
)

logger = logging.getLogger(__name__)

STATE_FILE = "dask.json"


@dataclass(frozen=True)
class DaskCluster:
    """A scheduler and its worker processes this machine started."""

    scheduler_pid: int
    worker_pids: tuple[int, ...]
    host: str
    port: int
    workers: int
    state_dir: str

    @property
    def address(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return pid_alive(self.scheduler_pid)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _worker_count(address: str) -> int:
    from distributed import Client

    try:
        with Client(address, timeout=5) as client:
            return len(client.scheduler_info(n_workers=-1)["workers"])
    except OSError:
        return 0


def start_dask(state_dir: str | Path, *, workers: int = 2, threads: int = 1,
               host: str = "127.0.0.1", timeout: float = 120.0) -> DaskCluster:
    """Start a scheduler and `workers` worker processes; wait until all workers registered."""
    if workers < 1:
        raise ClusterError(f"dask workers: {workers} (at least 1)")
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    port = free_port(host)
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Workers import framewatch's stages: the repository must be importable where they run.
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    scheduler_log = state / "scheduler.log"
    scheduler = spawn([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", host,
                       "--port", str(port), "--no-dashboard", "--no-show"],
                      env=env, log=scheduler_log)
    try:
        wait_until(lambda: _listening(host, port), timeout=timeout,
                   what=f"dask scheduler on {host}:{port}",
                   alive=lambda: scheduler.poll() is None, log=scheduler_log)
    except ClusterError:
        stop_pid(scheduler.pid, expect="dask_scheduler")
        raise
    address = f"tcp://{host}:{port}"
    worker_log = state / "workers.log"
    worker_procs = [spawn([sys.executable, "-m", "distributed.cli.dask_worker", address,
                           "--nworkers", "1", "--nthreads", str(threads), "--host", host,
                           "--no-dashboard", "--name", f"framewatch-{index}",
                           "--local-directory", str(state / f"worker-{index}")],
                          env=env, log=worker_log)
                    for index in range(workers)]
    cluster = DaskCluster(scheduler.pid, tuple(p.pid for p in worker_procs), host, port, workers,
                          str(state))
    try:
        wait_until(lambda: _worker_count(address) >= workers, timeout=timeout,
                   what=f"{workers} dask workers of {address}",
                   alive=lambda: all(p.poll() is None for p in worker_procs), log=worker_log)
    except ClusterError:
        _stop(cluster)
        raise
    save_state(state / STATE_FILE, asdict(cluster))
    logger.info("dask scheduler %s with %d workers", address, workers)
    return cluster


def cluster_in(state_dir: str | Path) -> DaskCluster | None:
    """The cluster `start_dask` started in this folder, if its state file is there."""
    fields = load_state(Path(state_dir) / STATE_FILE)
    if fields is None:
        return None
    fields["worker_pids"] = tuple(fields["worker_pids"])
    return DaskCluster(**fields)


def _stop(cluster: DaskCluster) -> bool:
    # Workers first: a worker whose scheduler vanished keeps retrying for a while.
    stopped = [stop_pid(pid, expect="dask_worker") for pid in cluster.worker_pids]
    stopped.append(stop_pid(cluster.scheduler_pid, expect="dask_scheduler"))
    return any(stopped)


def stop_dask(state_dir: str | Path) -> bool:
    """Stop the cluster started in this folder; True if any of its processes was running."""
    cluster = cluster_in(state_dir)
    if cluster is None:
        return False
    stopped = _stop(cluster)
    (Path(state_dir) / STATE_FILE).unlink(missing_ok=True)
    return stopped
