"""The `framewatch` command: a click group whose sub-commands live in pipeline/commands/.

Sub-commands are imported only when called, so `framewatch --help` stays fast and a broken
optional part (say, the model) cannot stop unrelated commands.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from pipeline.errors import FramewatchError

# name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "demo": "pipeline.commands.demo:command",
    "run": "pipeline.commands.run:command",
    "demo-site": "pipeline.commands.demo_site:command",
    "crawl": "pipeline.commands.stages:crawl_command",
    "clean": "pipeline.commands.stages:clean_command",
    "frame": "pipeline.commands.stages:frame_command",
    "reprocess": "pipeline.commands.stages:reprocess_command",
    "extract": "pipeline.commands.extract:command",
    "label": "pipeline.commands.label:command",
    "frames": "pipeline.commands.frames:command",
    "annotate": "pipeline.commands.annotate:command",
    "schedule": "pipeline.commands.schedule:command",
    "export": "pipeline.commands.export:command",
    "report": "pipeline.commands.report:command",
    "import": "pipeline.commands.imports:command",
    "sql": "pipeline.commands.sql:command",
    "status": "pipeline.commands.status:command",
    "seeds": "pipeline.commands.seeds:command",
    "models": "pipeline.commands.models:command",
    "cluster": "pipeline.commands.cluster:command",
}


class LazyGroup(click.Group):
    """A group that imports each sub-command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="FRAMEWATCH_CONFIG",
    help="Settings file (TOML). Default: ./framewatch.toml if present.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="framewatch")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int) -> None:
    """framewatch: track how the press frames the AI race, week by week."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


def main() -> None:
    """Console entry point: user-facing errors print as one clear line, not a traceback."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The temporary Prefect server migrates its database on first start: slow on a busy 2-core box.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except FramewatchError as error:
        click.echo(f"framewatch: error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
