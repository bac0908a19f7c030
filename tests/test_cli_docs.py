"""Every `framewatch` command has --help text, documented options, and a place in the docs.

Walks `pipeline.cli.COMMANDS` (importing each command, as the CLI does when it is called) and the
sub-commands of groups. A command fails here when it cannot be imported, has no help text, has
an option without help, or is not mentioned as `framewatch <name>` in README.md or docs/*.md.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.cli import COMMANDS, cli

REPO = Path(__file__).resolve().parents[1]


def _docs_text() -> str:
    paths = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in paths if p.exists())


def _load(target: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _walk() -> list[tuple[str, str, str | None]]:
    """(full name, target in COMMANDS, sub-command name or None) for every command and sub-command."""
    found = []
    for name, target in sorted(COMMANDS.items()):
        found.append((name, target, None))
        try:
            command = _load(target)
        except ImportError:  # reported by test_command_imports for this command
            command = None
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", target, sub) for sub in sorted(command.commands)]
    return found


COMMAND_PATHS = _walk()


def _resolve(target: str, sub: str | None) -> click.Command:
    command = _load(target)
    return command.commands[sub] if sub else command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_imports(name):
    command = _load(COMMANDS[name])
    assert isinstance(command, click.Command), f"{COMMANDS[name]} is not a click command"


@pytest.mark.parametrize(("name", "target", "sub"), COMMAND_PATHS, ids=[p[0] for p in COMMAND_PATHS])
def test_command_and_its_options_have_help(name, target, sub):
    command = _resolve(target, sub)
    assert (command.help or "").strip(), f"`framewatch {name}` has no help text"
    missing = [param.name for param in command.params
               if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()]
    assert not missing, f"`framewatch {name}`: options without help: {missing}"


@pytest.mark.parametrize(("name", "target", "sub"), COMMAND_PATHS, ids=[p[0] for p in COMMAND_PATHS])
def test_command_is_documented(name, target, sub):
    pattern = r"framewatch\s+(?:--?[\w-]+(?:\s+\S+)?\s+)*" + r"\s+".join(map(re.escape, name.split()))
    assert re.search(pattern + r"\b", _docs_text()), \
        f"`framewatch {name}` is not mentioned in README.md or docs/*.md"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_runs_through_the_group(name):
    result = CliRunner().invoke(cli, [name, "--help"], obj={})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_every_command_module_is_wired_into_the_cli():
    wired = {target.partition(":")[0] for target in COMMANDS.values()}
    modules = {f"pipeline.commands.{p.stem}" for p in (REPO / "pipeline" / "commands").glob("*.py")
               if not p.stem.startswith("_")}
    assert not modules - wired, f"command modules not in pipeline.cli.COMMANDS: {sorted(modules - wired)}"
