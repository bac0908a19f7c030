"""Frame stage: in-scope articles -> passages -> embeddings (cached) -> frame labels with evidence.

Labels are stored with the label version (model, codebook, calibration) that produced them. An
article is (re)labelled when it has no labels, when its text changed since, or when the label
version changed; embeddings come from the cache, so relabelling after a codebook or calibration
change embeds nothing new.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.distributed.units import Unit, make_units
from pipeline.framing.model import FrameModel
from pipeline.framing.passages import split_passages
from pipeline.stages.embedding_cache import EmbeddingCache, text_sha256
from warehouse.claims import WorkClaims
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)

BATCH_SIZE = 64
EVIDENCE_PER_FRAME = 3


@dataclass
class FrameSummary:
    articles: int = 0
    passages: int = 0
    embedded: int = 0
    cached: int = 0
    label_version: str = ""
    stale_removed: int = 0
    units: int = 0  # units of work done (processing on Dask)
    units_held_elsewhere: int = 0  # units another live worker holds: labelled by a later run

    def as_dict(self) -> dict[str, Any]:
        result = dict(self.__dict__)
        if not (self.units or self.units_held_elsewhere):  # the single-process path has no units
            del result["units"], result["units_held_elsewhere"]
        return result


def label_version_for(model_id: str, frame_model: FrameModel) -> str:
    return hashlib.sha1(f"{model_id}|{frame_model.version}".encode()).hexdigest()[:12]


def register_label_version(
    con: duckdb.DuckDBPyConnection, frame_model: FrameModel, model_id: str
) -> str:
    """Record what produces this run's labels (model, codebook, calibration); return its id."""
    codebook = frame_model.codebook
    version = label_version_for(model_id, frame_model)
    calibration = frame_model.calibration.version if frame_model.calibration is not None else None
    source = Path(codebook.source)
    codebook_toml = source.read_text(encoding="utf-8") if source.is_file() else None
    queries = named_queries("frame")
    con.execute(
        queries["insert_label_version"],
        [
            version, model_id, codebook.id, codebook.version, codebook.fingerprint,
            calibration, codebook_toml,
        ],
    )
    for position, frame in enumerate(codebook.frames):
        con.execute(
            queries["insert_codebook_frame"],
            [codebook.fingerprint, frame.id, frame.label, frame.definition, position],
        )
    return version


def _replace(con: duckdb.DuckDBPyConnection, table: str, ids: list[str], rows: pa.Table) -> None:
    # Inline, not in frame.sql: the table and its column list are the caller's (one helper for
    # passages, labels and evidence).
    con.register("batch_ids", pa.table({"article_id": pa.array(ids, pa.string())}))
    con.register("batch_rows", rows)
    try:
        con.execute(f"delete from {table} where article_id in (select article_id from batch_ids)")
        if rows.num_rows:
            columns = ", ".join(rows.column_names)
            con.execute(f"insert into {table} ({columns}) select {columns} from batch_rows")
    finally:
        con.unregister("batch_ids")
        con.unregister("batch_rows")


_PASSAGE_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("idx", pa.int32()), ("kind", pa.string()),
    ("text", pa.string()), ("text_sha256", pa.string())])
_LABEL_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("frame_id", pa.string()), ("score", pa.float64()),
    ("present", pa.bool_()), ("is_primary", pa.bool_()), ("label_version", pa.string()),
    ("labelled_at", pa.timestamp("us"))])
_EVIDENCE_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("frame_id", pa.string()), ("rank", pa.int32()),
    ("passage_idx", pa.int32()), ("score", pa.float64()), ("label_version", pa.string())])


@dataclass
class LabelledBatch:
    """What labelling a batch of articles produced: the rows of their passages, labels and
    evidence (keyed by article id), plus how many passages that was."""

    article_ids: list[str]
    passages: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    evidence: list[dict[str, Any]]


def _passages(title: str | None, text: str) -> list[Any]:
    return split_passages(title, [p for p in text.split("\n\n") if p.strip()])


