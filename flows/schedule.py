"""Serve the pipeline flows as Prefect deployments on cron schedules (`framewatch schedule`).

Schedules only fire on a real Prefect server: the temporary server that a plain flow call starts
does not run them. `prefect_api()` uses the server named by PREFECT_API_URL, or starts a local
one on 127.0.0.1 (`prefect server start` in a subprocess) for as long as the schedule is served.
`serve_schedule()` registers one deployment per enabled job of the schedule file and runs their
flow runs in subprocesses of this process (a Prefect Runner), one at a time by default, which
matches the warehouse's one-writer rule. To run the same deployments on workers on other
machines instead, see docs/schedule.md (work pools).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import flow

from flows.config import ScheduleConfig, ScheduledJob
from flows.pipeline import crawl_flow, process_flow, report_flow
from pipeline.errors import FramewatchError

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DEFAULT_SERVER_PORT = 4200
SERVER_START_SECONDS = 120.0


class PrefectServerError(FramewatchError):
    """The Prefect server could not be reached or started."""


@flow(name="crawl-and-process")
def crawl_and_process_flow(config: str | None = None, workdir: str | None = None,
                           sources_file: str | None = None,
                           lock_wait_seconds: float = 3600) -> dict[str, Any]:
    """Crawl every source, then clean and frame what the crawl stored (two sub-flow runs)."""
    crawled = crawl_flow(config=config, workdir=workdir, sources_file=sources_file,
                         lock_wait_seconds=lock_wait_seconds)
    processed = process_flow(config=config, workdir=workdir, lock_wait_seconds=lock_wait_seconds)
    return {"crawl": crawled, "process": processed}


def _flow_for(job: ScheduledJob) -> Any:
    if job.job == "crawl":
        return crawl_and_process_flow if job.process_after else crawl_flow
    return {"process": process_flow, "report": report_flow}[job.job]


def job_parameters(job: ScheduledJob, *, config: str | None, workdir: str | None) -> dict[str, Any]:
    """The flow parameters of a job's runs. Paths are made absolute: runs start elsewhere."""
    parameters: dict[str, Any] = {}
    if config:
        parameters["config"] = str(Path(config).resolve())
    if workdir:
        parameters["workdir"] = str(Path(workdir).resolve())
    if job.job == "report" and job.week:
        parameters["week"] = job.week
    return parameters


def build_deployments(schedule: ScheduleConfig, *, config: str | None = None,
                      workdir: str | None = None) -> list[Any]:
    """One Prefect RunnerDeployment per enabled job, with its cron schedule and parameters."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    deployments = []
    for job in schedule.jobs:
        flow_object = _flow_for(job)
        deployments.append(flow_object.to_deployment(
            name=job.deployment_name,
            schedules=[Cron(job.cron, timezone=schedule.timezone)],
            parameters=job_parameters(job, config=config, workdir=workdir),
            description=f"framewatch {job.job} ({job.cron}, {schedule.timezone}), "
                        f"from {schedule.path}",
            tags=["framewatch", job.job],
            # Load the flow by module path so a run finds it wherever the runner starts it.
            entrypoint_type=EntrypointType.MODULE_PATH,
        ))
    return deployments


def deploy_to_work_pool(schedule: ScheduleConfig, work_pool_name: str, *,
                        config: str | None = None, workdir: str | None = None) -> list[str]:
    """Register the schedule's deployments on a work pool, for workers to run; return their ids.

    Nothing is served here: `prefect worker start --pool <name>` on any machine with framewatch
    installed picks the runs up (the flows are loaded by module path, so no code is uploaded).
    `config` and `workdir` must name paths as the workers see them.
    """
    from prefect import deploy

    deployments = build_deployments(schedule, config=config, workdir=workdir)
    ids = deploy(*deployments, work_pool_name=work_pool_name, build=False, push=False,
                 print_next_steps_message=False)
    return [str(i) for i in ids]


def next_run_times(schedule: ScheduleConfig, count: int = 3,
                   after: dt.datetime | None = None) -> dict[str, list[dt.datetime]]:
    """The next `count` times each job is due, as Prefect's scheduler computes them."""
    from prefect.server.schemas.schedules import CronSchedule

    start = after or dt.datetime.now(dt.UTC)

    async def dates() -> dict[str, list[dt.datetime]]:
        found = {}
        for job in schedule.jobs:
            cron = CronSchedule(cron=job.cron, timezone=schedule.timezone)
            found[job.deployment_name] = list(await cron.get_dates(count, start=start))
        return found

    return asyncio.run(dates())


