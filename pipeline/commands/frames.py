"""`framewatch frames calibrate|evaluate|relabel`: fit and check the framing model, relabel the corpus."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from pipeline.commands._common import progress_printer, settings_from, workdir_option
from pipeline.commands.label import read_rows
from pipeline.settings import Settings

codebook_option = click.option(
    "--codebook", type=click.Path(dir_okay=False, exists=True),
    help="Codebook TOML (default: the settings' codebook, seeds/frames.toml).")
gold_option = click.option(
    "--gold", type=click.Path(dir_okay=False, exists=True), required=True,
    help="Labelled rows, JSONL: {id, text, title?, labels: [...], primary?}.")


def _with_framing(settings: Settings, codebook: str | None, calibration: str | None) -> Settings:
    """The settings with the codebook and calibration given on the command line ("" = none)."""
    return replace(settings, framing=replace(
        settings.framing, codebook=codebook or settings.framing.codebook,
        calibration=calibration if calibration is not None else settings.framing.calibration))


def _model(settings: Settings, codebook: str | None, calibration: str | None):
    from pipeline.stages.runs import framing_for

    return framing_for(_with_framing(settings, codebook, calibration))


@click.group("frames")
def command() -> None:
    """Calibrate the framing model on labelled data, evaluate it, relabel the corpus."""


@command.command("calibrate")
@gold_option
@codebook_option
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="Calibration file to write; use it with FRAMEWATCH_FRAMING__CALIBRATION or --calibration.")
@click.option("--tune-encoder", "tune", type=click.Choice(["auto", "always", "never"]), default="never",
              show_default=True,
              help="Also fine-tune the embedding model on the gold rows (minutes of CPU; auto: a "
                   "single-label codebook, 30+ rows per frame, short texts). The tuned model is saved next to --out, and the "
                   "corpus's passages are embedded again with it on the next frame run or relabel.")
@click.option("--model", "model_name", default=None,
              help="Embedding model to calibrate with (an installed model's name or a model "
                   "directory) [default: the settings' model, else the installed encoder whose "
                   "heads score best in inner cross-validation].")
@click.option("--holdout", is_flag=True,
              help="Also store the gold rows' cross-fitted probabilities in the warehouse (five more "
                   "fits), so the report can correct frame shares of weeks without gold labels.")
@click.pass_context
def calibrate_command(ctx: click.Context, gold: str, codebook: str | None, out: str, tune: str,
                      model_name: str | None, holdout: bool) -> None:
    """Learn per-frame thresholds (and a supervised head when there are enough labels) from gold rows."""
    from pipeline.framing.labeler import calibrate_or_tune, installed_candidates
    from pipeline.framing.models_registry import model_argument, models_dir_from
    from pipeline.stages.runs import embedder_for

    settings = settings_from(ctx)
    models_dir = models_dir_from(settings.framing.models_dir)
    if model_name:
        settings = replace(settings, framing=replace(
            settings.framing, model=str(model_argument(model_name, models_dir))))
    model, embedder = _model(settings, codebook, "")
    rows = read_rows(Path(gold), labelled=True)
    fixed = bool(settings.framing.model)
    candidates = [] if fixed else installed_candidates(models_dir, trust=settings.framing.trust_model)
    # A tuned encoder is written straight into the folder the calibration file goes to.
    calibrated = calibrate_or_tune(
        model, embedder, rows, tune, Path(out).resolve().parent,
        lambda path: embedder_for(settings, path), where=gold,
        announce=lambda message: click.echo(message, err=True),
        candidates=candidates)
    calibration = calibrated.model.calibration
    calibration.save(out)
    click.echo(f"calibrated {calibration.feature_set} head on {len(rows)} rows "
               f"(codebook {model.codebook.id} {model.codebook.version}); wrote {out} "
               f"(version {calibration.version})")
    if calibration.encoder_choice:
        click.echo(describe_encoder_choice(calibration.encoder_choice))
    if holdout:
        _store_holdout(settings, calibrated, rows, gold)


def _store_holdout(settings: Settings, calibrated, rows: list, where: str) -> None:
    """The gold rows' out-of-fold probabilities, kept under the calibration's version."""
    from pipeline.commands.stages import LOCK_WAIT_SECONDS
    from pipeline.framing.crossfit import cross_fitted
    from pipeline.framing.labeler import embed_texts
    from pipeline.stages.prevalence import store_calibration_holdout
    from warehouse.db import warehouse
    from warehouse.lock import writer_lock

    calibration = calibrated.model.calibration
    if calibration.tuned:
        raise click.ClickException("--holdout needs frozen-encoder heads (tuning per fold is not done): "
                                   "calibrate with --tune-encoder never")
    held_out, _ = cross_fitted(calibrated.model, rows, embed_texts(rows, calibrated.embedder), where=where)
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS), \
            warehouse(settings.warehouse_target, wait_seconds=LOCK_WAIT_SECONDS) as con:
        stored = store_calibration_holdout(con, calibration.version, calibrated.model.frame_ids,
                                           [str(row["id"]) for row in rows], held_out)
    click.echo(f"stored {stored} cross-fitted rows for calibration {calibration.version} in {settings.db_path}")


def describe_encoder_choice(choice: dict) -> str:
    """One line: the encoder, how it was chosen, the scores that decided, embedding speed."""
    scores = ", ".join(f"{name} {score:.3f}" if score is not None else f"{name} -"
                       for name, score in (choice.get("scores") or {}).items())
    speeds = ", ".join(f"{name} {rate:.1f}" for name, rate in
                       (choice.get("passages_per_second") or {}).items())
    return (f"encoder {choice.get('model')} ({choice.get('backend')}), chosen by "
            f"{choice.get('chosen_by')}; inner-CV scores: {scores}; passages/s: {speeds}")


@command.command("evaluate")
@gold_option
@codebook_option
@click.option("--calibration", type=click.Path(dir_okay=False, exists=True),
              help="Calibration file (default: the settings' calibration; none means zero-shot).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.pass_context
def evaluate_command(ctx: click.Context, gold: str, codebook: str | None, calibration: str | None,
                     as_json: bool) -> None:
    """Score the framing model on gold rows: micro/macro F1, per-frame precision/recall, primary accuracy."""
    from pipeline.framing.calibrate import evaluate
    from pipeline.framing.labeler import embed_texts, label_embedded, output_row

    settings = settings_from(ctx)
    model, embedder = _model(settings, codebook, calibration)
    rows = read_rows(Path(gold), labelled=True)
    embedded = embed_texts(rows, embedder)
    predictions = [output_row(row["id"], text, frames)
                   for row, text, frames in zip(rows, embedded, label_embedded(model, embedded), strict=True)]
    metrics = evaluate(rows, predictions)
    metrics["encoder"] = embedder.model_id
    if model.calibration is not None and model.calibration.encoder_choice:
        metrics["encoder_choice"] = model.calibration.encoder_choice
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
        return
    mode = "calibrated" if model.calibration is not None else "zero-shot"
    click.echo(f"{metrics['items']} items, {mode}: micro-F1 {metrics['micro_f1']:.3f}, "
               f"macro-F1 {metrics['macro_f1']:.3f}")
    if model.calibration is not None and model.calibration.encoder_choice:
        click.echo(describe_encoder_choice(model.calibration.encoder_choice))
    else:
        click.echo(f"encoder {embedder.model_id}")
    if "primary_accuracy" in metrics:
        click.echo(f"primary frame: accuracy {metrics['primary_accuracy']:.3f}, "
                   f"macro-F1 {metrics['primary_macro_f1']:.3f}")
    click.echo(f"{'frame':<32} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for frame, values in metrics["per_frame"].items():
        click.echo(f"{frame:<32} {values['precision']:>9.3f} {values['recall']:>7.3f} "
                   f"{values['f1']:>6.3f} {values['support']:>8d}")


@command.command("relabel")
@workdir_option
@codebook_option
@click.option("--calibration", type=click.Path(dir_okay=False, exists=True),
              help="Calibration file to label with (default: the settings' calibration).")
@click.pass_context
def relabel_command(ctx: click.Context, workdir: str | None, codebook: str | None,
                    calibration: str | None) -> None:
    """Recompute every in-scope article's labels from stored embeddings (after a codebook or calibration change)."""
    from pipeline.commands.stages import LOCK_WAIT_SECONDS
    from pipeline.stages import runs
    from warehouse.lock import writer_lock

    settings = _with_framing(settings_from(ctx, workdir), codebook, calibration)
    with writer_lock(settings.db_path, LOCK_WAIT_SECONDS):
        result = runs.frame_stage(settings, runs.new_run_id(), relabel_all=True,
                                  progress=progress_printer("relabel"))
    click.echo(json.dumps(result, indent=2, default=str))
    if result.get("embedded"):
        click.echo(f"note: {result['embedded']} passages were not in the embedding cache and were embedded",
                   err=True)


