"""`framewatch cluster up|down|status`: the scaled-out parts on this machine, for a demo or a try.

`up` starts Redis (the shared crawl frontier), PostgreSQL (the DuckLake catalog) and a Dask
scheduler with workers, each on 127.0.0.1 and a free port, under `<workdir>/cluster/`, and writes
`<workdir>/cluster/framewatch.toml`: pass it with `--config` to every command. `down` stops what
`up` started; `status` says what runs. Your own servers instead: docs/scale-out.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cluster.processes import save_state, write_private
from pipeline.commands._common import settings_from, workdir_option

SETTINGS_FILE = "framewatch.toml"
STATE_FILE = "cluster.json"


def _cluster_dir(workdir: Path) -> Path:
    return workdir.resolve() / "cluster"


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def settings_text(workdir: Path, *, redis_url: str | None, catalog_dsn: str | None,
                  dask_address: str | None) -> str:
    """The settings file `up` writes: the cluster's addresses (with their passwords)."""
    lines = ["# Written by `framewatch cluster up`: pass it to every command with",
             f"#   framewatch --config {_cluster_dir(workdir) / SETTINGS_FILE} ...",
             "# It holds the servers' passwords: keep it private.",
             f"workdir = {_toml_string(str(workdir.resolve()))}", ""]
    if redis_url:
        lines += ["[crawl]", 'frontier = "redis"', f"redis_url = {_toml_string(redis_url)}", ""]
    if catalog_dsn:
        lines += ["[warehouse]", 'backend = "ducklake"',
                  f"catalog_dsn = {_toml_string(catalog_dsn)}",
                  f"data_path = {_toml_string(str(workdir.resolve() / 'lake'))}", ""]
    if dask_address:
        lines += ["[processing]", 'engine = "dask"',
                  f"dask_address = {_toml_string(dask_address)}", ""]
    return "\n".join(lines)


def cluster_up(workdir: Path, *, redis: bool = True, postgres: bool = True, dask: bool = True,
               dask_workers: int = 2) -> dict:
    """Start the parts (those already running are kept); write the settings and state files."""
    from pipeline.cluster import dask as dask_cluster
    from pipeline.cluster import redis as redis_server

    base = _cluster_dir(workdir)
    base.mkdir(parents=True, exist_ok=True)
    state: dict = {}
    started: list[str] = []
    try:
        if redis:
            server = redis_server.server_in(base / "redis")
            if server is None or not server.running:
                server = redis_server.start_redis(base / "redis")
                started.append("redis")
            state["redis"] = {"url": server.url, "pid": server.pid}
        if postgres:
            from pipeline.cluster import postgres as postgres_server

            pg = postgres_server.server_in(base / "postgres")
            if pg is None:
                pg = postgres_server.start_postgres(base / "postgres")
                started.append("postgres")
            state["postgres"] = {"dsn": pg.dsn, "port": pg.port}
        if dask:
            cluster = dask_cluster.cluster_in(base / "dask")
            if cluster is None or not cluster.running:
                cluster = dask_cluster.start_dask(base / "dask", workers=dask_workers)
                started.append("dask")
            state["dask"] = {"address": cluster.address, "workers": cluster.workers}
    except BaseException:
        cluster_down(workdir, only=started)  # nothing half-up: stop what this call started
        raise
    settings_path = base / SETTINGS_FILE
    write_private(settings_path, settings_text(
        workdir, redis_url=state.get("redis", {}).get("url"),
        catalog_dsn=state.get("postgres", {}).get("dsn"),
        dask_address=state.get("dask", {}).get("address")))
    save_state(base / STATE_FILE, state)
    return {"settings": str(settings_path), **state}


