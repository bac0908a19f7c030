"""The report's corrected frame shares: the estimator's output for the report's codebook.

The report's counts (k of n stories the labeller marked) measure the labeller as much as the
press. This module reads, for the codebook that labelled most of the report week, the
estimates of `pipeline.stages.prevalence.weekly_frame_shares` (prediction-powered with the
week's gold labels, a quantifier calibrated on pooled gold or the calibration's cross-fitted
rows, else classify-and-count, each named) and the labeller's precision and recall per frame
against that codebook's gold labels, never another codebook's. `analysis.build_model` turns
them into the report's numbers; nothing here computes a share itself.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from pipeline.framing.prevalence import (
    CLASSIFY_AND_COUNT,
    DEFAULT_BOOTSTRAP,
    DEFAULT_QUANTIFIER,
    ShareEstimate,
    by_key,
)
from pipeline.report.analysis import report_label_version
from pipeline.report.data import ReportData
from pipeline.report.records import FrameQuality, ShareRefusal, ShareSource
from pipeline.stages.prevalence import weekly_frame_shares
from warehouse.queries import named_queries

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShareCodebook:
    """What the estimator needs of a codebook, read from the warehouse (the report has no
    codebook file): its fingerprint, frame ids in order, and whether it is multi-label."""

    fingerprint: str
    frame_ids: list[str]
    multi_label: bool


@dataclass(frozen=True)
class ReportShares:
    """The estimates per (week, frame, measure) and what they rest on."""

    estimates: Mapping[tuple[str, str, str], ShareEstimate]
    source: ShareSource
    all_estimates: tuple[ShareEstimate, ...] = field(default=(), compare=False)

    def get(self, week: str, frame_id: str, measure: str) -> ShareEstimate | None:
        """The estimate, or None when it is classify-and-count (no correction to show)."""
        found = self.estimates.get((week, frame_id, measure))
        return None if found is None or found.method == CLASSIFY_AND_COUNT else found


def _multi_label(codebook_toml: str | None) -> bool:
    """The codebook's multi_label flag from its stored TOML; multi-label when none was stored
    (the safe reading: shares of stories carrying each frame, no primary-frame correction)."""
    if not codebook_toml:
        return True
    try:
        head = tomllib.loads(codebook_toml).get("codebook", {})
    except tomllib.TOMLDecodeError:
        logger.warning("the stored codebook TOML does not parse: frame shares read it as multi-label")
        return True
    value = head.get("multi_label", True) if isinstance(head, dict) else True
    return value if isinstance(value, bool) else True


def frame_quality(con: duckdb.DuckDBPyConnection, fingerprint: str,
                  frames: list[tuple[str, str]]) -> tuple[FrameQuality, ...]:
    """Precision and recall of the labeller's decisions per frame of one codebook, against the
    gold labels imported for that codebook (every sample, with or without a design)."""
    counts = {frame_id: [0, 0, 0, 0] for frame_id, _ in frames}  # gold items, gold+, labelled+, both
    for _, frame_id, gold, labelled in con.execute(
            named_queries("report_shares")["gold_against_labels"], [fingerprint, fingerprint]).fetchall():
        if frame_id not in counts:
            continue
        row = counts[frame_id]
        row[0] += 1
        row[1] += bool(gold)
        row[2] += bool(labelled)
        row[3] += bool(gold) and bool(labelled)
    out = []
    for frame_id, label in frames:
        n, gold_positive, labelled_positive, both = counts[frame_id]
        if not n:
            continue
        out.append(FrameQuality(
            frame_id=frame_id, frame_label=label, n_gold=n, n_gold_with_frame=gold_positive,
            n_labelled_with_frame=labelled_positive, true_positives=both,
            precision=both / labelled_positive if labelled_positive else None,
            recall=both / gold_positive if gold_positive else None))
    return tuple(out)


def load_report_shares(
    con: duckdb.DuckDBPyConnection,
    data: ReportData,
    week: str,
    weeks: list[str],
    *,
    quantifier: str = DEFAULT_QUANTIFIER,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
) -> ReportShares | None:
    """The estimator's shares for `weeks` under the report's codebook; None without labels."""
    label_version = report_label_version(data, week)
    if label_version is None:
        return None
    found = con.execute(named_queries("report_shares")["label_version_codebook"], [label_version]).fetchone()
    if found is None:
        return None
    fingerprint, codebook_id, codebook_version, codebook_toml = found
    own = data["frames"]
    own = own[own["label_version"] == label_version].sort_values(["position", "frame_id"])
    frames = list(zip(own["frame_id"], own["label"], strict=True))
    if not frames:
        return None
    codebook = ShareCodebook(fingerprint, [f for f, _ in frames], _multi_label(codebook_toml))
    weekly = weekly_frame_shares(con, codebook, weeks=weeks, quantifier=quantifier,
                                 n_bootstrap=n_bootstrap)
    methods_week = tuple(sorted({e.method for e in weekly.estimates if e.group == week}))
    source = ShareSource(
        codebook_fingerprint=fingerprint,
        codebook_id=codebook_id,
        codebook_version=codebook_version,
        multi_label=codebook.multi_label,
        gold_items=weekly.gold_items,
        gold_without_design=weekly.gold_without_design,
        calibration_rows=weekly.calibration_rows,
        methods_week=methods_week,
        corrected=any(m != CLASSIFY_AND_COUNT for m in methods_week),
        frame_quality=frame_quality(con, fingerprint, frames),
        refusals=refusals(weekly.estimates, week, dict(frames)),
    )
    return ReportShares(by_key(weekly.estimates), source, tuple(weekly.estimates))


def refusals(estimates: list[ShareEstimate], week: str, labels: Mapping[str, str]) -> tuple[ShareRefusal, ...]:
    """The week's corrections the estimator refused, one entry per measure and reason, with the
    frames it concerns in codebook order."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for estimate in estimates:
        if estimate.group == week and estimate.note:
            grouped.setdefault((estimate.measure, estimate.note), []).append(estimate.frame)
    order = {frame_id: i for i, frame_id in enumerate(labels)}
    return tuple(
        ShareRefusal(tuple(labels.get(f, f) for f in sorted(set(ids), key=lambda f: order.get(f, len(order)))),
                     measure, note)
        for (measure, note), ids in sorted(grouped.items()))
