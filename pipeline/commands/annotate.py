"""`framewatch annotate export|import`: a sample to label by hand (for calibration, or a
probability sample for frame-share estimates), and the labels read back and stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from pipeline.annotate import (
    DESIGNS,
    STRATIFY_BY,
    Annotation,
    Candidate,
    agreement,
    merge_gold,
    probability_sample,
    read_sheet,
    stratified_sample,
    write_sheet,
)
from pipeline.commands._common import settings_from, workdir_option
from pipeline.framing.codebook import Codebook, load_codebook
from pipeline.framing.prevalence import gold_needed
from warehouse.db import warehouse
from warehouse.lock import writer_lock
from warehouse.queries import named_queries

LOCK_WAIT_SECONDS = 600.0
# What `--target-width` credits a typical calibrated labeller with: the correlation between its
# scores and the gold labels (the evaluation sets' calibrated heads reach 0.5-0.7).
TYPICAL_LABELLER_CORRELATION = 0.6


@click.group("annotate")
def command() -> None:
    """Label your own gold data: export a sample to label, import the labelled sheets."""


@command.command("export")
@workdir_option
@click.option("-n", "--sample-size", type=click.IntRange(min=1), default=100, show_default=True,
              help="Articles to draw.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="Sheet to write: .csv (one 0/1 column per frame) or .jsonl.")
@click.option("--design", type=click.Choice(DESIGNS), default="spread", show_default=True,
              help="spread: round-robin over week, outlet and predicted frame (for calibration; not a "
                   "probability sample). simple / stratified: a probability sample for frame-share "
                   "estimates, each article's inclusion probability recorded in the sheet and the warehouse.")
@click.option("--stratify-by", type=click.Choice(STRATIFY_BY), default="week", show_default=True,
              help="With --design stratified: the strata, each given an equal share of the sample.")
@click.option("--target-width", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Say how many labels per stratum a 95% interval this wide needs (0.1 = +-5 points).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random draw.")
@click.option("--show-predictions", is_flag=True,
              help="Add the model's predicted frames (off by default: they bias annotators).")
@click.pass_context
def export_command(ctx: click.Context, workdir: str | None, sample_size: int, out: str, design: str,
                   stratify_by: str, target_width: float | None, seed: int, show_predictions: bool) -> None:
    """Draw in-scope articles into a sheet to label: spread over strata for calibration, or a
    probability sample (simple, or stratified by week or outlet) for frame-share estimates."""
    settings = settings_from(ctx, workdir)
    codebook = load_codebook(settings.codebook_path)
    queries = named_queries("annotate")
    with warehouse(settings.warehouse_target, read_only=True) as con:
        passages = dict(con.execute(queries["passages"]).fetchall())
        candidates = [
            Candidate(row[0], row[1], row[2] or "", row[3], row[4], row[5],
                      tuple(passages.get(row[0], [])), tuple(row[6] or []))
            for row in con.execute(queries["candidates"]).fetchall()
        ]
        label_version = con.execute(queries["current_label_version"]).fetchone()[0]
    if not candidates:
        raise click.ClickException("no framed in-scope articles in the warehouse yet: run the pipeline first")
    unit = stratify_by if design == "stratified" else "sample"
    if design == "spread":
        sample = stratified_sample(candidates, sample_size, seed=seed)
        write_sheet(Path(out), sample, codebook.frame_ids, show_predictions=show_predictions)
        strata = {(c.week, c.outlet, c.predicted_primary) for c in sample}
        click.echo(f"wrote {len(sample)} articles from {len(strata)} strata to {out} (spread design: for "
                   "calibration; frame-share estimates need --design simple or stratified)")
    else:
        sample = probability_sample(candidates, sample_size, design=design, stratify_by=stratify_by, seed=seed)
        sample_id = f"{design}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{seed}"
        write_sheet(Path(out), sample, codebook.frame_ids, show_predictions=show_predictions,
                    sample_id=sample_id)
        with writer_lock(settings.db_path, LOCK_WAIT_SECONDS), \
                warehouse(settings.warehouse_target, wait_seconds=LOCK_WAIT_SECONDS) as con:
            record_sample(con, sample_id, sample, design, stratify_by if design == "stratified" else None,
                          label_version)
        strata = sorted({c.stratum for c in sample})
        smallest = min(sum(1 for c in sample if c.stratum == s) for s in strata)
        click.echo(f"wrote {len(sample)} articles ({design} sample {sample_id}, {len(strata)} "
                   f"strat{'um' if len(strata) == 1 else 'a'}) to {out}; inclusion probabilities recorded")
        click.echo(f"with {smallest} or more labels per {unit}, a frame share's 95% interval is at most "
                   f"+-{interval_half_width(smallest):.2f} (narrower when the labeller is good)")
    if target_width is not None:
        click.echo(f"a 95% interval {target_width:.2f} wide (+-{target_width / 2:.3f}) needs about "
                   f"{gold_needed(target_width)} labels per {unit} for a share near 50% without help from "
                   f"the labeller; about {gold_needed(target_width, correlation=TYPICAL_LABELLER_CORRELATION)} "
                   f"with a labeller whose scores correlate {TYPICAL_LABELLER_CORRELATION} with the labels")


def record_sample(con, sample_id: str, sample: list[Candidate], design: str, stratify_by: str | None,
                  label_version: str | None) -> None:
    """Keep the design of a drawn sample: each article's stratum and inclusion probability."""
    con.executemany(named_queries("annotate")["record_sample"], [
        [sample_id, c.article_id, design, stratify_by, c.stratum, c.stratum_size, c.inclusion_probability,
         label_version] for c in sample])


