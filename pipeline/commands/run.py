"""`framewatch run`: the whole pipeline as one Prefect flow (crawl -> clean -> frame -> report)."""

from __future__ import annotations

import json
import os

import click

from pipeline.commands._common import settings_from, workdir_option


def print_outcome(result: dict) -> None:
    """Tell the user where the warehouse and the report are, and how to query them."""
    report = result.get("report") or {}
    click.echo(json.dumps({k: v for k, v in result.items() if k != "report"}, indent=2, default=str))
    click.echo("")
    click.echo(f"Database: {result['database']}")
    click.echo(f"Report:   {report.get('html')}")
    click.echo(f"Markdown: {report.get('markdown')}")
    click.echo(f"Query:    duckdb {result['database']} \"select * from weekly_frame_share\"")


@click.command("run")
@workdir_option
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, exists=True),
              help="Sources file (default: seeds/sources.toml).")
@click.option("--week", help="ISO week of the report, e.g. 2026-W47 (default: last complete week).")
@click.pass_context
def command(ctx: click.Context, workdir: str | None, sources_file: str | None, week: str | None) -> None:
    """Run crawl -> clean -> frame -> report once, as a Prefect flow."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A wrong settings file is reported now, not after the flow's server has started.
    settings_from(ctx, workdir)
    from flows.pipeline import pipeline_flow

    config = (ctx.find_root().obj or {}).get("config")
    result = pipeline_flow(config=config, workdir=workdir, sources_file=sources_file, week=week)
    print_outcome(result)
