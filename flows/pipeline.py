"""Prefect flows: crawl -> clean -> frame -> report, each stage a task around pipeline/stages/runs.py.

The flows only orchestrate. Every task takes the settings and a run id, reads its input from the
warehouse and writes its output back, so any task can be retried on its own (stages are
idempotent: a retry continues where the failed attempt stopped). The crawl task is I/O-bound and
runs Scrapy in a subprocess; clean and frame are CPU-bound; report reads views only.

With `[processing] engine = "dask"` the clean and frame tasks hand their work, in units, to the
Dask scheduler the settings name and write the units' results as they come back
(pipeline/distributed/, docs/scale-out.md "Processing on Dask"); the task itself, its retries and
the writer lock stay here.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.settings import Settings, load_settings
from pipeline.stages import runs
from warehouse.lock import writer_lock
from warehouse.snapshot import publish_snapshot

logger = logging.getLogger(__name__)


@task(name="crawl", retries=2, retry_delay_seconds=[10, 60], timeout_seconds=6 * 3600,
      cache_policy=NO_CACHE)
def crawl_task(settings: Settings, run_id: str) -> dict[str, Any]:
    return runs.crawl_stage(settings, run_id)


def _progress(stage: str):
    """Progress of a long stage as log lines in the flow run's log."""
    run_logger = get_run_logger()
    last = [-1]

    def log(done: int, total: int) -> None:
        decile = 10 * done // max(total, 1)
        if decile != last[0]:
            run_logger.info("%s: %d/%d", stage, done, total)
            last[0] = decile

    return log


@task(name="clean", retries=2, retry_delay_seconds=[5, 30], timeout_seconds=6 * 3600,
      cache_policy=NO_CACHE)
def clean_task(settings: Settings, run_id: str) -> dict[str, Any]:
    return runs.clean_stage(settings, run_id, progress=_progress("clean"))


@task(name="frame", retries=2, retry_delay_seconds=[5, 30], timeout_seconds=6 * 3600,
      cache_policy=NO_CACHE)
def frame_task(settings: Settings, run_id: str) -> dict[str, Any]:
    return runs.frame_stage(settings, run_id, progress=_progress("frame"))


@task(name="report", retries=1, retry_delay_seconds=[10], timeout_seconds=3600, cache_policy=NO_CACHE)
def report_task(settings: Settings, run_id: str, week: str | None) -> dict[str, Any]:
    return runs.report_stage(settings, run_id, week=week)


def resolve_settings(
    config: str | None = None, workdir: str | None = None, sources_file: str | None = None
) -> Settings:
    """Settings from the config file and environment, with a flow's own overrides on top."""
    settings = load_settings(config)
    if workdir:
        settings = settings.with_workdir(workdir)
    if sources_file:
        settings = replace(settings, sources_file=str(sources_file))
    return settings


def _locked(settings: Settings, wait_seconds: float):
    return writer_lock(settings.db_path, wait_seconds)


@flow(name="crawl")
def crawl_flow(config: str | None = None, workdir: str | None = None,
               sources_file: str | None = None, lock_wait_seconds: float = 3600) -> dict[str, Any]:
    """Crawl every source once."""
    settings = resolve_settings(config, workdir, sources_file)
    with _locked(settings, lock_wait_seconds):
        return crawl_task(settings, runs.new_run_id())


@flow(name="process")
def process_flow(config: str | None = None, workdir: str | None = None,
                 lock_wait_seconds: float = 3600) -> dict[str, Any]:
    """Clean, deduplicate, judge relevance and frame everything the crawls stored."""
    settings = resolve_settings(config, workdir)
    run_id = runs.new_run_id()
    with _locked(settings, lock_wait_seconds):
        cleaned = clean_task(settings, run_id)
        framed = frame_task(settings, run_id)
        publish_snapshot(settings.warehouse_target)
    return {"run_id": run_id, "clean": cleaned, "frame": framed}


@flow(name="report")
def report_flow(config: str | None = None, workdir: str | None = None, week: str | None = None,
                lock_wait_seconds: float = 3600) -> dict[str, Any]:
    """Write the weekly framing-trend report (default: the last complete ISO week)."""
    settings = resolve_settings(config, workdir)
    with _locked(settings, lock_wait_seconds):
        return report_task(settings, runs.new_run_id(), week)


@flow(name="pipeline")
def pipeline_flow(config: str | None = None, workdir: str | None = None,
                  sources_file: str | None = None, week: str | None = None,
                  lock_wait_seconds: float = 3600) -> dict[str, Any]:
    """crawl -> clean -> frame -> report, under one writer lock."""
    settings = resolve_settings(config, workdir, sources_file)
    run_id = runs.new_run_id()
    with _locked(settings, lock_wait_seconds):
        crawled = crawl_task(settings, run_id)
        cleaned = clean_task(settings, run_id)
        framed = frame_task(settings, run_id)
        reported = report_task(settings, run_id, week)
        publish_snapshot(settings.warehouse_target)
    return {"run_id": run_id, "crawl": crawled, "clean": cleaned, "frame": framed,
            "report": reported, "database": str(settings.db_path)}
