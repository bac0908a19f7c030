"""`framewatch schedule`: the schedule file, and a real served schedule whose runs complete.

The end-to-end test runs the command as a user would, without PREFECT_API_URL, so it starts its
own Prefect server on 127.0.0.1 (a free port, PREFECT_HOME in tmp), registers the report
deployment with a cron schedule due at the next minute and a one-off run (`--once-at now`), and
polls the Prefect API until both runs have completed and written the report. Then it stops the
command with SIGTERM and checks that the server it started is gone too.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.recipes.small_warehouse import small_warehouse

from flows.config import DEFAULT_SCHEDULE_FILE, load_schedule, parse_schedule
from flows.schedule import build_deployments, job_parameters, next_run_times, server_is_healthy
from pipeline.commands.schedule import command as schedule_command
from pipeline.errors import SeedError

REPO = Path(__file__).resolve().parents[1]


def test_default_schedule_crawls_every_six_hours_then_processes_and_reports_on_monday():
    schedule = load_schedule()
    assert schedule.path == DEFAULT_SCHEDULE_FILE and schedule.timezone == "UTC"
    crawl, report = schedule.job("crawl"), schedule.job("report")
    assert crawl.cron == "0 */6 * * *" and crawl.process_after
    assert report.cron == "0 6 * * 1"
    assert schedule.job("process") is None  # processing follows each crawl instead
    after = dt.datetime(2026, 11, 26, 13, 5, tzinfo=dt.UTC)  # a Thursday
    upcoming = next_run_times(schedule, 2, after=after)
    assert [t.isoformat() for t in upcoming["framewatch-crawl"]] == [
        "2026-11-26T18:00:00+00:00", "2026-11-27T00:00:00+00:00"]
    assert [t.isoformat() for t in upcoming["framewatch-report"]] == [
        "2026-11-30T06:00:00+00:00", "2026-12-07T06:00:00+00:00"]


def test_deployments_carry_the_cron_and_absolute_paths(tmp_path):
    schedule = load_schedule()
    deployments = build_deployments(schedule, config="fw.toml", workdir="data")
    by_name = {d.name: d for d in deployments}
    assert set(by_name) == {"framewatch-crawl", "framewatch-report"}
    crawl = by_name["framewatch-crawl"]
    assert crawl.flow_name == "crawl-and-process"
    assert crawl.entrypoint == "flows.schedule.crawl_and_process_flow"
    assert [s.schedule.cron for s in crawl.schedules] == ["0 */6 * * *"]
    assert [s.schedule.timezone for s in crawl.schedules] == ["UTC"]
    assert crawl.parameters == {"config": str(Path("fw.toml").resolve()),
                                "workdir": str(Path("data").resolve())}
    assert by_name["framewatch-report"].entrypoint == "flows.pipeline.report_flow"
    report_job = schedule.job("report")
    assert "week" not in job_parameters(report_job, config=None, workdir=None)


def test_bad_schedule_file_names_file_key_and_problem(tmp_path):
    path = tmp_path / "schedule.toml"
    path.write_text('[schedule]\ntimezone = "Mars/Olympus"\n[crawl]\ncron = "0 */6 * *"\n'
                    'enabeld = true\n[report]\ncron = "0 25 * * 1"\nweek = "2026-47"\n')
    with pytest.raises(SeedError) as caught:
        load_schedule(path)
    message = str(caught.value)
    for expected in (f"{path}: schedule.timezone: unknown time zone 'Mars/Olympus'",
                     f"{path}: crawl.cron: expected 5 fields",
                     f"{path}: crawl.enabeld: unknown key; did you mean 'enabled'?",
                     f"{path}: report.cron: not a valid cron expression: '0 25 * * 1'",
                     f"{path}: report.week: expected an ISO week like '2026-W47'"):
        assert expected in message


def test_schedule_with_nothing_enabled_is_refused():
    with pytest.raises(SeedError, match="no job is enabled"):
        parse_schedule({"crawl": {"enabled": False}, "report": {"enabled": False}}, "s.toml")


def test_missing_schedule_file_is_named(tmp_path):
    with pytest.raises(SeedError, match="schedule.toml: \\(file\\): file not found"):
        load_schedule(tmp_path / "schedule.toml")


def test_check_prints_next_runs_and_starts_nothing():
    result = CliRunner().invoke(schedule_command, ["--check"], obj={})
    assert result.exit_code == 0, result.output
    assert "framewatch-crawl" in result.output and "crawl, then process" in result.output
    assert "framewatch-report" in result.output and "0 6 * * 1" in result.output


def test_bad_once_at_is_refused():
    result = CliRunner().invoke(schedule_command, ["--once-at", "next monday"], obj={})
    assert result.exit_code == 2
    assert "expected an ISO 8601 time" in result.output


# ------------------------------------------------------------------------------------------
# A real server, a real schedule
# ------------------------------------------------------------------------------------------

SCHEDULE = """\
[crawl]
enabled = false

