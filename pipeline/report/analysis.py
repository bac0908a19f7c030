"""Turn the loaded views into the report's numbers: pure functions, no I/O, no clock.

Conventions, stated in the report's method box:
- a week's n is its in-scope, labelled, unique stories (wire copies counted once);
- two measures per frame: the share of stories carrying it (a story can carry several frames)
  and the share whose primary frame it is (these sum to 100% with "no frame");
- shares are k/n with a 95% Wilson interval; weeks with n < min_articles are flagged "thin";
- pooled periods ("the 8 weeks before", "the last 4 weeks") sum k and n over their weeks, so
  each week weighs by its stories and a thin week cannot dominate;
- "moved": for each measure and frame, three two-proportion z-tests (this week vs last week,
  this week vs the 8 weeks before, the last 4 weeks vs the 8 weeks before those); a test
  counts when it rejects after one correction (Holm by default) over every test in the report
  AND the change is at least `min_effect` (absolute, in share units);
- corrected shares: when the estimator (pipeline/framing/prevalence.py, via
  pipeline/report/shares.py) corrects a week's shares for the labeller's errors (gold labels or
  calibration data), the series, the frame table and the tests use its shares and intervals;
  a pooled period weights its weeks' estimates by their stories, and a test compares two
  corrected shares by their standard errors (half the 95% interval over 1.96), not by counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.furniture import strip_page_furniture
from pipeline.report.data import ReportData
from pipeline.report.records import (
    Collection,
    Cooccurrence,
    Coverage,
    EmergingExample,
    EmergingSummary,
    Evidence,
    FrameInfo,
    FrameRow,
    FrameTest,
    GroupShare,
    Headline,
    LabelVersionUse,
    PrimaryShare,
    ShareSource,
    SourceHealth,
    WeekCounts,
    WeekShare,
    WeekVolume,
)
from pipeline.report.stats import (
    Z_95,
    adjust_p_values,
    median,
    pooled_smooth,
    two_proportion_test,
    uncertain_difference_test,
    wilson_interval,
)

if TYPE_CHECKING:
    from pipeline.framing.prevalence import ShareEstimate
    from pipeline.report.shares import ReportShares

TRAILING_WEEKS = 8  # "the 8 weeks before" the report week
RECENT_WEEKS = 4  # the window test pools the last 4 weeks ...
PRIOR_WEEKS = 8  # ... against the 8 weeks before them
WINDOW_TEST_WEEKS = RECENT_WEEKS + PRIOR_WEEKS
EVIDENCE_PER_FRAME = 5
EXAMPLES_PER_CLUSTER = 3


@dataclass(frozen=True)
class ReportOptions:
    week: str
    weeks: list[str]  # displayed window, oldest first, ends with `week`
    data_weeks: list[str]  # loaded window: at least the trailing weeks plus the report week
    min_articles: int = 10
    min_effect: float = 0.05
    alpha: float = 0.05
    correction: str = "holm"


@dataclass
class ReportModel:
    """Everything the report shows, as typed records (pipeline/report/records.py)."""

    options: ReportOptions
    frames: list[FrameInfo]
    headline: Headline
    frame_table: list[FrameRow]
    primary_share: list[PrimaryShare]
    series: list[WeekShare]
    volume: list[WeekVolume]
    tests: list[FrameTest]
    evidence: dict[str, list[Evidence]]
    breakdowns: dict[str, list[GroupShare]]
    cooccurrence: dict[str, list[Cooccurrence]]
    emerging: list[EmergingSummary]
    coverage: Coverage
    notes: list[str] = field(default_factory=list)

    @property
    def movers(self) -> list[FrameTest]:
        return [t for t in self.tests if t.moved]


def _typed(record: type, row: dict[str, Any]) -> Any:
    """A record from a view row, taking the record's fields only: a column the view lacks fails
    here (TypeError), and a column the record does not name is not carried along."""
    return record(**{f.name: row[f.name] for f in fields(record)})


def _share(k: int, n: int) -> float | None:
    return k / n if n else None


def _interval(k: int, n: int) -> tuple[float | None, float | None]:
    low, high = wilson_interval(k, n)
    return (None, None) if math.isnan(low) else (low, high)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as dicts of plain Python values (numpy scalars and NaN/NaT made plain)."""
    rows = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "tolist"):
                value = value.tolist()
            elif hasattr(value, "item"):
                value = value.item()
            if value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
                value = None
            elif isinstance(value, pd.Timestamp):
                value = value.isoformat()
            clean[key] = value
        rows.append(clean)
    return rows


# --- frames --------------------------------------------------------------------------------