def interval_half_width(n_gold: int) -> float:
    """Half-width of a 95% interval from n gold labels alone, at the worst share (50%)."""
    return 1.96 * (0.25 / max(n_gold, 1)) ** 0.5


@command.command("import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@workdir_option
@click.option("--codebook", type=click.Path(dir_okay=False, exists=True),
              help="Codebook the sheets were labelled with (default: seeds/frames.toml).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="Gold file to write (JSONL: id, title, text, labels, primary, and week, outlet, sample_id, "
                   "inclusion_probability when the sheet has them) for frames calibrate/evaluate/shares.")
@click.option("--store/--no-store", default=True, show_default=True,
              help="Also keep the labels in the warehouse (when there is one), with coder and sample "
                   "design, for the weekly report's frame shares.")
@click.pass_context
def import_command(ctx: click.Context, sheets: tuple[str, ...], workdir: str | None, codebook: str | None,
                   out: str, store: bool) -> None:
    """Read labelled sheets, report agreement between annotators, write a gold file and store it."""
    settings = settings_from(ctx, workdir)
    book = load_codebook(codebook or settings.codebook_path)
    annotations = [a for sheet in sheets for a in read_sheet(Path(sheet), book.frame_ids)]
    if not annotations:
        raise click.ClickException("the sheets hold no labelled rows")
    agreed = agreement(annotations, book.frame_ids)
    gold = merge_gold(annotations)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in gold)
    click.echo(f"{len(annotations)} labelled rows from {len(agreed.annotators)} annotator(s); "
               f"{len(gold)} gold items written to {out}")
    if store and (settings.warehouse_target != settings.db_path or settings.db_path.exists()):
        with writer_lock(settings.db_path, LOCK_WAIT_SECONDS), \
                warehouse(settings.warehouse_target, wait_seconds=LOCK_WAIT_SECONDS) as con:
            stored, unknown = store_gold(con, annotations, book)
        click.echo(f"stored the labels of {stored} (article, coder) pairs in the warehouse"
                   + (f"; {unknown} items are not warehouse articles and were not stored" if unknown else ""))
    if agreed.items_multiply_labelled:
        click.echo(f"Krippendorff's alpha over {agreed.items_multiply_labelled} items labelled by 2+ annotators:")
        for frame_id, alpha in agreed.alpha.items():
            click.echo(f"  {frame_id:<24} {'n/a (no variation)' if alpha is None else f'{alpha:.3f}'}")
        if agreed.primary_alpha is not None:
            click.echo(f"  {'primary frame':<24} {agreed.primary_alpha:.3f}")
    else:
        click.echo("no item was labelled by two annotators: agreement not computed")


def store_gold(con, annotations: list[Annotation], book: Codebook) -> tuple[int, int]:
    """Keep each coder's labels of warehouse articles with the sample they were drawn in; a
    coder's earlier labels of an article (same codebook) are replaced. Returns ((article, coder)
    pairs stored, items that are not warehouse articles)."""
    queries = named_queries("annotate")
    ids = sorted({a.item_id for a in annotations})
    known = {row[0] for row in con.execute(queries["stored_article_ids"], [ids]).fetchall()}
    stored = 0
    con.execute("begin transaction")
    try:
        for a in annotations:
            if a.item_id not in known:
                continue
            con.execute(queries["forget_coder_labels"], [a.item_id, a.annotator, book.fingerprint])
            con.executemany(queries["store_gold_label"], [
                [a.item_id, a.annotator, book.fingerprint, frame_id,
                 frame_id in a.labels or frame_id == a.primary, frame_id == a.primary, a.sample_id or None]
                for frame_id in book.frame_ids])
            stored += 1
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return stored, len(set(ids) - known)