@command.command("shares")
@codebook_option
@click.option("--input", "input_path", type=click.Path(dir_okay=False, exists=True), required=True,
              help="JSONL of items: {id, text or title, <group field>} per line.")
@click.option("--group-by", required=True, help="Field of the input rows to group by (a week, an outlet).")
@click.option("--output", "output_path", type=click.Path(dir_okay=False), required=True,
              help='JSONL to write: {"group", "frame", "share", "ci_low", "ci_high", "n", "n_gold", '
                   '"method", "measure", "raw_share", "calibrated_on", "note"} per group and frame.')
@click.option("--train", "train_path", type=click.Path(dir_okay=False, exists=True),
              help="Labelled JSONL ({id, text, labels, primary?}) to calibrate the labeller on (as "
                   "label --train, frozen encoder), cross-fitted so a quantifier learns its error rates.")
@click.option("--gold", "gold_path", type=click.Path(dir_okay=False, exists=True),
              help="Gold JSONL: a random sample of the input's items with labels (and the group field, "
                   "and inclusion_probability when drawn by a stratified design).")
@click.option("--quantifier", type=click.Choice(["pacc", "emq"]), default="pacc", show_default=True,
              help="Quantification method for groups without gold labels (quapy's PACC or EM prior adjustment).")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=50), default=200, show_default=True,
              help="Bootstrap rounds of the quantifier's interval.")
