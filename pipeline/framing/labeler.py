"""Label plain texts end to end: split into passages, embed, score; and calibrate from labelled texts."""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import FramewatchError
from pipeline.framing.calibrate import (
    Calibration,
    fit_calibration,
    gold_frames,
    training_targets,
    tuned_calibration,
)
from pipeline.framing.codebook import Codebook
from pipeline.framing.lexical import article_text
from pipeline.framing.model import (
    ArticleFrames,
    FrameModel,
    TextEncoder,
)
from pipeline.framing.passages import Passage, split_text
from pipeline.relevance import RelevanceModel, TopicLike

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedText:
    passages: list[Passage]
    vectors: np.ndarray


def embed_texts(rows: Sequence[Mapping[str, Any]], encoder: TextEncoder) -> list[EmbeddedText]:
    """Split each row ({"text", "title"?}; a title alone will do) into passages and embed all
    passages in one pass."""
    split = [_row_passages(row) for row in rows]
    flat = [p.text for passages in split for p in passages]
    vectors = encoder.encode(flat)
    out, start = [], 0
    for passages in split:
        out.append(EmbeddedText(passages, vectors[start : start + len(passages)]))
        start += len(passages)
    return out


def calibrate_on_rows(
    model: FrameModel,
    rows: Sequence[Mapping[str, Any]],
    embedded: Sequence[EmbeddedText],
    *,
    where: str = "row",
) -> Calibration:
    """Fit a calibration for model's codebook on labelled rows (already embedded)."""
    codebook: Codebook = model.codebook
    golds = [gold_frames(row, codebook, f"{where} {row.get('id')!r}") for row in rows]
    features = np.stack([model.article_features(e.vectors) for e in embedded])
    return fit_calibration(
        codebook,
        model.encoder_model_id,
        features,
        [g[0] for g in golds],
        [g[1] for g in golds],
        n_similarity_features=model.n_similarity_features,
        texts=[article_text(p.text for p in e.passages) for e in embedded],
    )


TUNE_CHOICES = ("auto", "always", "never")


def should_tune(
    model: FrameModel, rows: Sequence[Mapping[str, Any]], tokenizer, tune: str
) -> bool:
    """Whether to tune the encoder on these labelled rows.

    "auto": for a single-label codebook, when there are MIN_ROWS_PER_FRAME_FOR_TUNING labelled
    rows per frame and the texts are short enough to tune in minutes; "always" and "never"
    decide alone. Multi-label codebooks are not tuned unless asked: the tuned head has a fixed
    cut at 0.5 where the frozen heads learn a threshold per frame, and that trade has not been
    measured on multi-label data.
    """
    from pipeline.framing.tune import (
        AUTO_TOKEN_BUDGET,
        MIN_ROWS_PER_FRAME_FOR_TUNING,
        tuning_tokens,
    )

    if tune not in TUNE_CHOICES:
        raise FramewatchError(f"tune must be one of {', '.join(TUNE_CHOICES)}, not {tune!r}")
    if tune != "auto":
        return tune == "always"
    if model.codebook.multi_label:
        return False
    if len(rows) < MIN_ROWS_PER_FRAME_FOR_TUNING * len(model.frame_ids):
        return False
    tokens = tuning_tokens(tokenizer, [_passage_texts(row) for row in rows])
    if tokens > AUTO_TOKEN_BUDGET:
        logger.info(
            "not tuning the encoder: %d tokens x epochs is over the automatic budget of %d "
            "(ask for it with tune=always)", tokens, AUTO_TOKEN_BUDGET,
        )
        return False
    return True


@dataclass(frozen=True)
class Tuned:
    """A calibrated FrameModel and the embedder its texts are embedded with (for a tuned
    encoder, that encoder's)."""

    model: FrameModel
    embedder: Any


