"""The clean and frame stages with their work on Dask (`[processing] engine = "dask"`).

Called by `pipeline.stages.runs.clean_stage` / `frame_stage` (so the flows and the CLI both
honour the setting). The Dask client is made first: a scheduler that does not answer is one line
naming `processing.dask_address`, before the warehouse is opened, so nothing is written. This
process then holds the warehouse for writing (the single file's one writer), cuts the stage's
input into units, claims them (warehouse/claims.py), and writes each unit's result as it
arrives; the workers run the pure cores (pipeline/distributed/worker.py).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from pipeline.distributed.engine import DaskUnits, dask_client
from pipeline.distributed.worker import (
    _framing,
    archive_location,
    clean_unit,
    frame_unit,
    on_worker,
)
from pipeline.settings import Settings
from pipeline.stages.runs import WAREHOUSE_WAIT_SECONDS, recorded_stage
from warehouse.claims import WorkClaims
from warehouse.db import warehouse
from warehouse.queries import named_queries


def for_workers(settings: Settings) -> Settings:
    """The settings with every path a worker reads made absolute (a worker's working
    directory is not this process's)."""
    def absolute(value: str) -> str:
        return str(Path(value).resolve()) if value else value

    framing = settings.framing
    return replace(
        on_worker(settings),
        workdir=settings.workdir.resolve(), seeds_dir=settings.seeds_dir.resolve(),
        archive_dir=absolute(str(settings.archive_path)),
        framing=replace(framing, workers=1, codebook=absolute(framing.codebook),
                        calibration=absolute(framing.calibration), models_dir=absolute(framing.models_dir)),
    )


def _owner(run_id: str) -> str:
    return f"{run_id}/{socket.gethostname()}/{os.getpid()}"


def _claims(settings: Settings, con: Any, stage: str, owner: str) -> tuple[WorkClaims, bool]:
    """The stage's claims, and whether they share the stage's transactions (the single file)."""
    on_file = settings.warehouse.backend == "duckdb"
    claims = WorkClaims(settings.warehouse_target, connection=con if on_file else None)
    if on_file:
        # This process holds the only writer connection: unfinished claims are a dead run's.
        con.execute(named_queries("units")["free_dead_claims"], [stage, owner])
    return claims, on_file


def clean_stage_on_dask(settings: Settings, run_id: str, *, everything: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    from pipeline.stages.clean import clean_in_units

    processing = settings.processing
    remote = for_workers(settings)
    archive = archive_location(remote)
    owner = _owner(run_id)
    with (
        dask_client(processing) as client,  # first: a scheduler that does not answer writes nothing
        warehouse(settings.warehouse_target, wait_seconds=WAREHOUSE_WAIT_SECONDS) as con,
        recorded_stage(con, run_id, "clean") as outcome,
    ):
        claims, on_file = _claims(settings, con, "clean", owner)
        try:
            summary = clean_in_units(
                con, partial(DaskUnits(client, "clean").run, clean_unit),
                lambda unit: (remote, archive, list(unit.items)), claims,
                owner=owner, unit_size=processing.unit_size, lease_seconds=processing.lease_seconds,
                claims_share_transaction=on_file, everything=everything,
                salt=run_id if everything else "", progress=progress)
        finally:
            claims.close()
        outcome.update(rows_in=summary.pages, rows_out=summary.ok,
                       message=f"in scope {summary.in_scope}, duplicates {summary.duplicates}, "
                               f"units {summary.units} on dask")
    return summary.as_dict()


def frame_stage_on_dask(settings: Settings, run_id: str, *, relabel_all: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    from pipeline.report.weeks import last_complete_week
    from pipeline.stages.embedding_cache import EmbeddingCache
    from pipeline.stages.emerging import update_emerging
    from pipeline.stages.frame import frame_in_units

    processing = settings.processing
    remote = for_workers(settings)
    owner = _owner(run_id)
    with dask_client(processing) as client:
        # The flow needs the label version (model, codebook, calibration) the workers label
        # under, and the emerging-cluster step after the units embeds here: the same model.
        frame_model, embedder = _framing(remote)
        with (
            warehouse(settings.warehouse_target, wait_seconds=WAREHOUSE_WAIT_SECONDS) as con,
            recorded_stage(con, run_id, "frame") as outcome,
        ):
            claims, on_file = _claims(settings, con, "frame", owner)
            cache = EmbeddingCache(con, embedder)
            try:
                summary = frame_in_units(
                    con, partial(DaskUnits(client, "frame").run, frame_unit),
                    lambda unit, version, known: (remote, version, list(unit.items), known),
                    claims, frame_model, cache,
                    owner=owner, unit_size=processing.unit_size, lease_seconds=processing.lease_seconds,
                    claims_share_transaction=on_file, relabel_all=relabel_all,
                    salt=run_id if relabel_all else "", progress=progress)
            finally:
                claims.close()
            clusters = update_emerging(con, cache.model_id, last_complete_week(),
                                       label_version=summary.label_version)
            outcome.update(rows_in=summary.articles, rows_out=summary.passages,
                           message=f"label version {summary.label_version}, embedded {summary.embedded}, "
                                   f"emerging clusters {clusters}, units {summary.units} on dask")
    return {**summary.as_dict(), "emerging_clusters": clusters}