@click.pass_context
def shares_command(ctx: click.Context, codebook: str | None, input_path: str, group_by: str, output_path: str,
                   train_path: str | None, gold_path: str | None, quantifier: str, n_bootstrap: int) -> None:
    """Frame shares per group with 95% intervals that include the labeller's errors.

    With gold labels in a group: prediction-powered inference; without: a quantifier calibrated on
    the --train rows (cross-fitted) or on the pooled gold; with neither: classify-and-count, named so.
    """
    from pipeline.errors import FramewatchError
    from pipeline.framing.shares import shares_for_rows

    settings = settings_from(ctx)
    rows = read_rows(Path(input_path))
    train_rows = read_rows(Path(train_path), labelled=True) if train_path else []
    gold_rows = read_rows(Path(gold_path), labelled=True) if gold_path else []
    try:
        model, embedder = _model(settings, codebook, "")
        estimates = shares_for_rows(model, embedder, rows, group_by, train_rows=train_rows, gold_rows=gold_rows,
                                    quantifier=quantifier, n_bootstrap=n_bootstrap,
                                    announce=lambda message: click.echo(message, err=True))
    except FramewatchError as exc:
        raise click.ClickException(str(exc)) from None
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    with open(output_path, "w", encoding="utf8") as out:
        out.writelines(json.dumps(e.to_row(), ensure_ascii=False) + "\n" for e in estimates)
    methods = sorted({e.method for e in estimates})
    click.echo(f"{len(estimates)} share estimates for {len({e.group for e in estimates})} groups "
               f"({', '.join(methods)}) -> {output_path}")
    if methods == ["classify_and_count"] and not any(e.note for e in estimates):
        click.echo("warning: no gold or training labels: these shares count the labeller's decisions and "
                   "include its errors (give --train or --gold; `framewatch annotate export` draws a sample)",
                   err=True)
    refused = sorted({e.frame for e in estimates if e.note})
    if refused:
        click.echo(f"warning: not corrected, counted ({', '.join(refused)}): the labelled rows do not support "
                   "a stable correction of these shares (each row's note says why); gold labels in the group "
                   "(`framewatch annotate export`) correct them", err=True)
