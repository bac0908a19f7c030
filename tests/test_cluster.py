"""`framewatch cluster up|status|down` starts real Redis, PostgreSQL and Dask processes on
loopback, writes a settings file every command accepts, and stops them all again."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
import redis
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.cluster.processes import pid_alive
from pipeline.settings import load_settings


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_cluster_up_writes_settings_that_reach_every_part_and_down_stops_them() -> None:
    # Not pytest's tmp_path (mode 0700): PostgreSQL runs as an unprivileged user that must
    # reach its data directory under the workdir.
    base = Path(tempfile.mkdtemp(prefix="framewatch-cluster-test-"))
    base.chmod(0o755)
    workdir = base / "fw"
    try:
        output = _invoke("cluster", "up", "--workdir", str(workdir), "--dask-workers", "2")
        settings_path = workdir / "cluster" / "framewatch.toml"
        assert f"--config {settings_path}" in output
        assert settings_path.stat().st_mode & 0o077 == 0  # it holds passwords
        state = json.loads((workdir / "cluster" / "cluster.json").read_text())

        settings = load_settings(settings_path, environ={})
        assert settings.workdir == workdir.resolve()
        assert settings.crawl.frontier == "redis"
        assert redis.Redis.from_url(settings.crawl.redis_url).ping()
        assert settings.warehouse.backend == "ducklake"
        with psycopg.connect(settings.warehouse.catalog_dsn, connect_timeout=10) as con:
            assert con.execute("select 1").fetchone() == (1,)
        assert settings.processing.engine == "dask"
        assert settings.processing.dask_address == state["dask"]["address"]
        from distributed import Client

        with Client(state["dask"]["address"], timeout=30) as client:
            assert len(client.scheduler_info(n_workers=-1)["workers"]) == 2
            assert client.submit(sum, [1, 2, 3]).result(timeout=30) == 6

        status = json.loads(_invoke("cluster", "status", "--workdir", str(workdir)))
        assert all(status[part]["running"] for part in ("redis", "postgres", "dask"))
        assert "***" in status["redis"]["url"]  # no password on screen

        # `up` again keeps the running servers
        _invoke("cluster", "up", "--workdir", str(workdir))
        again = json.loads((workdir / "cluster" / "cluster.json").read_text())
        assert again["redis"]["pid"] == state["redis"]["pid"]
        assert again["dask"]["address"] == state["dask"]["address"]

        down = _invoke("cluster", "down", "--workdir", str(workdir))
        assert "redis     stopped" in down and "dask      stopped" in down
        assert "postgres  stopped" in down
        assert not pid_alive(state["redis"]["pid"])
        status = json.loads(_invoke("cluster", "status", "--workdir", str(workdir)))
        assert not any(status[part]["running"] for part in ("redis", "postgres", "dask"))
        with pytest.raises(redis.ConnectionError):
            redis.Redis.from_url(settings.crawl.redis_url, socket_connect_timeout=2).ping()
    finally:
        # whatever failed above: no server outlives the test, and its folder goes too
        _invoke("cluster", "down", "--workdir", str(workdir))
        shutil.rmtree(base, ignore_errors=True)


def test_cluster_commands_have_help() -> None:
    output = _invoke("cluster", "--help")
    for sub in ("up", "down", "status"):
        assert sub in output


def test_cluster_up_with_parts_left_out_starts_only_the_rest(tmp_path: Path) -> None:
    workdir = tmp_path / "fw"
    try:
        output = _invoke("cluster", "up", "--workdir", str(workdir), "--no-postgres", "--no-dask")
        assert "redis" in output and "postgres" not in output and "dask" not in output
        settings = load_settings(workdir / "cluster" / "framewatch.toml", environ={})
        assert redis.Redis.from_url(settings.crawl.redis_url).ping()
        assert settings.warehouse.backend != "ducklake" and settings.processing.engine != "dask"
        for private in ("framewatch.toml", "cluster.json", "redis/redis.json", "redis/redis.conf"):
            assert (workdir / "cluster" / private).stat().st_mode & 0o077 == 0, private
    finally:
        down = _invoke("cluster", "down", "--workdir", str(workdir))
    assert "redis     stopped" in down
