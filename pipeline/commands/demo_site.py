"""`framewatch demo-site`: serve the synthetic news web on loopback until Ctrl-C."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import date
from pathlib import Path

import click

from pipeline.demo_site import SCALES, DemoSite, build_corpus

logger = logging.getLogger(__name__)


@click.command(
    "demo-site",
    help=(
        "Serve the synthetic demo news site (fictional outlets, one 127.0.0.x address each) "
        "until Ctrl-C. Prints the base URL of every outlet; --sources-out writes a sources.toml "
        "that points the crawler at it."
    ),
)
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Seed of the synthetic corpus: the same seed and anchor give the same site.",
)
@click.option(
    "--scale",
    type=click.Choice(sorted(SCALES)),
    default="demo",
    show_default=True,
    help="small: 3 outlets, ~55 articles (tests); demo: 6 outlets, ~500; bench: 8 outlets, 5,000.",
)
@click.option(
    "--anchor",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Corpus ends with the last complete ISO week before this date (YYYY-MM-DD). "
    "Default: today (UTC).",
)
@click.option(
    "--host-prefix",
    default="127.0.0",
    show_default=True,
    help="First three octets of the loopback addresses; outlets get .11, .12, ...",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="0: a free port per outlet; otherwise a base port (outlet i listens on port+i).",
)
@click.option(
    "--faults/--no-faults",
    default=False,
    show_default=True,
    help="Add the 'hostile' outlet whose endpoints misbehave (5xx, 429, slow, gzip bomb...).",
)
@click.option(
    "--slow-seconds",
    type=click.FloatRange(0, 120),
    default=5.0,
    show_default=True,
    help="How long the hostile outlet's slow page waits before answering.",
)
@click.option(
    "--sources-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a sources.toml for the running site to this path.",
)
@click.option(
    "--truth-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the ground truth (frames, wire groups, planted trends, faults) as JSON here.",
)
@click.option(
    "--backcatalogue-out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the outlets' back catalogue here: months before the site's weeks as CC-NEWS-like "
    "WARC files (warc/) and a Media Cloud-style CSV of the served articles (docs/backfill.md).",
)
@click.option(
    "--backcatalogue-months",
    type=click.IntRange(2, 120),
    default=14,
    show_default=True,
    help="Months of back catalogue written by --backcatalogue-out.",
)
def command(
    seed: int,
    scale: str,
    anchor: object,
    host_prefix: str,
    port: int,
    faults: bool,
    slow_seconds: float,
    sources_out: Path | None,
    truth_out: Path | None,
    backcatalogue_out: Path | None,
    backcatalogue_months: int,
) -> None:
    anchor_date: date | None = anchor.date() if anchor is not None else None  # type: ignore[attr-defined]
    corpus = build_corpus(seed=seed, scale=scale, anchor=anchor_date)
    try:
        site = DemoSite(
            corpus, host_prefix=host_prefix, port=port, faults=faults, slow_seconds=slow_seconds
        )
        site.start()
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    try:
        click.echo(
            f"Synthetic demo site: {len(corpus.articles)} articles, weeks {corpus.weeks[0]}..{corpus.weeks[-1]} "
            f"(seed {seed}, scale {scale}, anchor {corpus.anchor})"
        )
        for outlet_id, base_url in site.base_urls.items():
            click.echo(f"  {outlet_id:<16} {base_url}/")
        if sources_out is not None:
            click.echo(f"Wrote {site.write_sources_toml(sources_out)}")
        if truth_out is not None:
            truth_out.parent.mkdir(parents=True, exist_ok=True)
            truth_out.write_text(json.dumps(site.truth(), indent=1), encoding="utf-8")
            click.echo(f"Wrote {truth_out}")
        if backcatalogue_out is not None:
            from pipeline.demo_site.backcatalogue import write_demo_backcatalogue

            written = write_demo_backcatalogue(backcatalogue_out, corpus, site.base_urls,
                                               months=backcatalogue_months, seed=seed,
                                               host_prefix=host_prefix)
            click.echo(f"Wrote the back catalogue {written['first_month']}..{written['last_month']}: "
                       f"{len(written['warc_files'])} WARC files in {backcatalogue_out / 'warc'}, "
                       f"{written['mediacloud_csv']}")
        click.echo("Serving; press Ctrl-C to stop.")
        previous = _stop_on_sigterm()
        try:
            _wait_forever()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        site.stop()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm():
    """Treat SIGTERM like Ctrl-C (a background job ignores SIGINT); returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


def _wait_forever() -> None:
    # Event.wait with a timeout wakes regularly, so Ctrl-C is handled promptly.
    forever = threading.Event()
    while not forever.wait(1.0):
        pass
