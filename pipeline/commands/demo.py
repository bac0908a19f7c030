"""`framewatch demo`: serve the synthetic news site on loopback and run the whole pipeline on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pipeline.commands._common import settings_from
from pipeline.commands.run import print_outcome

DEMO_CONFIG = """\
# Written by `framewatch demo`: the demo site runs on this machine, so politeness delays are short.
[crawl]
download_delay = 0.02
autothrottle_target_concurrency = 4.0
concurrent_requests_per_domain = 4
"""


@click.command("demo")
@click.option("--workdir", type=click.Path(file_okay=False), default="framewatch-demo",
              show_default=True, help="Folder for everything the demo writes (database, archive, report).")
@click.option("--scale", type=click.Choice(["small", "demo"]), default="demo", show_default=True,
              help="Size of the synthetic news site.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the synthetic corpus.")
@click.option("--port", type=int, default=18711, show_default=True,
              help="Base port of the demo outlets (outlet i listens on port+i). Fixed, so that a "
                   "second demo run finds the same URLs and fetches only what changed.")
@click.pass_context
def command(ctx: click.Context, workdir: str, scale: str, seed: int, port: int) -> None:
    """Start the local demo news site, crawl it, clean, frame, and write the weekly report.

    Settings: the root --config file if given, else <workdir>/framewatch.toml (written on the
    first run with short politeness delays, since the demo site runs on this machine).
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.pipeline import pipeline_flow
    from pipeline.demo_site import build_corpus

    given = (ctx.find_root().obj or {}).get("config")
    if given:
        settings_from(ctx, workdir)  # a wrong settings file stops here, before the site starts
    folder = Path(workdir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    config = Path(given) if given else folder / "framewatch.toml"
    if not given and not config.exists():
        config.write_text(DEMO_CONFIG, encoding="utf-8")
    corpus = build_corpus(seed=seed, scale=scale)
    with serving(corpus, port) as site:
        sources = folder / "demo-sources.toml"
        site.write_sources_toml(sources)
        click.echo(f"Demo news site: {len(site.base_urls)} outlets on loopback, "
                   f"{len(corpus.articles)} synthetic articles", err=True)
        result = pipeline_flow(config=str(config), workdir=str(folder), sources_file=str(sources))
    print_outcome(result)


@contextmanager
def serving(corpus, port: int) -> Iterator:
    """The demo site on its fixed ports, or a clear error when they are taken."""
    from pipeline.demo_site import DemoSite

    site = DemoSite(corpus, port=port)
    try:
        site.start()
    except OSError as error:
        raise click.ClickException(
            f"cannot serve the demo site on ports {port}-{port + len(corpus.outlets) - 1}: {error}; "
            "pick other ports with --port") from error
    try:
        yield site
    finally:
        site.stop()