def tune_on_rows(
    model: FrameModel,
    rows: Sequence[Mapping[str, Any]],
    base_model_dir: Path | None,
    work_dir: Path,
    make_embedder: Callable[[Path], Any],
    *,
    where: str = "row",
    threads: int = 1,
    epochs: int | None = None,
) -> Tuned:
    """Tune the encoder in base_model_dir on labelled rows, into a directory in work_dir.

    make_embedder(directory) loads the tuned encoder as the caller embeds (backend, workers);
    close the returned embedder when done.
    """
    from pipeline.framing.embed import file_sha256
    from pipeline.framing.tune import tune_encoder

    if base_model_dir is None:
        raise FramewatchError("the embedding model has no local directory to tune from")
    codebook = model.codebook
    golds = [gold_frames(row, codebook, f"{where} {row.get('id')!r}") for row in rows]
    target = training_targets(codebook, [g[0] for g in golds], [g[1] for g in golds])
    partial = work_dir / f".tuning-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        head = tune_encoder(
            base_model_dir,
            [_passage_texts(row) for row in rows],
            target,
            multi_label=codebook.multi_label,
            n_frames=len(codebook.frame_ids),
            out_dir=partial,
            epochs=epochs,
            threads=threads,
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # no half-saved model left in the user's folder
        raise
    # Named by content, so copies next to calibration files keep one model id everywhere.
    sha256 = file_sha256(partial / "model.safetensors")
    base_name = model.encoder_model_id.split("/")[0]
    encoder_dir = work_dir / f"{base_name}-tuned-{sha256[:12]}"
    shutil.rmtree(encoder_dir, ignore_errors=True)
    partial.rename(encoder_dir)
    embedder = make_embedder(encoder_dir)
    calibration = tuned_calibration(
        codebook,
        embedder.model_id,
        encoder_dir,
        head.coef,
        head.intercept,
        encoder_sha256=sha256,
        n_features=model.n_features,
        n_train=len(rows),
    )
    return Tuned(FrameModel(codebook, embedder, calibration=calibration), embedder)


def calibrate_or_tune(
    model: FrameModel,
    embedder: Any,
    rows: Sequence[Mapping[str, Any]],
    tune: str,
    work_dir: Path,
    make_embedder: Callable[[Path], Any],
    *,
    where: str = "row",
    announce: Callable[[str], None] = logger.info,
    candidates: Sequence[EncoderCandidate] = (),
) -> Tuned:
    """Calibrate model on labelled rows: tune the encoder when should_tune() says so, else fit
    the heads over embedder's vectors, or, given other candidate encoders, over the vectors of
    the one choose_encoder() picks. The result's embedder is the one to label with (the tuned
    one, the chosen one, or embedder itself). announce() tells the user that minutes of tuning
    or embedding begin."""
    from pipeline.framing.embed import auto_workers

    if should_tune(model, rows, embedder.tokenizer, tune):
        announce(f"tuning the encoder on {len(rows)} labelled rows")
        return tune_on_rows(
            model, rows, embedder.model_dir, work_dir, make_embedder,
            where=where, threads=auto_workers(),
        )
    if len(candidates) > 1:
        return choose_encoder(
            model.codebook, rows, candidates, embedder, make_embedder, where=where,
            announce=announce,
        )
    started = time.monotonic()
    embedded = embed_texts(rows, embedder)
    calibration = calibrate_on_rows(model, rows, embedded, where=where)
    calibration.encoder_choice = _choice_record(
        embedder.model_name,
        "only installed encoder" if candidates else "given",
        {embedder.model_name: calibration.inner_cv_score},
        {embedder.model_name: _rate(embedded, time.monotonic() - started)}, embedder.backend,
        installed=False,
    )
    model.use_calibration(calibration)
    return Tuned(model, embedder)


# The default encoder wins unless another beats its inner cross-validation score by this much
# (on the scorer's scale: mean per-frame F1, or accuracy + macro-F1 for single-label codebooks).
# A stronger encoder costs 6-8x the embedding time, and a gain under this is within the spread of
# inner cross-validation on a few hundred rows.
ENCODER_MARGIN = 0.01


