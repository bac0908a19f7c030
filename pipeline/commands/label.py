"""`framewatch label`: frame labels for a JSONL file of texts, optionally calibrated on labelled rows."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from pipeline.errors import FramewatchError

logger = logging.getLogger(__name__)


def read_rows(path: Path, *, labelled: bool = False) -> list[dict[str, Any]]:
    """Rows of a JSONL file; each needs an id and a non-empty text or title (and labels when
    labelled)."""
    rows, seen = [], set()
    for lineno, line in _lines(path):
        where = f"{path}, line {lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(row, dict):
            raise click.ClickException(f"{where}: expected a JSON object, got {type(row).__name__}")
        if row.get("id") is None or isinstance(row["id"], (dict, list)):
            raise click.ClickException(f"{where}: missing 'id' (a string or number)")
        for key in ("text", "title"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise click.ClickException(f"{where}: '{key}' must be a string")
        # A headline-only item ({"id", "title"}) is labelled by its headline.
        if not (row.get("text") or "").strip() and not (row.get("title") or "").strip():
            raise click.ClickException(f"{where}: missing 'text' (a non-empty string, or a 'title')")
        if labelled and not isinstance(row.get("labels"), list):
            raise click.ClickException(f"{where}: missing 'labels' (a list of frame names)")
        key = str(row["id"])
        if key in seen:
            raise click.ClickException(f"{where}: duplicate id {row['id']!r}")
        seen.add(key)
        rows.append(row)
    if not rows:
        raise click.ClickException(f"{path}: no rows")
    return rows


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with open(path, encoding="utf8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    yield lineno, line
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text ({exc.reason})") from None


@click.command(name="label")
@click.option(
    "--codebook",
    "codebook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Codebook TOML [default: the settings' codebook, [framing] codebook or "
    "<seeds_dir>/frames.toml].",
)
@click.option(
    "--topic",
    "topic_path",
    default=None,
    help="Topic TOML: texts off this topic get no frame (in_scope false, primary null). "
    "'none' labels every text [default: the settings' topic.toml when labelling with the "
    "settings' codebook; none with another --codebook].",
)
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSONL of texts to label: {"id", "text", "title"?} per line (a title alone will do); '
    "other keys are ignored.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSONL to write: {"id", "frames", "primary", "scores", "evidence"} per input row.',
)
@click.option(
    "--train",
    "train_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help='Labelled JSONL ({"id", "text", "title"?, "labels", "primary"?}) to calibrate on first.',
)
@click.option(
    "--calibration",
    "calibration_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Use a calibration file saved earlier with --save-calibration [default: [framing] "
    "calibration, unless --train is given].",
)
@click.option(
    "--save-calibration",
    "save_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the calibration made from --train to this JSON file.",
)
@click.option(
    "--tune-encoder",
    "tune",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="With --train: also fine-tune the embedding model on the labelled rows (minutes of "
    "CPU). auto: for a single-label codebook with at least 30 rows per frame of short texts "
    "(headlines, sentences). The tuned model is saved next to --save-calibration's file.",
)
@click.option(
    "--model",
    "model_name",
    default=None,
    help="Embedding model: an installed model's name (framewatch models list), a local "
    "sentence-transformers directory or a cached model name [default: bundled "
    "all-MiniLM-L6-v2; with --train, the installed encoder whose heads score best in inner "
    "cross-validation].",
)
@click.option(
    "--trust",
    is_flag=True,
    help="Use a model whose weights' sha256 is not a known one (marked as trusted in every "
    "label) [default: [framing] trust_model].",
)
@click.option(
    "--backend",
    type=click.Choice(["torch", "onnx", "onnx-int8"]),
    default=None,
    help="Embedding runtime: PyTorch, ONNX Runtime, or ONNX Runtime with int8 weights "
    "[default: [framing] backend].",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="CPU threads per embedding process [default: [framing] threads].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Processes that embed at once (0: one per CPU, at most 4). Same vectors, more speed "
    "[default: [framing] workers].",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Passages per embedding batch [default: [framing] batch_size].",
)
@click.pass_context
def command(
    ctx: click.Context,
    codebook_path: Path | None,
    topic_path: str | None,
    input_path: Path,
    output_path: Path,
    train_path: Path | None,
    calibration_path: Path | None,
    save_path: Path | None,
    tune: str,
    model_name: str | None,
    trust: bool,
    backend: str | None,
    threads: int | None,
    workers: int | None,
    batch_size: int | None,
) -> None:
    """Label texts with the frames of a codebook, with the passages that justify each frame.

    Zero-shot by default (the codebook's definitions, exemplars and negatives); with --train,
    first calibrates on labelled rows (per-frame thresholds and a trained head, or a tuned
    embedding model, see --tune-encoder), and with --calibration, reuses a saved calibration.
    Settings come from the [framing] table (through --config); options override them.

    A text off the topic (the relevance model of `framewatch clean`) gets no frame and no
    primary frame; with a multi-label codebook, neither does a text with no frame above its
    threshold (primary null).
    Scores are probabilities with a calibration; zero-shot, they are margins (score_kind
    zero_shot_margin: how far the frame's pooled similarity clears the zero-shot threshold, in
    cosine units; above 0 means present), not probabilities. (The warehouse stores a zero-shot
    label's approximate probability, fitted from those margins: docs/framing.md, "What a score
    means".)
    """
    from pipeline.commands._common import settings_from
    from pipeline.framing.calibrate import Calibration, embedding_model
    from pipeline.framing.codebook import load_codebook
    from pipeline.framing.embed import Embedder
    from pipeline.framing.labeler import (
        calibrate_or_tune,
        embed_texts,
        installed_candidates,
        judge_scope,
        label_in_scope,
        output_row,
    )
    from pipeline.framing.model import FrameModel
    from pipeline.framing.models_registry import model_argument, models_dir_from
    from pipeline.seeds import load_topic

    if train_path and calibration_path:
        raise click.UsageError("give --train or --calibration, not both")
    if save_path and not train_path:
        raise click.UsageError("--save-calibration needs --train")
    settings = settings_from(ctx)
    framing = settings.framing
    backend = backend or framing.backend
    batch_size = batch_size or framing.batch_size
    threads = threads or framing.threads
    workers = framing.workers if workers is None else workers
    trust = trust or framing.trust_model
    if calibration_path is None and not train_path and framing.calibration:
        calibration_path = Path(framing.calibration)
    if topic_path is None:
        topic_path = None if codebook_path else str(settings.topic_path)
    topic = None if topic_path in (None, "none") else load_topic(topic_path)

    def load_embedder(model: str | Path | None) -> Embedder:
        return Embedder(
            model, backend=backend, batch_size=batch_size, threads=threads, workers=workers,
            trust=trust,
        )

    embedder = None
    try:
        with tempfile.TemporaryDirectory(prefix="framewatch-tune-") as work_dir:
            codebook = load_codebook(codebook_path or settings.codebook_path)
            rows = read_rows(input_path)
            train_rows = read_rows(train_path, labelled=True) if train_path else []
            calibration = Calibration.load(calibration_path) if calibration_path else None
            models_dir = models_dir_from(framing.models_dir)
            model_name = model_name or framing.model or None
            given = model_argument(model_name, models_dir) if model_name else None
            # A tuned calibration embeds with its own encoder, whatever --model says; another
            # with the encoder it chose, unless --model says otherwise.
            embedder = load_embedder(embedding_model(calibration, given, models_dir))
            model = FrameModel(codebook, embedder, calibration=calibration)
            if train_rows:
                calibrated = calibrate_or_tune(
                    model, embedder, train_rows, tune, Path(work_dir), load_embedder,
                    where=str(train_path), announce=lambda message: click.echo(message, err=True),
                    candidates=[] if given else installed_candidates(models_dir, trust=trust),
                )
                if calibrated.embedder is not embedder:
                    embedder.close()
                embedder, model = calibrated.embedder, calibrated.model
                calibration = model.calibration
                if save_path:
                    calibration.save(save_path)
                    click.echo(f"calibration {calibration.version} saved to {save_path}", err=True)
            scopes = judge_scope(rows, topic, embedder)
            embedded = embed_texts(rows, embedder)
            labels = label_in_scope(model, embedded, scopes)
    except FramewatchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if embedder is not None:
            embedder.close()
    with open(output_path, "w", encoding="utf8") as out:
        out.writelines(
            json.dumps(output_row(row["id"], text, frames, model=model, scope=scope),
                       ensure_ascii=False) + "\n"
            for row, text, frames, scope in zip(rows, embedded, labels, scopes, strict=True)
        )
    click.echo(
        f"labelled {len(rows)} texts with {codebook.id} ({model.version}) -> {output_path}",
        err=True,
    )
