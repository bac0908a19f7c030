"""`framewatch import warc|urls|texts`: back-fill the warehouse from archives and exports."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import click

from pipeline.commands._common import progress_printer, settings_from, workdir_option
from pipeline.errors import FramewatchError
from pipeline.imports import TextColumns
from pipeline.seeds import load_sources, load_topic
from pipeline.settings import Settings
from pipeline.stages import imports, runs
from warehouse.db import warehouse
from warehouse.lock import writer_lock

LOCK_WAIT_SECONDS = 600.0
WARC_PATTERNS = ("*.warc", "*.warc.gz")


class ImportInputError(FramewatchError):
    """An import was given nothing it can read."""


def _echo(result: dict[str, Any]) -> None:
    click.echo(json.dumps(result, indent=2, default=str))


def warc_files(patterns: tuple[str, ...]) -> list[Path]:
    """The WARC files named by paths, globs and folders (searched recursively), in order."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            matches = sorted({p for suffix in WARC_PATTERNS for p in path.rglob(suffix)})
        elif glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        elif path.is_file():
            matches = [path]
        else:
            raise ImportInputError(f"{pattern}: no such file or folder")
        if not matches:
            raise ImportInputError(f"{pattern}: matches no WARC file (*.warc, *.warc.gz)")
        found.extend(m for m in matches if m not in found)
    return found