[report]
cron = "* * * * *"       # every minute: a run is due within 60 s
week = "2026-W47"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def prefect_client(api_url: str) -> Iterator:
    """A synchronous Prefect client of the server at `api_url`."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}), \
            get_client(sync_client=True) as client:
        yield client


def report_runs(api_url: str) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    with prefect_client(api_url) as client:
        return client.read_flow_runs(deployment_filter=DeploymentFilter(
            name=DeploymentFilterName(any_=["framewatch-report"])))


def read_deployment(api_url: str):
    with prefect_client(api_url) as client:
        return client.read_deployment_by_name("report/framewatch-report")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_served_schedule_runs_the_report_on_time(tmp_path):
    workdir = tmp_path / "data"
    workdir.mkdir()
    small_warehouse(workdir / "framewatch.duckdb")
    (tmp_path / "schedule.toml").write_text(SCHEDULE)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PYTHONPATH=str(REPO),
               HF_HUB_OFFLINE="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    log = (tmp_path / "schedule.log").open("wb")
    serving = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "schedule", "--schedule", str(tmp_path / "schedule.toml"),
         "--workdir", str(workdir), "--server-port", str(port), "--once-at", "now",
         "--stop-after", "240"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        completed: dict[str, object] = {}
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline and serving.poll() is None:
            time.sleep(2)
            if not server_is_healthy(api_url):
                continue
            for run in report_runs(api_url):
                if run.state is not None and run.state.is_completed():
                    kind = "cron" if run.auto_scheduled else "once"
                    completed.setdefault(kind, run)
                assert run.state is None or not run.state.is_failed(), \
                    (tmp_path / "schedule.log").read_text()[-4000:]
            if {"cron", "once"} <= set(completed):
                break
        output = (tmp_path / "schedule.log").read_text()
        assert set(completed) == {"cron", "once"}, output[-4000:]
        cron_run = completed["cron"]
        # the cron run was due on a minute boundary and started then (Prefect's runner may pick
        # a due run up a moment early: it polls ahead of the scheduled time)
        assert cron_run.expected_start_time.second == 0
        assert abs((cron_run.start_time - cron_run.expected_start_time).total_seconds()) < 30
        assert cron_run.parameters == {"workdir": str(workdir.resolve()), "week": "2026-W47"}
        deployment = read_deployment(api_url)
        assert [s.schedule.cron for s in deployment.schedules] == ["* * * * *"]
        report_dir = workdir / "reports" / "2026-W47"
        assert report_dir.is_dir() and any(report_dir.iterdir())
    finally:
        serving.send_signal(signal.SIGTERM)
        try:
            serving.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serving.kill()
            serving.wait(timeout=30)
        log.close()
    # the server the command started is gone with it
    assert not server_is_healthy(api_url, timeout=1)




@pytest.fixture()
def prefect_server(tmp_path):
    """A real Prefect server on 127.0.0.1 with its own PREFECT_HOME, stopped at the end."""
    from flows.schedule import LocalPrefectServer

    previous = os.environ.get("PREFECT_HOME")
    os.environ["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    server = LocalPrefectServer(free_port(), log_path=tmp_path / "server.log")
    try:
        yield server.start()
    finally:
        server.stop()
        if previous is not None:
            os.environ["PREFECT_HOME"] = previous
    assert not server_is_healthy(server.api_url, timeout=1)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_work_pool_deployments_run_on_a_worker(tmp_path, prefect_server):
    """The scale-out path of docs/scale-out.md: a work pool, the deployments on it, a worker."""
    workdir = tmp_path / "data"
    workdir.mkdir()
    small_warehouse(workdir / "framewatch.duckdb")
    (tmp_path / "schedule.toml").write_text(SCHEDULE.replace("* * * * *", "0 6 * * 1"))
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PYTHONPATH": str(REPO),
           "HF_HUB_OFFLINE": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=timeout, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    run("prefect", "work-pool", "create", "framewatch-pool", "--type", "process")
    registered = run("pipeline.cli", "schedule", "--schedule", str(tmp_path / "schedule.toml"),
                     "--workdir", str(workdir), "--work-pool", "framewatch-pool")
    assert "Registered 1 deployments on work pool 'framewatch-pool'" in registered.stdout
    deployment = read_deployment(prefect_server)
    assert deployment.work_pool_name == "framewatch-pool"
    assert [s.schedule.cron for s in deployment.schedules] == ["0 6 * * 1"]
    with prefect_client(prefect_server) as client:
        flow_run = client.create_flow_run_from_deployment(deployment.id)
    run("prefect", "worker", "start", "--pool", "framewatch-pool", "--type", "process",
        "--run-once", timeout=150)
    with prefect_client(prefect_server) as client:
        state = client.read_flow_run(flow_run.id).state
    assert state.is_completed(), state
    assert any((workdir / "reports" / "2026-W47").iterdir())
