"""`framewatch schedule`: run crawl/process/report on cron schedules, as Prefect deployments."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from pipeline.commands._common import settings_from, workdir_option


def _parse_when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    if value == "now":
        return dt.datetime.now(dt.UTC)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected an ISO 8601 time such as 2026-11-30T06:00:00Z, or 'now'; got {value!r}",
            param_hint="--once-at") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@click.command("schedule")
@click.option("--schedule", "schedule_file", type=click.Path(dir_okay=False),
              help="Schedule file (TOML) with the cron times of crawl, process and report. "
                   "Default: seeds/schedule.toml.")
@workdir_option
@click.option("--once-at", metavar="TIME",
              help="Also run every scheduled job once at TIME (ISO 8601, UTC unless it says "
                   "otherwise, or 'now'): a quick check of a new setup.")
@click.option("--stop-after", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Stop serving after SECONDS (default: serve until Ctrl-C).")
@click.option("--limit", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many flow runs this process runs at once (the warehouse has one writer).")
@click.option("--server-port", type=click.IntRange(1, 65535), default=4200, show_default=True,
              help="Port of the local Prefect server started on 127.0.0.1 when PREFECT_API_URL "
                   "is not set.")
@click.option("--work-pool", metavar="NAME",
              help="Register the deployments on this Prefect work pool for workers on other "
                   "machines to run (see docs/scale-out.md), then exit instead of serving.")
@click.option("--check", is_flag=True,
              help="Only check the schedule file and print the next run times; start nothing.")
@click.pass_context
def command(ctx: click.Context, schedule_file: str | None, workdir: str | None,
            once_at: str | None, stop_after: float | None, limit: int, server_port: int,
            work_pool: str | None, check: bool) -> None:
    """Serve the pipeline on cron schedules (crawl every 6 h then process, report on Mondays).

    Uses the Prefect server named by PREFECT_API_URL, or starts a local one on 127.0.0.1 for as
    long as this command runs. Flow runs execute in this process's children, one at a time.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.config import load_schedule
    from flows.schedule import deploy_to_work_pool, next_run_times, prefect_api, serve_schedule

    schedule = load_schedule(schedule_file)
    config = (ctx.find_root().obj or {}).get("config")
    when = _parse_when(once_at)
    click.echo(f"Schedule {schedule.path} (times in {schedule.timezone}):")
    upcoming = next_run_times(schedule)
    for job in schedule.jobs:
        what = "crawl, then process" if job.process_after else job.job
        soon = ", ".join(t.strftime("%Y-%m-%d %H:%M %Z") for t in upcoming[job.deployment_name])
        click.echo(f"  {job.deployment_name:<20} {job.cron:<14} {what:<20} next: {soon}")
    if check:
        return
    if work_pool:
        if "PREFECT_API_URL" not in os.environ:
            raise click.UsageError("--work-pool needs PREFECT_API_URL: the server the workers "
                                   "poll (a local server would stop when this command exits)")
        ids = deploy_to_work_pool(schedule, work_pool, config=config, workdir=workdir)
        click.echo(f"Registered {len(ids)} deployments on work pool {work_pool!r}; start workers "
                   f"with: prefect worker start --pool {work_pool}")
        return
    log_dir = Path(settings_from(ctx, workdir).workdir)
    log_dir.mkdir(parents=True, exist_ok=True)
    with prefect_api(server_port, log_path=log_dir / "prefect-server.log") as api_url:
        click.echo(f"Prefect API: {api_url} (Ctrl-C stops serving)")
        serve_schedule(schedule, config=config, workdir=workdir, once_at=when,
                       stop_after=stop_after, limit=limit)
