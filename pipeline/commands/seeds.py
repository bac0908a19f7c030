"""`framewatch seeds`: commands about the seed files users edit (sources, topic, codebooks)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.commands._common import settings_from
from pipeline.seeds.summary import validate_seeds


@click.group(name="seeds")
def command() -> None:
    """Work with the seed files: sources.toml, topic.toml, frames.toml and codebooks/*.toml."""


@command.command(name="check")
@click.argument(
    "directory",
    metavar="[DIR]",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.pass_context
def check(ctx: click.Context, directory: Path | None) -> None:
    """Validate the seed files in DIR and summarise what they hold.

    DIR defaults to the settings' seeds_dir: the seeds bundled with framewatch unless
    framewatch.toml (or --config) names another folder. Checks sources.toml, topic.toml,
    frames.toml and every codebooks/*.toml against the formats in docs/architecture.md. Every
    problem is listed as FILE: KEY: PROBLEM, with key paths counted from 0 (sources[3].feeds[1]
    is the second feed of the fourth source). Exits with status 1 if any file has a problem.
    """
    directory = directory or settings_from(ctx).seeds_dir
    result = validate_seeds(directory)
    for file_check in result.files:
        if file_check.ok:
            click.echo(f"ok      {file_check.path}: {file_check.summary}")
            for warning in file_check.warnings:
                click.echo(f"  warning: {warning}", err=True)
        else:
            count = len(file_check.problems)
            click.echo(f"FAILED  {file_check.path}: {count} problem{'s' * (count != 1)}")
            for problem in file_check.problems:
                click.echo(f"  {problem}", err=True)
    if not result.ok:
        failed = sum(not file_check.ok for file_check in result.files)
        click.echo(
            f"{len(result.problems)} problem(s) in {failed} file(s) under {directory}", err=True
        )
        raise SystemExit(1)
