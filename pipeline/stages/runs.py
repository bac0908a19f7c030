"""Each stage as one call: open the warehouse, do the stage's work, record it in core.stage_runs.

These are what the Prefect flows wrap as tasks and what the stage sub-commands call directly.
They take the settings and a run id only, so a worker on another machine can run any of them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from pipeline.settings import Settings
from warehouse.db import warehouse
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

# How long a stage waits for another process to release the warehouse before giving up.
WAREHOUSE_WAIT_SECONDS = 600.0


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def recorded_stage(
    con: duckdb.DuckDBPyConnection, run_id: str, stage: str
) -> Iterator[dict[str, Any]]:
    """Record a stage's start, end, outcome and row counts in core.stage_runs."""
    started = time.monotonic()
    # This process can write the warehouse, so no other process is inside a stage: rows still
    # 'running' were left by a killed run.
    queries = named_queries("stages")
    con.execute(queries["interrupt_running"])
    con.execute(queries["start_stage"], [run_id, stage, _now()])
    outcome: dict[str, Any] = {}
    try:
        yield outcome
    except BaseException as error:
        con.execute(
            queries["fail_stage"],
            [_now(), time.monotonic() - started, f"{type(error).__name__}: {error}"[:2000], run_id, stage],
        )
        raise
    con.execute(
        queries["finish_stage"],
        [
            _now(), time.monotonic() - started, outcome.get("rows_in"), outcome.get("rows_out"),
            outcome.get("message"), run_id, stage,
        ],
    )


@lru_cache(maxsize=2)
def load_embedder(
    model: str, backend: str, batch_size: int, threads: int, workers: int = 1, trust: bool = False
) -> Any:
    """One embedder per process and model: loading the model costs seconds."""
    from pipeline.framing.embed import Embedder

    return Embedder(
        model or None, backend=backend, batch_size=batch_size, threads=threads, workers=workers,
        trust=trust,
    )


def embedder_for(settings: Settings, model: str | Path | None = None) -> Any:
    """The settings' embedder, or with model (a path or name) that model run the same way."""
    framing = settings.framing
    args = (
        framing.model if model is None else str(model), framing.backend, framing.batch_size,
        framing.threads, framing.workers,
    )
    # Positional arguments alone when not trusting: the cache key the test suite shares too.
    return load_embedder(*args, trust=True) if framing.trust_model else load_embedder(*args)


def crawl_stage(settings: Settings, run_id: str, *, processes: int = 1) -> dict[str, Any]:
    """Crawl the sources (Scrapy in subprocesses, which write the warehouse themselves;
    several share a Redis frontier, docs/scale-out.md)."""
    from pipeline.stages.crawl import run_crawl

    started_at, started = _now(), time.monotonic()
    try:
        summary = run_crawl(settings, run_id=run_id, processes=processes)
    except BaseException as error:
        _record_finished(settings, run_id, "crawl", started_at, started, "failed", None,
                         f"{type(error).__name__}: {error}")
        raise
    result = {
        "run_id": summary.run_id, "status": summary.status, "seconds": round(summary.seconds, 1),
        "urls_seen": summary.urls_seen, "articles_fetched": summary.articles_fetched,
        "by_status": summary.by_status, "by_source": summary.by_source,
    }
    _record_finished(settings, run_id, "crawl", started_at, started, "finished", result, None)
    return result


def _record_finished(
    settings: Settings, run_id: str, stage: str, started_at: datetime, started: float,
    status: str, result: dict[str, Any] | None, message: str | None,
) -> None:
    with warehouse(settings.warehouse_target, wait_seconds=WAREHOUSE_WAIT_SECONDS) as con:
        con.execute(
            named_queries("stages")["record_stage"],
            [run_id, stage, started_at, _now(), status, (result or {}).get("urls_seen"),
             (result or {}).get("articles_fetched"), time.monotonic() - started,
             (message or "")[:2000] or None],
        )


