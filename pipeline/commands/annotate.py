"""`framewatch annotate export|import`: a sample to label by hand, and the labels read back."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.annotate import (
    Candidate,
    agreement,
    merge_gold,
    read_sheet,
    stratified_sample,
    write_sheet,
)
from pipeline.commands._common import settings_from, workdir_option
from pipeline.framing.codebook import load_codebook
from warehouse.db import connect
from warehouse.queries import named_queries


@click.group("annotate")
def command() -> None:
    """Label your own gold data: export a stratified sample, import the labelled sheets."""


@command.command("export")
@workdir_option
@click.option("-n", "--sample-size", type=int, default=100, show_default=True, help="Articles to draw.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="Sheet to write: .csv (one 0/1 column per frame) or .jsonl.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random draw.")
@click.option("--show-predictions", is_flag=True,
              help="Add the model's predicted frames (off by default: they bias annotators).")
@click.pass_context
def export_command(ctx: click.Context, workdir: str | None, sample_size: int, out: str, seed: int,
                   show_predictions: bool) -> None:
    """Draw in-scope articles stratified by week, outlet and predicted frame into a sheet to label."""
    settings = settings_from(ctx, workdir)
    codebook = load_codebook(settings.codebook_path)
    queries = named_queries("annotate")
    con = connect(settings.warehouse_target, read_only=True)
    try:
        passages = dict(con.execute(queries["passages"]).fetchall())
        candidates = [
            Candidate(row[0], row[1], row[2] or "", row[3], row[4], row[5],
                      tuple(passages.get(row[0], [])), tuple(row[6] or []))
            for row in con.execute(queries["candidates"]).fetchall()
        ]
    finally:
        con.close()
    if not candidates:
        raise click.ClickException("no framed in-scope articles in the warehouse yet: run the pipeline first")
    sample = stratified_sample(candidates, sample_size, seed=seed)
    write_sheet(Path(out), sample, codebook.frame_ids, show_predictions=show_predictions)
    strata = {(c.week, c.outlet, c.predicted_primary) for c in sample}
    click.echo(f"wrote {len(sample)} articles from {len(strata)} strata to {out}")


@command.command("import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--codebook", type=click.Path(dir_okay=False, exists=True),
              help="Codebook the sheets were labelled with (default: seeds/frames.toml).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="Gold file to write (JSONL: id, title, text, labels, primary) for calibrate/evaluate.")
@click.pass_context
def import_command(ctx: click.Context, sheets: tuple[str, ...], codebook: str | None, out: str) -> None:
    """Read labelled sheets, report agreement between annotators, write a gold file."""
    settings = settings_from(ctx)
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
    if agreed.items_multiply_labelled:
        click.echo(f"Krippendorff's alpha over {agreed.items_multiply_labelled} items labelled by 2+ annotators:")
        for frame_id, alpha in agreed.alpha.items():
            click.echo(f"  {frame_id:<24} {'n/a (no variation)' if alpha is None else f'{alpha:.3f}'}")
        if agreed.primary_alpha is not None:
            click.echo(f"  {'primary frame':<24} {agreed.primary_alpha:.3f}")
    else:
        click.echo("no item was labelled by two annotators: agreement not computed")
