"""What the sub-commands share: settings from --config/--workdir, progress output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

import click

from pipeline.settings import Settings, load_settings

workdir_option = click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    help="Folder for the database, archive and reports (overrides the settings' workdir).",
)


def settings_from(ctx: click.Context, workdir: str | None = None, **overrides: str | None) -> Settings:
    """The settings for this command: config file, environment, then command-line overrides."""
    config = (ctx.find_root().obj or {}).get("config")
    settings = load_settings(config)
    if workdir:
        settings = settings.with_workdir(workdir)
    given = {key: value for key, value in overrides.items() if value}
    return replace(settings, **given) if given else settings


def progress_printer(label: str) -> Callable[[int, int], None]:
    """Progress for long stages: a bar on a terminal, plain lines elsewhere."""
    interactive = sys.stderr.isatty()
    last = [-1]

    def show(done: int, total: int) -> None:
        if interactive:
            width = 30
            filled = int(width * done / total) if total else width
            sys.stderr.write(f"\r{label:<6} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        else:
            step = max(1, total // 10)
            if done >= total or done // step != last[0] // step:
                click.echo(f"{label}: {done}/{total}", err=True)
        last[0] = done

    return show