def label_articles(
    batch: Sequence[tuple[str, str | None, str]],
    frame_model: FrameModel,
    encode: Callable[[list[str]], Any],
    label_version: str,
) -> LabelledBatch:
    """Split, embed and label a batch of (article id, title, text): data in, rows out (runs in
    this process or on a Dask worker; `encode` is the embedding cache or a worker's model)."""
    ids = [article_id for article_id, _, _ in batch]
    passages_per_article = [_passages(title, text) for _, title, text in batch]
    vectors = encode([p.text for passages in passages_per_article for p in passages])
    now = datetime.now(UTC).replace(tzinfo=None)
    labelled = LabelledBatch(ids, [], [], [])
    offset = 0
    for article_id, passages in zip(ids, passages_per_article, strict=True):
        labelled.passages += [
            {"article_id": article_id, "idx": p.idx, "kind": p.kind, "text": p.text,
             "text_sha256": text_sha256(p.text)}
            for p in passages
        ]
        if not passages:
            continue
        result = frame_model.score(passages, vectors[offset : offset + len(passages)])
        offset += len(passages)
        labelled.labels += [
            {"article_id": article_id, "frame_id": frame_id, "score": float(score),
             "present": frame_id in result.present, "is_primary": frame_id == result.primary,
             "label_version": label_version, "labelled_at": now}
            for frame_id, score in result.scores.items()
        ]
        labelled.evidence += [
            {"article_id": article_id, "frame_id": frame_id, "rank": rank, "passage_idx": int(idx),
             "score": float(score), "label_version": label_version}
            for frame_id, ranked in result.evidence.items()
            for rank, (idx, score) in enumerate(ranked[:EVIDENCE_PER_FRAME], start=1)
        ]
    return labelled


def write_labelled(con: duckdb.DuckDBPyConnection, labelled: LabelledBatch) -> int:
    """Replace the batch's articles' passages, labels and evidence (inside the caller's
    transaction): keyed by article id, so writing the same batch twice leaves one copy."""
    ids = labelled.article_ids
    _replace(con, "core.passages", ids, pa.Table.from_pylist(labelled.passages, schema=_PASSAGE_SCHEMA))
    _replace(con, "core.frame_labels", ids, pa.Table.from_pylist(labelled.labels, schema=_LABEL_SCHEMA))
    _replace(con, "core.frame_evidence", ids,
             pa.Table.from_pylist(labelled.evidence, schema=_EVIDENCE_SCHEMA))
    return len(labelled.passages)


def _label_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Sequence[tuple[str, str | None, str]],
    frame_model: FrameModel,
    cache: EmbeddingCache,
    label_version: str,
) -> int:
    """Split, embed and label one batch of articles; replace their passages, labels and evidence."""
    return write_labelled(con, label_articles(batch, frame_model, cache.encode, label_version))


def remove_stale_labels(con: duckdb.DuckDBPyConnection) -> int:
    """Drop labels of articles that are no longer in scope (relevance or extraction changed)."""
    queries = named_queries("frame")
    stale = con.execute(queries["count_stale_labels"]).fetchone()[0]
    if stale:
        con.execute(queries["delete_stale_labels"])
        con.execute(queries["delete_stale_evidence"])
    return int(stale)


def _start_labelling(
    con: duckdb.DuckDBPyConnection, frame_model: FrameModel, cache: EmbeddingCache, relabel_all: bool
) -> tuple[FrameSummary, list[tuple]]:
    """Register this label version, drop labels of stale versions, and list the articles to label."""
    summary = FrameSummary()
    summary.label_version = register_label_version(con, frame_model, cache.model_id)
    summary.stale_removed = remove_stale_labels(con)
    pending = con.execute(
        named_queries("frame")["pending_articles"], [relabel_all, summary.label_version]
    ).fetchall()
    return summary, pending