@dataclass(frozen=True)
class EncoderCandidate:
    """An encoder calibration may choose: its name and what Embedder() takes (None: bundled)."""

    name: str
    model: str | Path | None
    installed: bool = True  # found in the models folder (a calibration names it, not its path)


def choose_encoder(
    codebook: Codebook,
    rows: Sequence[Mapping[str, Any]],
    candidates: Sequence[EncoderCandidate],
    default_embedder: Any,
    make_embedder: Callable[[Any], Any],
    *,
    where: str = "row",
    announce: Callable[[str], None] = logger.info,
) -> Tuned:
    """Calibrate over each candidate's vectors and keep the encoder whose heads score best in
    the same inner cross-validation that picks the heads' settings (the first candidate, the
    default, wins ties and gains under ENCODER_MARGIN). The calibration records the choice, the
    scores and each encoder's embedding speed on these rows."""
    fits = []
    for n, candidate in enumerate(candidates):
        embedder = default_embedder if n == 0 else make_embedder(candidate.model)
        announce(f"calibrating with encoder {candidate.name} ({len(rows)} rows)")
        started = time.monotonic()
        embedded = embed_texts(rows, embedder)
        seconds = time.monotonic() - started
        model = FrameModel(codebook, embedder)
        calibration = calibrate_on_rows(model, rows, embedded, where=where)
        fits.append((candidate, embedder, model, calibration, _rate(embedded, seconds)))
    best = fits[0]
    for fit in fits[1:]:
        if fit[3].inner_cv_score > best[3].inner_cv_score + ENCODER_MARGIN:
            best = fit
    for fit in fits:
        if fit[1] is not best[1] and fit[1] is not default_embedder:
            fit[1].close()
    candidate, embedder, model, calibration, _ = best
    calibration.encoder_choice = _choice_record(
        candidate.name, "inner cross-validation",
        {fit[0].name: fit[3].inner_cv_score for fit in fits},
        {fit[0].name: fit[4] for fit in fits}, embedder.backend, installed=candidate.installed,
    )
    model.use_calibration(calibration)
    announce(
        f"encoder {candidate.name} chosen ("
        + ", ".join(f"{fit[0].name} {fit[3].inner_cv_score:.3f}" for fit in fits)
        + ")"
    )
    return Tuned(model, embedder)


def installed_candidates(models_dir: Path, *, trust: bool = False) -> list[EncoderCandidate]:
    """The encoders calibration chooses from: the bundled default first, then every model in
    models_dir (those installed without a published hash only with trust)."""
    from pipeline.framing.models_registry import installed_models

    out = []
    for installed in installed_models(models_dir):
        if installed.trusted and not trust:
            logger.info("not choosing %s: installed on trust (pass --trust)", installed.name)
            continue
        out.append(
            EncoderCandidate(installed.name, None if installed.bundled else installed.path)
        )
    return out


def _rate(embedded: Sequence[EmbeddedText], seconds: float) -> float:
    passages = sum(len(e.passages) for e in embedded)
    return round(passages / max(seconds, 1e-6), 2)


def _choice_record(
    name: str,
    chosen_by: str,
    scores: Mapping[str, float],
    rates: Mapping[str, float],
    backend: str,
    *,
    installed: bool,
) -> dict[str, Any]:
    return {
        "model": name,
        "chosen_by": chosen_by,
        "installed": installed,
        "backend": backend,
        "scores": {k: round(float(v), 4) if not math.isnan(v) else None for k, v in scores.items()},
        "passages_per_second": dict(rates),
    }


def _row_passages(row: Mapping[str, Any]) -> list[Passage]:
    return split_text(row.get("title"), row.get("text") or "")


def _passage_texts(row: Mapping[str, Any]) -> list[str]:
    return [p.text for p in _row_passages(row)]