def clean_stage(
    settings: Settings, run_id: str, *, everything: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Extract, deduplicate and judge relevance of every page not yet cleaned."""
    if settings.processing.engine != "local":  # on Dask (an unknown engine is refused there)
        from pipeline.distributed.stages import clean_stage_on_dask

        return clean_stage_on_dask(settings, run_id, everything=everything, progress=progress)
    from pipeline.relevance import RelevanceModel
    from pipeline.seeds import load_topic
    from pipeline.stages.clean import clean_pending
    from pipeline.stages.embedding_cache import EmbeddingCache

    topic = load_topic(settings.topic_path)
    # Relevance embedding, not extraction, is most of this stage's work on a corpus of AI
    # coverage: with embedding workers too, both CPUs stay busy (18 -> 29 pages/s, 5,000 pages).
    embedder = embedder_for(settings)
    with (
        warehouse(settings.warehouse_target, wait_seconds=WAREHOUSE_WAIT_SECONDS) as con,
        recorded_stage(con, run_id, "clean") as outcome,
    ):
        cache = EmbeddingCache(con, embedder)
        relevance = RelevanceModel(topic, cache.encode)
        summary = clean_pending(
            con, Path(settings.archive_path), relevance, everything=everything, progress=progress
        )
        outcome.update(rows_in=summary.pages, rows_out=summary.ok,
                       message=f"in scope {summary.in_scope}, duplicates {summary.duplicates}")
    return summary.as_dict()


def framing_for(settings: Settings) -> tuple[Any, Any]:
    """The frame model and the embedder its passages are embedded with.

    That is the settings' model, else the encoder the calibration chose (from the models
    folder), else the bundled default; a calibration with a tuned encoder brings its own. Each
    model's vectors are stored under its own id, beside the others.
    """
    from pipeline.framing.calibrate import Calibration, embedding_model
    from pipeline.framing.codebook import load_codebook
    from pipeline.framing.model import FrameModel
    from pipeline.framing.models_registry import models_dir_from

    codebook = load_codebook(settings.codebook_path)
    path = settings.framing.calibration
    calibration = Calibration.load(path) if path else None
    model = embedding_model(
        calibration, settings.framing.model or None, models_dir_from(settings.framing.models_dir)
    )
    embedder = embedder_for(settings, model)
    return FrameModel(codebook, embedder, calibration=calibration), embedder


def frame_stage(
    settings: Settings, run_id: str, *, relabel_all: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Split, embed (cached) and label every in-scope article that needs it."""
    if settings.processing.engine != "local":  # on Dask (an unknown engine is refused there)
        from pipeline.distributed.stages import frame_stage_on_dask

        return frame_stage_on_dask(settings, run_id, relabel_all=relabel_all, progress=progress)
    from pipeline.report.weeks import last_complete_week
    from pipeline.stages.embedding_cache import EmbeddingCache
    from pipeline.stages.emerging import update_emerging
    from pipeline.stages.frame import frame_pending

    frame_model, embedder = framing_for(settings)
    with (
        warehouse(settings.warehouse_target, wait_seconds=WAREHOUSE_WAIT_SECONDS) as con,
        recorded_stage(con, run_id, "frame") as outcome,
    ):
        cache = EmbeddingCache(con, embedder)
        summary = frame_pending(con, frame_model, cache, relabel_all=relabel_all, progress=progress)
        clusters = update_emerging(con, cache.model_id, last_complete_week(),
                                   label_version=summary.label_version)
        outcome.update(rows_in=summary.articles, rows_out=summary.passages,
                       message=f"label version {summary.label_version}, embedded {summary.embedded}, "
                               f"emerging clusters {clusters}")
    return {**summary.as_dict(), "emerging_clusters": clusters}


def report_stage(settings: Settings, run_id: str, *, week: str | None = None) -> dict[str, Any]:
    """Write the weekly framing-trend report from the warehouse views."""
    from pipeline.report import build_report

    with (
        warehouse(settings.warehouse_target, wait_seconds=WAREHOUSE_WAIT_SECONDS) as con,
        recorded_stage(con, run_id, "report") as outcome,
    ):
        result = build_report(con, week, Path(settings.reports_path), **settings.report.build_arguments())
        outcome.update(message=str(result.path_html))
    return {"week": result.week, "html": str(result.path_html), "markdown": str(result.path_md),
            "folder": str(result.folder)}
