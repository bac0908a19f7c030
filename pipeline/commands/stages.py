"""`framewatch crawl|clean|frame|reprocess`: run one stage by hand, outside Prefect."""

from __future__ import annotations

import json

import click

from pipeline.commands._common import progress_printer, settings_from, workdir_option
from pipeline.stages import runs
from warehouse.lock import writer_lock

# A stage run by hand waits this long for a scheduled run to release the warehouse.
LOCK_WAIT_SECONDS = 600.0


def _echo(result: dict) -> None:
    click.echo(json.dumps(result, indent=2, default=str))


@click.command("crawl")
@workdir_option
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, exists=True),
              help="Sources file (default: seeds/sources.toml).")
@click.option("--processes", type=click.IntRange(min=1), default=1, show_default=True,
              help='Crawler processes on this machine; more than one needs [crawl] frontier = "redis".')
@click.option("--join", "join_run", metavar="RUN_ID",
              help="Add crawler processes to a running crawl with a Redis frontier "
                   "(started by `framewatch crawl` elsewhere).")
@click.pass_context
def crawl_command(ctx: click.Context, workdir: str | None, sources_file: str | None,
                  processes: int, join_run: str | None) -> None:
    """Crawl every source once: feeds, sitemaps, section pages, then new or changed articles."""
    settings = settings_from(ctx, workdir, sources_file=sources_file)
    if join_run:
        # The crawl's starter holds the writer lock; its crawlers write in short batches.
        from pipeline.stages.crawl import join_crawl

        summary = join_crawl(settings, join_run, processes=processes)
        _echo({"run_id": summary.run_id, "status": summary.status,
               "articles_fetched": summary.articles_fetched, "by_status": summary.by_status})
        return
    from pipeline.stages.crawl import check_frontier

    check_frontier(settings, processes)  # a bad frontier fails here, before anything is written
    run_id = runs.new_run_id()
    if settings.crawl.frontier == "redis":
        click.echo(f"crawl run {run_id}: crawlers on other machines join it with "
                   f"`framewatch crawl --join {run_id}`", err=True)
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        _echo(runs.crawl_stage(settings, run_id, processes=processes))


@click.command("clean")
@workdir_option
@click.pass_context
def clean_command(ctx: click.Context, workdir: str | None) -> None:
    """Extract text and metadata, find duplicates and judge relevance of newly fetched pages."""
    settings = settings_from(ctx, workdir)
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        _echo(runs.clean_stage(settings, runs.new_run_id(), progress=progress_printer("clean")))


@click.command("frame")
@workdir_option
@click.pass_context
def frame_command(ctx: click.Context, workdir: str | None) -> None:
    """Embed passages of in-scope articles and label their frames (only what is new)."""
    settings = settings_from(ctx, workdir)
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        _echo(runs.frame_stage(settings, runs.new_run_id(), progress=progress_printer("frame")))


@click.command("reprocess")
@workdir_option
@click.option("--skip-frames", is_flag=True, help="Only re-run cleaning, not framing.")
@click.pass_context
def reprocess_command(ctx: click.Context, workdir: str | None, skip_frames: bool) -> None:
    """Re-run cleaning and framing of every stored page from the WARC archive, without re-crawling."""
    settings = settings_from(ctx, workdir)
    run_id = runs.new_run_id()
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        result = {"clean": runs.clean_stage(settings, run_id, everything=True,
                                            progress=progress_printer("clean"))}
        if not skip_frames:
            result["frame"] = runs.frame_stage(settings, run_id, progress=progress_printer("frame"))
    _echo(result)