def _readable_file(path: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise ImportInputError(f"{path}: no such file")
    return file


def _process(settings: Settings, run_id: str, enabled: bool, frame: bool = True) -> dict[str, Any]:
    """Clean (and frame) what the import stored, as `framewatch clean` / `frame` would."""
    if not enabled:
        return {}
    result = {"clean": runs.clean_stage(settings, run_id, progress=progress_printer("clean"))}
    if frame:
        result["frame"] = runs.frame_stage(settings, run_id, progress=progress_printer("frame"))
    return result


def _file_progress(label: str) -> Any:
    def show(name: str, seen: int) -> None:
        click.echo(f"{label}: {name}: {seen} records", err=True)
    return show


process_option = click.option(
    "--process/--no-process", default=True, show_default=True,
    help="Run the clean and frame stages on what was imported.")
encoding_option = click.option(
    "--encoding", default="utf-8-sig", show_default=True,
    help="Text encoding of the file (rows that do not decode are skipped and counted).")


@click.group("import")
def command() -> None:
    """Back-fill the warehouse from web archives, URL lists and text exports (docs/backfill.md)."""


@command.command("warc")
@workdir_option
@click.argument("paths", nargs=-1, required=True)
@click.option("--unknown-hosts", type=click.Choice(imports.UNKNOWN_HOSTS), default="keep",
              show_default=True,
              help="Pages from hosts sources.toml does not follow: keep them under a source "
                   "derived from the host (marked not followed), or skip them.")
@process_option
@click.pass_context
def warc_command(ctx: click.Context, workdir: str | None, paths: tuple[str, ...],
                 unknown_hosts: str, process: bool) -> None:
    """Import the on-topic HTML pages of WARC files (.warc, .warc.gz; paths, globs, folders).

    A topic pre-filter on the raw bytes skips pages that name no term of seeds/topic.toml
    before any HTML parsing. Each page keeps its provenance (file, offset, record id, capture
    time). Importing the same file again adds nothing.
    """
    settings = settings_from(ctx, workdir)
    files = warc_files(paths)
    sources = load_sources(settings.sources_path)
    topic = load_topic(settings.topic_path)
    run_id = runs.new_run_id()
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        if settings.processing.engine == "dask":
            summary = _import_warc_on_dask(settings, files, sources, topic.terms, unknown_hosts, run_id)
        else:
            with warehouse(settings.warehouse_target, wait_seconds=runs.WAREHOUSE_WAIT_SECONDS) as con:
                summary = imports.import_warc(
                    con, files, archive_dir=Path(settings.archive_path), sources=sources,
                    topic_terms=topic.terms, unknown_hosts=unknown_hosts,
                    warc_max_bytes=settings.crawl.warc_max_bytes, progress=_file_progress("import"))
        result = summary.as_dict()
        result.update(_process(settings, run_id, process and summary.imported > 0))
    _echo(result)


def _import_warc_on_dask(settings: Settings, files: list[Path], sources: list, terms: tuple[str, ...],
                         unknown_hosts: str, run_id: str) -> imports.ImportSummary:
    """`[processing] engine = "dask"`: one unit of work per file on the settings' Dask cluster."""
    import os
    import socket

    from pipeline.distributed.engine import DaskUnits, dask_client
    from warehouse.claims import WorkClaims
    from warehouse.queries import named_queries

    owner = f"{run_id}/{socket.gethostname()}/{os.getpid()}"
    on_file = settings.warehouse.backend == "duckdb"
    # The client first: a scheduler that does not answer fails before anything is written.
    with (
        dask_client(settings.processing) as client,
        warehouse(settings.warehouse_target, wait_seconds=runs.WAREHOUSE_WAIT_SECONDS) as con,
    ):
        if on_file:  # this process holds the file's only writer: unfinished claims are a killed run's
            con.execute(named_queries("units")["free_dead_claims"], [imports.DASK_STAGE, owner])
        claims = WorkClaims(settings.warehouse_target, connection=con if on_file else None)
        try:
            return imports.import_warc_on_dask(
                con, [f.resolve() for f in files], run_units=DaskUnits(client, "import").run,
                claims=claims, owner=owner, lease_seconds=settings.processing.lease_seconds,
                archive_dir=Path(settings.archive_path), sources=sources, topic_terms=terms,
                unknown_hosts=unknown_hosts, warc_max_bytes=settings.crawl.warc_max_bytes)
        finally:
            claims.close()


@command.command("urls")
@workdir_option
@click.argument("file")
@encoding_option
@process_option
@click.pass_context
def urls_command(ctx: click.Context, workdir: str | None, file: str, encoding: str,
                 process: bool) -> None:
    """Fetch the stories of a URL list with the crawler (robots.txt, politeness, WARC archive).

    FILE is a Media Cloud story export, a GDELT event or GKG file, any CSV with a `url`
    column, or text with one URL per line. Only URLs of sources in sources.toml are fetched,
    and nothing else; dates in the file are kept as a fallback publication date.
    """
    from pipeline.stages.crawl import run_crawl

    settings = settings_from(ctx, workdir)
    path = _readable_file(file)
    sources = load_sources(settings.sources_path)
    run_id = runs.new_run_id()
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        with warehouse(settings.warehouse_target, wait_seconds=runs.WAREHOUSE_WAIT_SECONDS) as con:
            job = imports.prepare_url_import(con, path, sources=sources, encoding=encoding,
                                             work_dir=settings.workdir / "logs")
        crawl, failure, crawl_run = None, None, None
        if job.listed:
            crawl_run = run_id
            try:
                result = run_crawl(settings, run_id=crawl_run,
                                   scrapy_overrides={"FRAMEWATCH_URL_LIST": str(job.list_path)})
                crawl = {"run_id": result.run_id, "status": result.status,
                         "by_status": result.by_status}
            except FramewatchError as error:
                failure = str(error).splitlines()[0]
        with warehouse(settings.warehouse_target, wait_seconds=runs.WAREHOUSE_WAIT_SECONDS) as con:
            summary = imports.finish_url_import(con, job, crawl_run, crawl, failure)
        output = summary.as_dict()
        output.update(_process(settings, run_id, process and summary.imported > 0))
    _echo(output)
    if failure:
        raise ImportInputError(f"the crawl of {file} failed: {failure}")


@command.command("texts")
@workdir_option
@click.argument("file")
@click.option("--title-field", default="title", show_default=True, help="Field with the headline.")
@click.option("--text-field", default="text", show_default=True, help="Field with the article text.")
@click.option("--date-field", default="date", show_default=True, help="Field with the publication date.")
@click.option("--outlet-field", default="outlet", show_default=True, help="Field with the outlet's name or source id.")
@click.option("--url-field", default="url", show_default=True, help="Field with the article URL (optional).")
@encoding_option
@click.option("--frame/--no-frame", default=True, show_default=True,
              help="Run the frame stage on the imported articles.")
@click.pass_context
def texts_command(ctx: click.Context, workdir: str | None, file: str, title_field: str,
                  text_field: str, date_field: str, outlet_field: str, url_field: str,
                  encoding: str, frame: bool) -> None:
    """Import articles without HTML (JSONL or CSV: title, text, date, outlet, url).

    They are marked as imported and go through de-duplication, relevance and framing like
    crawled pages. Bad rows are reported with their line numbers and skipped.
    """
    from pipeline.relevance import RelevanceModel
    from pipeline.stages.embedding_cache import EmbeddingCache

    settings = settings_from(ctx, workdir)
    path = _readable_file(file)
    sources = load_sources(settings.sources_path)
    topic = load_topic(settings.topic_path)
    columns = TextColumns(title=title_field, text=text_field, date=date_field,
                          outlet=outlet_field, url=url_field)
    run_id = runs.new_run_id()
    embedder = runs.embedder_for(settings)
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        with warehouse(settings.warehouse_target, wait_seconds=runs.WAREHOUSE_WAIT_SECONDS) as con:
            cache = EmbeddingCache(con, embedder)
            summary = imports.import_texts(
                con, path, sources=sources, relevance=RelevanceModel(topic, cache.encode),
                columns=columns, encoding=encoding, progress=_file_progress("import"))
        output = summary.as_dict()
        if frame and summary.imported:
            output["frame"] = runs.frame_stage(settings, run_id, progress=progress_printer("frame"))
    _echo(output)