# ------------------------------------------------------------------------------------------
# The Prefect server
# ------------------------------------------------------------------------------------------


def server_is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when a Prefect server answers its health endpoint at `api_url` (…/api)."""
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as answer:
            return answer.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


class LocalPrefectServer:
    """`prefect server start` on 127.0.0.1 in a subprocess (its own process group), until stop()."""

    def __init__(self, port: int = DEFAULT_SERVER_PORT, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/api"

    def start(self, wait_seconds: float = SERVER_START_SECONDS) -> str:
        """Start the server and wait until it answers; return its API URL."""
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        command = [sys.executable, "-m", "prefect", "server", "start",
                   "--host", LOOPBACK, "--port", str(self.port)]
        logger.info("starting a local Prefect server: %s", " ".join(command))
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
        if log is not subprocess.DEVNULL:
            log.close()
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                where = f"; its log: {self.log_path}" if self.log_path else ""
                raise PrefectServerError(
                    f"the local Prefect server on port {self.port} exited with code "
                    f"{self.process.returncode} while starting{where}")
            if server_is_healthy(self.api_url):
                return self.api_url
            time.sleep(0.5)
        self.stop()
        raise PrefectServerError(
            f"the local Prefect server on port {self.port} did not answer {self.api_url}/health "
            f"within {wait_seconds:.0f}s")

    def stop(self, wait_seconds: float = 20.0) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL if it lingers)."""
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=wait_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=wait_seconds)


@contextmanager
def prefect_api(port: int = DEFAULT_SERVER_PORT, log_path: Path | None = None) -> Iterator[str]:
    """The API URL of the Prefect server to use: PREFECT_API_URL's, or a local one started here.

    A server that already answers on 127.0.0.1:`port` is used as it is.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    if configured:
        if not server_is_healthy(configured, timeout=10):
            raise PrefectServerError(
                f"PREFECT_API_URL is {configured}, but no Prefect server answers there "
                f"({configured.rstrip('/')}/health); start it, or unset PREFECT_API_URL to let "
                "framewatch start a local one")
        yield configured
        return
    server = LocalPrefectServer(port, log_path)
    if server_is_healthy(server.api_url):
        logger.info("using the Prefect server already running at %s", server.api_url)
        started = False
    else:
        server.start()
        started = True
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.api_url  # for the flow-run subprocesses
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        if started:
            server.stop()


# ------------------------------------------------------------------------------------------
# Serving
# ------------------------------------------------------------------------------------------


async def _serve(deployments: list[Any], *, once_at: dt.datetime | None,
                 stop_after: float | None, limit: int | None) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.runner import Runner
    from prefect.states import Scheduled

    runner = Runner(name="framewatch-schedule", limit=limit, pause_on_shutdown=True)
    deployment_ids = [await runner.aadd_deployment(d) for d in deployments]
    if once_at is not None:
        async with get_client() as client:
            for deployment_id in deployment_ids:
                await client.create_flow_run_from_deployment(
                    deployment_id, state=Scheduled(scheduled_time=once_at),
                    tags=["framewatch", "once"])
    if stop_after:
        try:
            await asyncio.wait_for(runner.start(), timeout=stop_after)
        except TimeoutError:
            logger.info("stopping after %.0fs as asked", stop_after)
    else:
        await runner.start()
    return [str(i) for i in deployment_ids]


def serve_schedule(schedule: ScheduleConfig, *, config: str | None = None,
                   workdir: str | None = None, once_at: dt.datetime | None = None,
                   stop_after: float | None = None, limit: int | None = 1) -> list[str]:
    """Register the schedule's deployments and run their flow runs until stopped.

    `once_at` also schedules one run of every deployment at that time (to check a setup);
    `stop_after` stops serving after that many seconds (otherwise: until SIGINT/SIGTERM);
    `limit` is how many flow runs this process runs at once (None: no limit).
    Needs a Prefect API (see `prefect_api`). Returns the deployment ids.
    """
    deployments = build_deployments(schedule, config=config, workdir=workdir)
    try:
        return asyncio.run(_serve(deployments, once_at=once_at, stop_after=stop_after, limit=limit))
    except KeyboardInterrupt:
        logger.info("schedule stopped")
        return []