def frame_pending(
    con: duckdb.DuckDBPyConnection,
    frame_model: FrameModel,
    cache: EmbeddingCache,
    *,
    relabel_all: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> FrameSummary:
    """Label every in-scope article that needs it; each batch commits on its own."""
    summary, pending = _start_labelling(con, frame_model, cache, relabel_all)
    hits_before, misses_before = cache.hits, cache.misses
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        con.execute("begin transaction")
        try:
            summary.passages += _label_batch(con, batch, frame_model, cache, summary.label_version)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        summary.articles += len(batch)
        if progress:
            progress(summary.articles, len(pending))
        logger.info("framed %d/%d articles", summary.articles, len(pending))
    summary.embedded = cache.misses - misses_before
    summary.cached = cache.hits - hits_before
    return summary


class UnitLostError(Exception):
    """A unit's claim was no longer ours when its result came to be written."""


def frame_in_units(
    con: duckdb.DuckDBPyConnection,
    run_units: Callable[[Any], Any],
    unit_arguments: Callable[[Unit[tuple[str, str | None, str]], str, dict[str, Any]], tuple],
    claims: WorkClaims,
    frame_model: FrameModel,
    cache: EmbeddingCache,
    *,
    owner: str,
    unit_size: int,
    lease_seconds: float,
    claims_share_transaction: bool,
    relabel_all: bool = False,
    salt: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> FrameSummary:
    """The frame stage with embedding and labelling done elsewhere (Dask workers), unit by unit.

    As `pipeline.stages.clean.clean_in_units`: the pending articles are cut into units named by
    their article ids and text hashes under this label version, claimed for `owner`, and each
    unit's job carries the vectors the warehouse already has for its passages
    (`unit_arguments(unit, label_version, known)`). Each result's passages, labels and evidence
    replace the unit's articles' rows (keyed by article id) with the worker's new embeddings and
    the claim's completion, in one transaction on the single file.
    """
    summary, pending = _start_labelling(con, frame_model, cache, relabel_all)
    units = make_units(pending, unit_size, lambda article: f"{article[0]}\0{text_sha256(article[2])}",
                       salt=summary.label_version + salt)
    held = set(claims.claim("frame", [unit.unit_id for unit in units], owner, lease_seconds))
    todo = [unit for unit in units if unit.unit_id in held]
    summary.units_held_elsewhere = len(units) - len(todo)
    total = sum(len(unit.items) for unit in todo)

    def job(unit: Unit[tuple[str, str | None, str]]) -> tuple[Any, tuple]:
        hashes = [text_sha256(p.text) for _, title, text in unit.items for p in _passages(title, text)]
        known = cache.lookup(hashes)
        summary.cached += len(known)
        return unit, unit_arguments(unit, summary.label_version, known)

    done: set[str] = set()
    try:
        for unit, result in run_units(job(unit) for unit in todo):
            if result.model_id != cache.model_id:
                raise RuntimeError(f"a worker embedded with {result.model_id}, the flow with {cache.model_id}")
            con.execute("begin transaction")
            try:
                summary.passages += write_labelled(con, result.labelled)
                cache.store(list(result.embeddings), list(result.embeddings.values()))
                if claims_share_transaction and not claims.complete("frame", [unit.unit_id], owner):
                    raise UnitLostError(unit.unit_id)
                con.execute("commit")
            except UnitLostError:
                con.execute("rollback")
                logger.warning("frame unit %s was taken over by another worker; not written", unit.unit_id)
                continue
            except Exception:
                con.execute("rollback")
                raise
            if not claims_share_transaction:
                claims.complete("frame", [unit.unit_id], owner)
            done.add(unit.unit_id)
            summary.units += 1
            summary.articles += len(unit.items)
            summary.embedded += len(result.embeddings)
            if progress:
                progress(summary.articles, total)
            logger.info("framed %d/%d articles (%d/%d units)", summary.articles, total, summary.units, len(todo))
    except BaseException:
        claims.release("frame", [unit.unit_id for unit in todo if unit.unit_id not in done], owner)
        raise
    return summary