def report_label_version(data: ReportData, week: str) -> str | None:
    """The label version that labelled most of the report week (else of the window, else the
    newest): the report's frames, and the codebook its shares are estimated for, are its."""
    versions = data["label_versions"]
    for scope in (versions[versions["week"] == week], versions):
        if len(scope):
            totals = scope.groupby("label_version")["n_articles"].sum()
            return min(totals.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    frames = data["frames"]
    return frames["label_version"].iloc[-1] if len(frames) else None


def frame_catalogue(data: ReportData, week: str) -> list[FrameInfo]:
    """The frames to report, in codebook order of the label version that labelled most of the
    report week (else of the window, else the newest), then any other frame seen, by id."""
    frames = data["frames"]
    chosen = report_label_version(data, week)
    catalogue = []
    if chosen is not None:
        own = frames[frames["label_version"] == chosen].sort_values(["position", "frame_id"])
        catalogue = [_typed(FrameInfo, r) for r in _records(own)]
    known = {f.frame_id for f in catalogue}
    shares = data["weekly_frame_share"]
    extra = sorted(set(shares["frame_id"]) - known)
    for frame_id in extra:
        label = shares.loc[shares["frame_id"] == frame_id, "frame_label"].iloc[0]
        catalogue.append(FrameInfo(frame_id=frame_id, label=label, definition=None))
    return catalogue


# --- weekly series -------------------------------------------------------------------------


def weekly_counts(
    data: ReportData, weeks: list[str], frames: list[FrameInfo]
) -> dict[str, dict[str, WeekCounts]]:
    """frame_id -> week -> counts {k, n, k_primary, k_all, n_all}; weeks without rows are 0."""
    shares = data["weekly_frame_share"]
    totals = shares.groupby("week")[["n_articles", "n_articles_all"]].max()
    counts: dict[str, dict[str, WeekCounts]] = {}
    indexed = {(r["week"], r["frame_id"]): r for r in _records(shares)}
    for frame in frames:
        per_week = {}
        for week in weeks:
            row = indexed.get((week, frame.frame_id))
            n = int(totals.loc[week, "n_articles"]) if week in totals.index else 0
            n_all = int(totals.loc[week, "n_articles_all"]) if week in totals.index else 0
            per_week[week] = WeekCounts(
                k=int(row["n_with_frame"]) if row else 0,
                n=n,
                k_primary=int(row["n_primary"]) if row else 0,
                k_all=int(row["n_with_frame_all"]) if row else 0,
                n_all=n_all,
            )
        counts[frame.frame_id] = per_week
    return counts


# The report's measures and the estimator's names for them ("carries" is "present").
ESTIMATOR_MEASURE = {"carries": "present", "primary": "primary"}


def _estimate(
    shares: ReportShares | None, week: str, frame_id: str, measure: str
) -> ShareEstimate | None:
    """The estimator's corrected share (None when there is none, or it is classify-and-count)."""
    return None if shares is None else shares.get(week, frame_id, ESTIMATOR_MEASURE[measure])


def _corrected_fields(estimate: ShareEstimate | None, prefix: str = "") -> dict[str, Any]:
    if estimate is None:
        return {}
    return {
        f"{prefix}corrected_share": estimate.share,
        f"{prefix}corrected_ci_low": estimate.ci_low,
        f"{prefix}corrected_ci_high": estimate.ci_high,
        f"{prefix}correction_method": estimate.method,
    }


@dataclass(frozen=True)
class PooledEstimate:
    """The estimator's corrected share over one or more weeks, its standard error, and the
    method(s) behind it ("ppi", or "ppi+pacc" when weeks differ)."""

    share: float
    se: float
    method: str
    n: int


def pooled_estimate(
    shares: ReportShares | None, weeks: tuple[str, ...], frame_id: str, measure: str
) -> PooledEstimate | None:
    """The corrected share of a period: each week's estimate weighted by its stories, with the
    standard error of that weighted mean (each week's from half its 95% interval, weeks taken
    as independent). None unless every week with stories has a corrected estimate: a period
    is not mixed with classify-and-count."""
    if shares is None:
        return None
    parts = []
    for week in weeks:
        estimate = shares.estimates.get((week, frame_id, ESTIMATOR_MEASURE[measure]))
        if estimate is None or estimate.n == 0:
            continue
        if shares.get(week, frame_id, ESTIMATOR_MEASURE[measure]) is None:
            return None
        parts.append(estimate)
    total = sum(e.n for e in parts)
    if not total:
        return None
    share = sum(e.n * e.share for e in parts) / total
    variance = sum(
        (e.n / total) ** 2 * ((e.ci_high - e.ci_low) / (2 * Z_95)) ** 2 for e in parts
    )
    method = "+".join(sorted({e.method for e in parts}))
    return PooledEstimate(share, math.sqrt(variance), method, total)


def build_series(
    counts: dict[str, dict[str, WeekCounts]],
    frames: list[FrameInfo],
    weeks: list[str],
    min_articles: int,
    shares: ReportShares | None = None,
) -> list[WeekShare]:
    """One row per (frame, displayed week): share, interval, smoothed share, thin-week flag,
    and the estimator's corrected shares where there are any."""
    rows = []
    for frame in frames:
        per_week = counts[frame.frame_id]
        k = [per_week[w].k for w in weeks]
        n = [per_week[w].n for w in weeks]
        smooth = pooled_smooth(k, n, half_width=1, min_n=min_articles)
        for index, week in enumerate(weeks):
            low, high = _interval(k[index], n[index])
            k_primary = per_week[week].k_primary
            primary_low, primary_high = _interval(k_primary, n[index])
            present = _estimate(shares, week, frame.frame_id, "carries")
            primary = _estimate(shares, week, frame.frame_id, "primary")
            rows.append(
                WeekShare(
                    week=week,
                    frame_id=frame.frame_id,
                    frame_label=frame.label,
                    n_articles=n[index],
                    n_with_frame=k[index],
                    share=_share(k[index], n[index]),
                    ci_low=low,
                    ci_high=high,
                    smoothed_share=None if math.isnan(smooth[index]) else smooth[index],
                    n_primary=k_primary,
                    primary_share=_share(k_primary, n[index]),
                    primary_ci_low=primary_low,
                    primary_ci_high=primary_high,
                    thin=n[index] < min_articles,
                    n_articles_all=per_week[week].n_all,
                    n_with_frame_all=per_week[week].k_all,
                    n_gold=present.n_gold if present is not None else 0,
                    **_corrected_fields(present),
                    **_corrected_fields(primary, "primary_"),
                )
            )
    return rows


def build_volume(data: ReportData, weeks: list[str], min_articles: int) -> list[WeekVolume]:
    attention = {r["week"]: r for r in _records(data["weekly_attention"])}
    shares = data["weekly_frame_share"]
    totals = shares.groupby("week")["n_articles"].max().to_dict()
    rows = []
    for week in weeks:
        row = attention.get(week, {})
        n = int(totals.get(week, 0))
        rows.append(
            WeekVolume(
                week=week,
                n_labelled=n,
                thin=n < min_articles,
                n_in_scope=int(row.get("n_in_scope") or 0),
                n_in_scope_all=int(row.get("n_in_scope_all") or 0),
                n_collected=int(row.get("n_collected") or 0),
                attention=row.get("attention"),
            )
        )
    return rows


# --- headline and frame table --------------------------------------------------------------


def build_headline(data: ReportData, options: ReportOptions) -> Headline:
    attention = {r["week"]: r for r in _records(data["weekly_attention"])}
    week, last = options.week, options.data_weeks[-2]
    trailing = options.data_weeks[-1 - TRAILING_WEEKS : -1]

    def get(w: str, key: str) -> Any:
        return attention.get(w, {}).get(key) or 0

    n_now, n_last = get(week, "n_in_scope"), get(last, "n_in_scope")
    trailing_median = median([get(w, "n_in_scope") for w in trailing])
    return Headline(
        week=week,
        n_in_scope=n_now,
        n_in_scope_all=get(week, "n_in_scope_all"),
        n_in_scope_last_week=n_last,
        change_vs_last_week=n_now - n_last,
        change_vs_last_week_pct=(n_now - n_last) / n_last if n_last else None,
        trailing_median=trailing_median,
        change_vs_trailing_median=n_now - trailing_median,
        change_vs_trailing_median_pct=(n_now - trailing_median) / trailing_median
        if trailing_median
        else None,
        n_outlets=get(week, "n_outlets"),
        n_collected_unique=get(week, "n_collected_unique"),
        attention=attention.get(week, {}).get("attention"),
        attention_last_week=attention.get(last, {}).get("attention"),
        n_labelled=get(week, "n_labelled"),
        thin=get(week, "n_labelled") < options.min_articles,
    )


def build_frame_table(
    counts: dict[str, dict[str, WeekCounts]],
    frames: list[FrameInfo],
    options: ReportOptions,
    shares: ReportShares | None = None,
) -> list[FrameRow]:
    week, last = options.week, options.data_weeks[-2]
    trailing = options.data_weeks[-1 - TRAILING_WEEKS : -1]
    rows = []
    for frame in frames:
        per_week = counts[frame.frame_id]
        now, prev = per_week[week], per_week[last]
        k_tr = sum(per_week[w].k for w in trailing)
        kp_tr = sum(per_week[w].k_primary for w in trailing)
        n_tr = sum(per_week[w].n for w in trailing)
        share, share_last, share_tr = (
            _share(now.k, now.n),
            _share(prev.k, prev.n),
            _share(k_tr, n_tr),
        )
        low, high = _interval(now.k, now.n)
        present = _estimate(shares, week, frame.frame_id, "carries")
        primary = _estimate(shares, week, frame.frame_id, "primary")
        pooled_last = pooled_estimate(shares, (last,), frame.frame_id, "carries")
        pooled_trailing = pooled_estimate(shares, tuple(trailing), frame.frame_id, "carries")
        corrected_last = pooled_last.share if pooled_last else None
        corrected_trailing = pooled_trailing.share if pooled_trailing else None
        rows.append(
            FrameRow(
                frame_id=frame.frame_id,
                frame_label=frame.label,
                n_with_frame=now.k,
                n_articles=now.n,
                share=share,
                ci_low=low,
                ci_high=high,
                thin=now.n < options.min_articles,
                n_with_frame_all=now.k_all,
                n_articles_all=now.n_all,
                n_with_frame_last_week=prev.k,
                n_articles_last_week=prev.n,
                share_last_week=share_last,
                change_vs_last_week_pp=None
                if share is None or share_last is None
                else 100 * (share - share_last),
                n_with_frame_trailing=k_tr,
                n_articles_trailing=n_tr,
                share_trailing=share_tr,
                change_vs_trailing_pp=None
                if share is None or share_tr is None
                else 100 * (share - share_tr),
                n_primary=now.k_primary,
                primary_share=_share(now.k_primary, now.n),
                n_primary_last_week=prev.k_primary,
                primary_share_last_week=_share(prev.k_primary, prev.n),
                n_primary_trailing=kp_tr,
                primary_share_trailing=_share(kp_tr, n_tr),
                change_primary_vs_trailing_pp=None
                if now.n == 0 or n_tr == 0
                else 100 * (_share(now.k_primary, now.n) - _share(kp_tr, n_tr)),
                corrected_share=present.share if present else None,
                correction_method=present.method if present else None,
                corrected_ci_low=present.ci_low if present else None,
                corrected_ci_high=present.ci_high if present else None,
                n_gold=present.n_gold if present else 0,
                corrected_share_last_week=corrected_last,
                corrected_share_trailing=corrected_trailing,
                corrected_change_vs_last_week_pp=None
                if present is None or corrected_last is None
                else 100 * (present.share - corrected_last),
                corrected_change_vs_trailing_pp=None
                if present is None or corrected_trailing is None
                else 100 * (present.share - corrected_trailing),
                **_corrected_fields(primary, "primary_"),
            )
        )
    return rows


def build_primary_share(frame_table: list[FrameRow], n: int, n_trailing: int) -> list[PrimaryShare]:
    """Each story's primary frame: shares that sum to 1 (stories with none get their own row),
    this week and pooled over the 8 weeks before."""
    rows = [
        PrimaryShare(
            frame_id=r.frame_id,
            frame_label=r.frame_label,
            n_primary=r.n_primary,
            n_articles=n,
            primary_share=_share(r.n_primary, n),
            n_primary_trailing=r.n_primary_trailing,
            n_articles_trailing=n_trailing,
            primary_share_trailing=_share(r.n_primary_trailing, n_trailing),
        )
        for r in frame_table
    ]
    rest = n - sum(r.n_primary for r in frame_table)
    rest_trailing = n_trailing - sum(r.n_primary_trailing for r in frame_table)
    rows.append(
        PrimaryShare(
            frame_id="(none)",
            frame_label="No frame",
            n_primary=rest,
            n_articles=n,
            primary_share=_share(rest, n),
            n_primary_trailing=rest_trailing,
            n_articles_trailing=n_trailing,
            primary_share_trailing=_share(rest_trailing, n_trailing),
        )
    )
    return rows


# --- what moved ----------------------------------------------------------------------------

# Each measure: the weekly count it tests (key of `weekly_counts`) and what its share means.
MEASURES: dict[str, tuple[str, str]] = {
    "carries": ("k", "share of stories carrying the frame"),
    "primary": ("k_primary", "share of stories whose primary frame it is"),
}


@dataclass(frozen=True)
class Comparison:
    """One z-test per frame and measure: stories pooled over `weeks` against `reference_weeks`."""

    key: str
    label: str
    weeks: tuple[str, ...]
    reference_weeks: tuple[str, ...]


def comparisons(options: ReportOptions) -> list[Comparison]:
    """This week vs last week, vs the 8 weeks before, and the last 4 weeks vs the 8 before.

    The window test catches a steady rise that no single week shows against its neighbours.
    """
    weeks, week = options.data_weeks, options.week
    if len(weeks) < WINDOW_TEST_WEEKS or weeks[-1] != week:
        raise ValueError(f"the loaded weeks must be at least {WINDOW_TEST_WEEKS}, ending {week}")
    return [
        Comparison("last_week", "vs last week", (week,), (weeks[-2],)),
        Comparison(
            "trailing_8_weeks",
            "vs the 8 weeks before",
            (week,),
            tuple(weeks[-1 - TRAILING_WEEKS : -1]),
        ),
        Comparison(
            "recent_4_vs_prior_8",
            "last 4 weeks vs the 8 before",
            tuple(weeks[-RECENT_WEEKS:]),
            tuple(weeks[-WINDOW_TEST_WEEKS:-RECENT_WEEKS]),
        ),
    ]


def week_span(weeks: tuple[str, ...] | list[str]) -> str:
    return weeks[0] if len(weeks) == 1 else f"{weeks[0]}..{weeks[-1]}"


def build_tests(
    counts: dict[str, dict[str, WeekCounts]],
    frames: list[FrameInfo],
    options: ReportOptions,
    shares: ReportShares | None = None,
) -> list[FrameTest]:
    """Every test of the report (measure x comparison x frame), under ONE correction.

    Correcting over all of them at once means the chance that any "moved" flag in the report
    is a false alarm stays at most alpha (for Holm or Bonferroni), however many are shown.
    Where both sides of a comparison have corrected shares, the test compares those by their
    standard errors (the labeller's measured errors widen them); otherwise it compares counts.
    """
    rows = []
    for measure, (count_key, _) in MEASURES.items():
        for comparison in comparisons(options):
            for frame in frames:
                per_week = counts[frame.frame_id]
                k = sum(getattr(per_week[w], count_key) for w in comparison.weeks)
                n = sum(per_week[w].n for w in comparison.weeks)
                k_ref = sum(getattr(per_week[w], count_key) for w in comparison.reference_weeks)
                n_ref = sum(per_week[w].n for w in comparison.reference_weeks)
                entry = FrameTest(
                    frame_id=frame.frame_id,
                    frame_label=frame.label,
                    measure=measure,
                    reference=comparison.key,
                    weeks=week_span(comparison.weeks),
                    reference_weeks=week_span(comparison.reference_weeks),
                    k=k,
                    n=n,
                    share=_share(k, n),
                    k_ref=k_ref,
                    n_ref=n_ref,
                    share_ref=_share(k_ref, n_ref),
                )
                now = pooled_estimate(shares, comparison.weeks, frame.frame_id, measure)
                ref = pooled_estimate(shares, comparison.reference_weeks, frame.frame_id, measure)
                corrected = now is not None and ref is not None
                if corrected:
                    entry.share, entry.share_ref = now.share, ref.share
                    entry.se, entry.se_ref = now.se, ref.se
                    entry.method = "+".join(sorted(set(now.method.split("+") + ref.method.split("+"))))
                if n < options.min_articles or n_ref < options.min_articles:
                    entry.not_tested = f"fewer than {options.min_articles} stories"
                elif corrected:
                    test = uncertain_difference_test(now.share, now.se, ref.share, ref.se)
                    entry.change_pp, entry.z, entry.p_value = 100 * test.diff, test.z, test.p_value
                else:
                    test = two_proportion_test(k, n, k_ref, n_ref)
                    entry.change_pp, entry.z, entry.p_value = 100 * test.diff, test.z, test.p_value
                rows.append(entry)
    tested = [e for e in rows if e.p_value is not None]
    reject, adjusted = adjust_p_values(
        [e.p_value for e in tested], options.correction, options.alpha
    )
    for entry, rejected, p_adjusted in zip(tested, reject, adjusted, strict=True):
        entry.p_adjusted = p_adjusted
        entry.n_tests = len(tested)
        entry.significant = bool(rejected)
        entry.moved = bool(rejected) and abs(entry.change_pp) >= 100 * options.min_effect - 1e-9
        entry.direction = "up" if entry.change_pp > 0 else "down" if entry.change_pp < 0 else "flat"
    return rows


def mark_moved(frame_table: list[FrameRow], tests: list[FrameTest]) -> None:
    """Give each frame-table row the direction of each of its tests that moved (else None):
    `moved_<measure>_<reference>` per test, and `moved_<measure>` for any test of a measure.
    The fields are declared on FrameRow (slots), so a test key it lacks fails here."""
    for row in frame_table:
        for measure in MEASURES:
            setattr(row, f"moved_{measure}", None)
        for test in tests:
            if test.frame_id == row.frame_id:
                setattr(
                    row,
                    f"moved_{test.measure}_{test.reference}",
                    test.direction if test.moved else None,
                )
                if test.moved:
                    seen = getattr(row, f"moved_{test.measure}")
                    same = seen in (None, test.direction)
                    setattr(row, f"moved_{test.measure}", test.direction if same else "mixed")


def build_evidence(data: ReportData, week: str, frame_ids: list[str]) -> dict[str, list[Evidence]]:
    """For each frame: this week's unique articles carrying it, best evidence passage first."""
    evidence = data["frame_evidence"]
    this_week = evidence[(evidence["week"] == week) & (~evidence["is_duplicate"])]
    result = {}
    for frame_id in frame_ids:
        rows = this_week[(this_week["frame_id"] == frame_id) & (this_week["rank"] == 1)]
        rows = rows.sort_values(["score", "article_id"], ascending=[False, True]).head(
            EVIDENCE_PER_FRAME
        )
        result[frame_id] = [
            _typed(
                Evidence,
                {
                    **r,
                    "passage": strip_page_furniture(r["passage"]) if r["passage"] else None,
                },
            )
            for r in _records(rows)
        ]
    return result


# --- breakdowns ----------------------------------------------------------------------------


def _breakdown(
    frame: pd.DataFrame, key: str, weeks: list[str], frame_ids: list[str]
) -> list[GroupShare]:
    scoped = frame[frame["week"].isin(weeks) & frame["frame_id"].isin(frame_ids)]
    if scoped.empty:
        return []
    names = list(dict.fromkeys(c for c in (key, "outlet", "country") if c in scoped.columns))
    grouped = (
        scoped.groupby(names + ["frame_id"], dropna=False)[
            ["n_articles", "n_with_frame", "n_articles_all", "n_with_frame_all"]
        ]
        .sum()
        .reset_index()
    )
    rows = []
    for r in _records(grouped.sort_values(names + ["frame_id"])):
        k, n = int(r["n_with_frame"]), int(r["n_articles"])
        low, high = _interval(k, n)
        rows.append(
            GroupShare(
                source_id=r.get("source_id"),
                outlet=r.get("outlet"),
                country=r.get("country"),
                frame_id=r["frame_id"],
                n_articles=n,
                n_with_frame=k,
                share=_share(k, n),
                ci_low=low,
                ci_high=high,
                n_articles_all=int(r["n_articles_all"]),
                n_with_frame_all=int(r["n_with_frame_all"]),
            )
        )
    return rows


def build_breakdowns(
    data: ReportData, options: ReportOptions, frame_ids: list[str]
) -> dict[str, list[GroupShare]]:
    return {
        "outlet_week": _breakdown(data["share_by_source"], "source_id", [options.week], frame_ids),
        "outlet_window": _breakdown(data["share_by_source"], "source_id", options.weeks, frame_ids),
        "country_week": _breakdown(data["share_by_country"], "country", [options.week], frame_ids),
        "country_window": _breakdown(data["share_by_country"], "country", options.weeks, frame_ids),
    }


def build_cooccurrence(
    data: ReportData, options: ReportOptions, frame_ids: list[str]
) -> dict[str, list[Cooccurrence]]:
    """Stories carrying both frames, and that count as a share of the row frame's stories."""
    pairs = data["cooccurrence"]
    result = {}
    for scope, weeks in (("week", [options.week]), ("window", options.weeks)):
        scoped = pairs[pairs["week"].isin(weeks)]
        both = scoped.groupby(["frame_a", "frame_b"])["n_both"].sum().to_dict()
        rows = []
        for a in frame_ids:
            n_a = int(both.get((a, a), 0))
            for b in frame_ids:
                n_ab = int(both.get((a, b), 0))
                rows.append(
                    Cooccurrence(
                        frame_a=a,
                        frame_b=b,
                        n_both=n_ab,
                        n_frame_a=n_a,
                        share_of_a=_share(n_ab, n_a),
                    )
                )
        result[scope] = rows
    return result


# --- emerging framings ---------------------------------------------------------------------


def build_emerging(data: ReportData, options: ReportOptions) -> list[EmergingSummary]:
    members = data["emerging"]
    members = members[members["week"].isin(options.weeks)]
    week, last = options.week, options.data_weeks[-2]
    clusters = []
    for cluster_id, rows in members.groupby("cluster_id", sort=True):
        first = _records(rows.head(1))[0]
        n_week = int((rows["week"] == week).sum())
        n_last = int((rows["week"] == last).sum())
        examples = (
            rows.assign(is_this_week=rows["week"] == week)
            .sort_values(
                ["is_this_week", "similarity", "article_id", "passage_idx"],
                ascending=[False, False, True, True],
            )
            .head(EXAMPLES_PER_CLUSTER)
        )
        clusters.append(
            EmergingSummary(
                cluster_id=cluster_id,
                keywords=tuple(first["keywords"] or ()),
                size=int(first["cluster_size"]),
                first_seen_week=first["first_seen_week"],
                last_seen_week=first["last_seen_week"],
                n_this_week=n_week,
                n_last_week=n_last,
                growth=n_week - n_last,
                n_window=len(rows),
                examples=tuple(
                    _typed(
                        EmergingExample,
                        {
                            **r,
                            "passage": strip_page_furniture(r["passage"]) if r["passage"] else None,
                        },
                    )
                    for r in _records(examples)
                ),
            )
        )
    clusters.sort(key=lambda c: (-c.n_this_week, -c.size, c.cluster_id))
    return clusters


# --- coverage and method -------------------------------------------------------------------

_FETCH_COUNTS = (
    "n_runs",
    "urls_seen",
    "articles_fetched",
    "urls_unchanged",
    "urls_blocked",
    "urls_failed",
)


def build_collection(data: ReportData) -> Collection:
    """When the report week's in-scope unique stories were first fetched, by crawl week."""
    by_week: dict[str, int] = {}
    not_crawled = 0
    source_weeks: dict[str, list[str]] = {}
    for row in _records(data["collection"]):
        n = int(row["n_stories"])
        source_weeks.setdefault(row["source_id"], []).append(row["crawl_week"] or "")
        if row["crawl_week"] is None:
            not_crawled += n
        else:
            by_week[row["crawl_week"]] = by_week.get(row["crawl_week"], 0) + n
    return Collection(
        by_crawl_week=tuple(sorted(by_week.items())),
        n_not_crawled=not_crawled,
        source_weeks={k: tuple(sorted(v)) for k, v in source_weeks.items()},
        later_crawl_week={r["source_id"]: r["crawl_week"] for r in _records(data["later_crawls"])},
    )


def _uncrawled_health(source_id: str, week: str, collection: Collection) -> str:
    """An outlet's verdict for a week in which no crawl ran: where its stories came from."""
    weeks = collection.source_weeks.get(source_id, ())
    later = [w for w in weeks if w > week]
    if later:
        return f"collected in {later[0]}"
    if "" in weeks:
        return "back-filled"
    if source_id in collection.later_crawl_week:
        return f"no story; crawled in {collection.later_crawl_week[source_id]}"
    return "not crawled"


def build_coverage(
    data: ReportData,
    options: ReportOptions,
    quality: dict[str, Any] | None,
    shares: ReportShares | None = None,
) -> Coverage:
    week = options.week
    articles = data["articles"]
    in_scope_week = articles[
        (articles["week"] == week) & articles["in_scope"].fillna(False) & ~articles["is_duplicate"]
    ]
    per_source = in_scope_week.groupby("source_id").size().to_dict()
    crawled = len(data["crawl_runs"]) > 0
    collection = build_collection(data)
    sources = []
    for r in _records(data["source_health"]):
        health = r["health"] or (
            "silent" if crawled else _uncrawled_health(r["source_id"], week, collection)
        )
        counts = {key: None if r[key] is None else int(r[key]) for key in _FETCH_COUNTS}
        sources.append(
            _typed(
                SourceHealth,
                {
                    **r,
                    **counts,
                    "health": health,
                    "n_in_scope": int(per_source.get(r["source_id"], 0)),
                },
            )
        )
    verdicts: dict[str, int] = {}
    for source in sources:
        verdicts[source.health] = verdicts.get(source.health, 0) + 1
    attention = {r["week"]: r for r in _records(data["weekly_attention"])}.get(week, {})
    n_all = attention.get("n_in_scope_all") or 0
    n_labelled = attention.get("n_labelled") or 0
    n_in_scope = attention.get("n_in_scope") or 0
    versions = data["label_versions"]
    return Coverage(
        sources=tuple(sources),
        verdicts=dict(sorted(verdicts.items())),
        n_crawl_runs=len(data["crawl_runs"]),
        collection=collection,
        n_in_scope_all=n_all,
        n_in_scope_duplicates=attention.get("n_in_scope_duplicates") or 0,
        dedupe_rate=_share(attention.get("n_in_scope_duplicates") or 0, n_all),
        n_labelled=n_labelled,
        n_unlabelled=n_in_scope - n_labelled,
        n_no_frame=attention.get("n_no_frame") or 0,
        no_frame_rate=_share(attention.get("n_no_frame") or 0, n_labelled),
        label_versions_week=tuple(
            _typed(LabelVersionUse, r) for r in _records(versions[versions["week"] == week])
        ),
        label_versions_window=tuple(sorted(set(versions["label_version"]))),
        quality=quality_for_codebook(quality, None if shares is None else shares.source),
        shares=None if shares is None else shares.source,
    )


def quality_for_codebook(
    quality: dict[str, Any] | None, source: ShareSource | None
) -> dict[str, Any] | None:
    """The quality file as shown: its per-frame measures only when it names the report's
    codebook (its fingerprint, else its version), since another codebook's frames are other
    frames even under the same ids; otherwise they are dropped, and `per_frame_dropped` says why."""
    if quality is None or not quality.get("per_frame"):
        return quality
    summary = quality.get("summary", {})
    fingerprints = {str(v) for k, v in summary.items() if k.endswith("codebook_fingerprint")}
    versions = {str(v) for k, v in summary.items() if k.endswith("codebook_version")}
    if source is not None and (
        source.codebook_fingerprint in fingerprints
        or (not fingerprints and source.codebook_version in versions)
    ):
        return quality
    reason = (
        "its per-frame measures are not shown: it does not name this report's codebook"
        if source is None or not (fingerprints or versions)
        else "its per-frame measures are not shown: they are of another codebook"
    )
    return {**quality, "per_frame": {}, "per_frame_dropped": reason}


# The plain warning of a report whose shares are the labeller's counts (issue 15).
UNCORRECTED_WARNING = (
    "The frame shares this week are counts of the stories the labeller marked (classify and "
    "count): they measure the labeller as much as the press, and their intervals cover sampling "
    "noise only, not its errors. To correct them, label a random sample of stories by hand "
    "(framewatch annotate export --design stratified -n 200 -o sheet.csv, then framewatch annotate import "
    "sheet.csv -o gold.jsonl) or calibrate the labeller with a holdout (framewatch frames "
    "calibrate --holdout), and build the report again."
)


def build_notes(
    headline: Headline, volume: list[WeekVolume], coverage: Coverage, options: ReportOptions
) -> list[str]:
    notes = []
    if headline.n_labelled == 0:
        notes.append(f"No labelled in-scope articles in {options.week}: no shares can be given.")
    elif headline.thin:
        notes.append(
            f"Only {headline.n_labelled} labelled articles in {options.week} "
            f"(fewer than {options.min_articles}): its shares are too noisy to read and "
            "are not tested against earlier weeks."
        )
    thin = [v.week for v in volume if v.thin and v.week != options.week]
    if thin:
        notes.append(
            f"Thin weeks (fewer than {options.min_articles} articles) in the window: "
            f"{', '.join(thin)}; their shares are not plotted."
        )
    if len(coverage.label_versions_window) > 1:
        notes.append(
            "Labels in this window come from "
            f"{len(coverage.label_versions_window)} label versions "
            f"({', '.join(coverage.label_versions_window)}): a change of model or "
            "codebook can move shares by itself."
        )
    if headline.n_labelled and (coverage.shares is None or not coverage.shares.corrected):
        notes.append(UNCORRECTED_WARNING)
    if coverage.n_unlabelled > 0:
        notes.append(
            f"{coverage.n_unlabelled} in-scope articles of {options.week} have no "
            "frame labels yet and are not in the shares."
        )
    return notes


def build_model(
    data: ReportData,
    options: ReportOptions,
    quality: dict[str, Any] | None,
    shares: ReportShares | None = None,
) -> ReportModel:
    """The report's numbers. `shares` are the estimator's corrected shares for the report's
    codebook (pipeline/report/shares.py); without them every share is a count."""
    frames = frame_catalogue(data, options.week)
    frame_ids = [f.frame_id for f in frames]
    counts = weekly_counts(data, options.data_weeks, frames)
    frame_table = build_frame_table(counts, frames, options, shares)
    n_week = counts[frame_ids[0]][options.week].n if frame_ids else 0
    trailing = options.data_weeks[-1 - TRAILING_WEEKS : -1]
    n_trailing = sum(counts[frame_ids[0]][w].n for w in trailing) if frame_ids else 0
    tests = build_tests(counts, frames, options, shares)
    mark_moved(frame_table, tests)
    headline = build_headline(data, options)
    volume = build_volume(data, options.weeks, options.min_articles)
    coverage = build_coverage(data, options, quality, shares)
    moved = sorted({t.frame_id for t in tests if t.moved}, key=frame_ids.index)
    return ReportModel(
        options=options,
        frames=frames,
        headline=headline,
        frame_table=frame_table,
        primary_share=build_primary_share(frame_table, n_week, n_trailing),
        series=build_series(counts, frames, options.weeks, options.min_articles, shares),
        volume=volume,
        tests=tests,
        evidence=build_evidence(data, options.week, moved),
        breakdowns=build_breakdowns(data, options, frame_ids),
        cooccurrence=build_cooccurrence(data, options, frame_ids),
        emerging=build_emerging(data, options),
        coverage=coverage,
        notes=build_notes(headline, volume, coverage, options),
    )