def label_embedded(model: FrameModel, embedded: Sequence[EmbeddedText]) -> list[ArticleFrames]:
    return model.score_many([(e.passages, e.vectors) for e in embedded])


@dataclass(frozen=True)
class Scope:
    """Whether a text is on the topic, by the relevance model of the clean stage.

    ``in_scope`` None: not judged (no topic given); ``relevance`` None: judged off topic by its
    terms alone (it names none), or not judged."""

    in_scope: bool | None = None
    relevance: float | None = None


NOT_JUDGED = Scope()


def judge_scope(
    rows: Sequence[Mapping[str, Any]], topic: TopicLike | None, encoder: TextEncoder
) -> list[Scope]:
    """The relevance verdict on each row ({"title"?, "text"}), or NOT_JUDGED without a topic."""
    if topic is None:
        return [NOT_JUDGED] * len(rows)
    relevance = RelevanceModel(topic, encoder.encode)
    verdicts = relevance.judge_many([
        (row.get("title") or "", [p for p in (row.get("text") or "").splitlines() if p.strip()])
        for row in rows
    ])
    return [Scope(verdict.in_scope, verdict.score) for verdict in verdicts]


def label_in_scope(
    model: FrameModel, embedded: Sequence[EmbeddedText], scopes: Sequence[Scope]
) -> list[ArticleFrames | None]:
    """Frames for the texts on the topic (or not judged); None for a text off the topic."""
    keep = [i for i, scope in enumerate(scopes) if scope.in_scope is not False]
    labels: list[ArticleFrames | None] = [None] * len(embedded)
    for i, frames in zip(keep, label_embedded(model, [embedded[i] for i in keep]), strict=True):
        labels[i] = frames
    return labels


def shown_scores(
    model: FrameModel, text: EmbeddedText, frames: ArticleFrames
) -> tuple[str, dict[str, float]]:
    """What a user reads as each frame's score, and what kind of number it is.

    With a calibration: its probabilities. Zero-shot: the margin by which the frame's pooled
    passage similarity clears the zero-shot threshold (cosine units; above 0: present), the
    number the decision is taken on. The stored 0..1 zero-shot score (`article_frames.score`) is
    an approximate probability fitted on public framing sets, in which a present frame can score
    as low as 0.17; shown here it would read as if 0.5 were the cut.
    """
    if model.calibration is not None:
        return "probability", frames.scores
    margins = model.zero_shot_margins(text.vectors)
    return "zero_shot_margin", {
        frame_id: round(float(margin), 4)
        for frame_id, margin in zip(model.frame_ids, margins, strict=True)
    }


def output_row(
    row_id: Any,
    text: EmbeddedText,
    frames: ArticleFrames | None,
    *,
    model: FrameModel | None = None,
    scope: Scope = NOT_JUDGED,
) -> dict[str, Any]:
    """The JSON row `framewatch label` writes for one input text.

    ``frames`` None: the text is off the topic and gets no frame. With a multi-label codebook a
    text whose frames all fall below their thresholds has no primary frame either (null).
    Given the ``model``, scores are shown as `shown_scores` says (with ``score_kind``).
    """
    row: dict[str, Any] = {"id": row_id}
    if scope is not NOT_JUDGED:
        row.update(in_scope=scope.in_scope, relevance=scope.relevance)
    if frames is None:
        return {**row, "frames": [], "primary": None, "scores": {}, "evidence": {}}
    by_idx = {p.idx: p.text for p in text.passages}
    no_frame = model is not None and model.codebook.multi_label and not frames.present
    if model is not None:
        row["score_kind"], scores = shown_scores(model, text, frames)
    else:
        scores = frames.scores
    return {
        **row,
        "frames": frames.present,
        "primary": None if no_frame else frames.primary,
        "scores": scores,
        "evidence": {
            fid: [by_idx[idx] for idx, _ in hits] for fid, hits in frames.evidence.items()
        },
    }