def cluster_down(workdir: Path, *, only: list[str] | None = None) -> dict[str, bool]:
    """Stop what `cluster up` started here: {part: whether it was running}."""
    from pipeline.cluster import dask as dask_cluster
    from pipeline.cluster import redis as redis_server

    base = _cluster_dir(workdir)
    stopped: dict[str, bool] = {}
    wanted = only if only is not None else ["dask", "redis", "postgres"]
    if "dask" in wanted:
        stopped["dask"] = dask_cluster.stop_dask(base / "dask")
    if "redis" in wanted:
        stopped["redis"] = redis_server.stop_redis(base / "redis")
    if "postgres" in wanted and (base / "postgres").exists():
        from pipeline.cluster import postgres as postgres_server

        stopped["postgres"] = postgres_server.stop_postgres(base / "postgres")
    if only is None:
        (base / STATE_FILE).unlink(missing_ok=True)
    return stopped


def cluster_status(workdir: Path) -> dict[str, dict]:
    from pipeline.cluster import dask as dask_cluster
    from pipeline.cluster import redis as redis_server
    from pipeline.frontier import redacted_url

    base = _cluster_dir(workdir)
    status: dict[str, dict] = {}
    server = redis_server.server_in(base / "redis")
    status["redis"] = ({"running": server.running, "url": redacted_url(server.url)}
                       if server else {"running": False})
    cluster = dask_cluster.cluster_in(base / "dask")
    status["dask"] = ({"running": cluster.running, "address": cluster.address,
                       "workers": cluster.workers} if cluster else {"running": False})
    if (base / "postgres").exists():
        from pipeline.cluster import postgres as postgres_server
        from warehouse.db import redact_dsn

        pg = postgres_server.server_in(base / "postgres")
        status["postgres"] = ({"running": True, "dsn": redact_dsn(pg.dsn)} if pg
                              else {"running": False})
    else:
        status["postgres"] = {"running": False}
    settings_path = base / SETTINGS_FILE
    status["settings"] = {"path": str(settings_path), "exists": settings_path.exists()}
    return status


@click.group("cluster")
def command() -> None:
    """Start, stop or inspect a local Redis + PostgreSQL + Dask cluster (for a demo or a try)."""


@command.command("up")
@workdir_option
@click.option("--dask-workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Dask worker processes (single-threaded each).")
@click.option("--no-redis", is_flag=True, help="Do not start Redis (no shared crawl frontier).")
@click.option("--no-postgres", is_flag=True,
              help="Do not start PostgreSQL (keep the single-file warehouse).")
@click.option("--no-dask", is_flag=True, help="Do not start a Dask scheduler and workers.")
@click.pass_context
def up_command(ctx: click.Context, workdir: str | None, dask_workers: int, no_redis: bool,
               no_postgres: bool, no_dask: bool) -> None:
    """Start Redis, PostgreSQL and Dask on 127.0.0.1 and write a settings file for --config."""
    settings = settings_from(ctx, workdir)
    result = cluster_up(settings.workdir, redis=not no_redis, postgres=not no_postgres,
                        dask=not no_dask, dask_workers=dask_workers)
    click.echo(f"cluster up; use it with: framewatch --config {result['settings']} <command>")
    # Only the parts started (--no-redis etc. leave theirs out of `result`).
    if "redis" in result:
        click.echo(f"  {'redis':<9} 127.0.0.1 (password in the settings file)")
    if "postgres" in result:
        click.echo(f"  {'postgres':<9} 127.0.0.1:{result['postgres']['port']}")
    if "dask" in result:
        click.echo(f"  {'dask':<9} {result['dask']['address']}")


@command.command("down")
@workdir_option
@click.pass_context
def down_command(ctx: click.Context, workdir: str | None) -> None:
    """Stop the servers `framewatch cluster up` started."""
    settings = settings_from(ctx, workdir)
    stopped = cluster_down(settings.workdir)
    for part, was_running in stopped.items():
        click.echo(f"  {part:<9} {'stopped' if was_running else 'was not running'}")


@command.command("status")
@workdir_option
@click.pass_context
def status_command(ctx: click.Context, workdir: str | None) -> None:
    """Say which of the cluster's servers run, and where."""
    settings = settings_from(ctx, workdir)
    click.echo(json.dumps(cluster_status(settings.workdir), indent=2))
