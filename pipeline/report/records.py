"""The typed records that carry the report's numbers from analysis to templates and data files.

Every row the analysis computes is one of these frozen dataclasses, so a misspelled field fails
where the row is built (TypeError) or read (AttributeError), before anything is rendered; the
templates run with StrictUndefined for the same reason. Field names are the column names of the
CSV/JSON files in `data/` (`export.plain` turns a record into its fields, in declaration order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- frames and weekly series --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """A frame of the codebook that labelled the report week."""

    frame_id: str
    label: str
    definition: str | None


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """One frame's counts in one week: k carrying it, k primary, n stories (unique and raw)."""

    k: int
    n: int
    k_primary: int
    k_all: int
    n_all: int


@dataclass(frozen=True, slots=True)
class WeekShare:
    """One frame in one displayed week: both measures with their 95% Wilson intervals."""

    week: str
    frame_id: str
    frame_label: str
    n_articles: int
    n_with_frame: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    smoothed_share: float | None
    n_primary: int
    primary_share: float | None
    primary_ci_low: float | None
    primary_ci_high: float | None
    thin: bool
    n_articles_all: int
    n_with_frame_all: int
    # The estimator's share (pipeline/framing/prevalence.py) when gold or calibration data let
    # it correct for the labeller's errors, with its 95% interval, method and gold items used;
    # None when the week's shares are classify-and-count (the fields above are then all there is).
    corrected_share: float | None = None
    corrected_ci_low: float | None = None
    corrected_ci_high: float | None = None
    correction_method: str | None = None
    n_gold: int = 0
    primary_corrected_share: float | None = None
    primary_corrected_ci_low: float | None = None
    primary_corrected_ci_high: float | None = None
    primary_correction_method: str | None = None


@dataclass(frozen=True, slots=True)
class WeekVolume:
    """Stories of one displayed week: labelled, in scope, collected, and the attention share."""

    week: str
    n_labelled: int
    thin: bool
    n_in_scope: int
    n_in_scope_all: int
    n_collected: int
    attention: float | None


@dataclass(frozen=True, slots=True)
class Headline:
    """The report week's volume against last week and the trailing median."""

    week: str
    n_in_scope: int
    n_in_scope_all: int
    n_in_scope_last_week: int
    change_vs_last_week: int
    change_vs_last_week_pct: float | None
    trailing_median: float
    change_vs_trailing_median: float
    change_vs_trailing_median_pct: float | None
    n_outlets: int
    n_collected_unique: int
    attention: float | None
    attention_last_week: float | None
    n_labelled: int
    thin: bool


# --- frame table and tests -----------------------------------------------------------------


@dataclass(slots=True)
class FrameRow:
    """One frame of the week's table. The `moved_*` fields say which tests found it moved
    (the direction, else None); they are filled in by `analysis.mark_moved` once the tests ran.
    """

    frame_id: str
    frame_label: str
    n_with_frame: int
    n_articles: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    thin: bool
    n_with_frame_all: int
    n_articles_all: int
    n_with_frame_last_week: int
    n_articles_last_week: int
    share_last_week: float | None
    change_vs_last_week_pp: float | None
    n_with_frame_trailing: int
    n_articles_trailing: int
    share_trailing: float | None
    change_vs_trailing_pp: float | None
    n_primary: int
    primary_share: float | None
    n_primary_last_week: int
    primary_share_last_week: float | None
    n_primary_trailing: int
    primary_share_trailing: float | None
    change_primary_vs_trailing_pp: float | None
    corrected_share: float | None
    correction_method: str | None
    corrected_ci_low: float | None = None
    corrected_ci_high: float | None = None
    n_gold: int = 0
    corrected_share_last_week: float | None = None
    corrected_share_trailing: float | None = None  # pooled: weeks weighted by their stories
    corrected_change_vs_last_week_pp: float | None = None
    corrected_change_vs_trailing_pp: float | None = None
    primary_corrected_share: float | None = None
    primary_corrected_ci_low: float | None = None
    primary_corrected_ci_high: float | None = None
    primary_correction_method: str | None = None
    moved_carries: str | None = None
    moved_primary: str | None = None
    moved_carries_last_week: str | None = None
    moved_carries_trailing_8_weeks: str | None = None
    moved_carries_recent_4_vs_prior_8: str | None = None
    moved_primary_last_week: str | None = None
    moved_primary_trailing_8_weeks: str | None = None
    moved_primary_recent_4_vs_prior_8: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryShare:
    """Each story's primary frame (or "No frame"): this week and the 8 weeks before, pooled."""

    frame_id: str
    frame_label: str
    n_primary: int
    n_articles: int
    primary_share: float | None
    n_primary_trailing: int
    n_articles_trailing: int
    primary_share_trailing: float | None


@dataclass(slots=True)
class FrameTest:
    """One two-proportion test of one frame and measure in one comparison. `significant`,
    `moved`, `p_adjusted` and `direction` are set once every test of the report is corrected."""

    frame_id: str
    frame_label: str
    measure: str
    reference: str
    weeks: str
    reference_weeks: str
    k: int
    n: int
    share: float | None
    k_ref: int
    n_ref: int
    share_ref: float | None
    # "classify_and_count": k/n against k_ref/n_ref by a two-proportion test; otherwise the
    # estimator's method(s) (e.g. "ppi", "ppi+pacc"): `share`/`share_ref` are corrected shares
    # and the test uses their standard errors (`se`, `se_ref`, from the 95% intervals).
    method: str = "classify_and_count"
    se: float | None = None
    se_ref: float | None = None
    change_pp: float | None = None
    z: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    n_tests: int | None = None
    significant: bool = False
    moved: bool = False
    direction: str | None = None
    not_tested: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A story of the week carrying a frame, with the passage that most supports it."""

    frame_id: str
    article_id: str
    outlet: str | None
    title: str | None
    canonical_url: str | None
    passage: str | None
    passage_kind: str | None
    score: float


# --- breakdowns ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupShare:
    """Share of one outlet's (or country's) unique stories carrying a frame. `source_id` and
    `outlet` are None in the by-country breakdown."""

    source_id: str | None
    outlet: str | None
    country: str | None
    frame_id: str
    n_articles: int
    n_with_frame: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    n_articles_all: int
    n_with_frame_all: int


@dataclass(frozen=True, slots=True)
class Cooccurrence:
    """Stories carrying both frames, and that count as a share of frame_a's stories."""

    frame_a: str
    frame_b: str
    n_both: int
    n_frame_a: int
    share_of_a: float | None


# --- emerging framings ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmergingExample:
    """A passage of an emerging cluster, page furniture cut, with where it comes from."""

    cluster_id: str
    week: str
    outlet: str | None
    title: str | None
    canonical_url: str | None
    similarity: float | None
    passage: str | None


@dataclass(frozen=True, slots=True)
class EmergingSummary:
    """A candidate framing: a cluster of passages no frame claims, and how it grew."""

    cluster_id: str
    keywords: tuple[str, ...]
    size: int
    first_seen_week: str
    last_seen_week: str
    n_this_week: int
    n_last_week: int
    growth: int
    n_window: int
    examples: tuple[EmergingExample, ...] = field(default=(), compare=False)


# --- coverage ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One followed outlet in the report week: its crawl outcomes and in-scope stories."""

    source_id: str
    outlet: str | None
    country: str | None
    kind: str | None
    n_runs: int | None
    urls_seen: int | None
    articles_fetched: int | None
    urls_unchanged: int | None
    urls_blocked: int | None
    urls_failed: int | None
    health: str
    n_in_scope: int


@dataclass(frozen=True, slots=True)
class LabelVersionUse:
    """A label version (model, codebook, calibration) and how many stories of a week it labelled."""

    label_version: str
    model_id: str | None
    codebook_id: str | None
    codebook_version: str | None
    codebook_fingerprint: str | None
    calibration_version: str | None
    n_articles: int


@dataclass(frozen=True, slots=True)
class Collection:
    """When the report week's stories were collected: `by_crawl_week` counts stories by the ISO
    week of the first crawl that fetched them (a report on the last complete week is often
    collected by the next week's crawl); `n_not_crawled` counts those no crawl fetched
    (back-filled, imported); `source_weeks` gives each outlet's crawl weeks of its stories
    ("" for none); `later_crawl_week` when each outlet was first crawled after the week."""

    by_crawl_week: tuple[tuple[str, int], ...]
    n_not_crawled: int
    source_weeks: dict[str, tuple[str, ...]]
    later_crawl_week: dict[str, str]  # outlet -> ISO week of its first crawl after the week

    @property
    def n_stories(self) -> int:
        return sum(n for _, n in self.by_crawl_week) + self.n_not_crawled


@dataclass(frozen=True, slots=True)
class Coverage:
    """How complete the week is: crawl health per outlet, duplicates, labels, quality."""

    sources: tuple[SourceHealth, ...]
    verdicts: dict[str, int]
    n_crawl_runs: int
    collection: Collection
    n_in_scope_all: int
    n_in_scope_duplicates: int
    dedupe_rate: float | None
    n_labelled: int
    n_unlabelled: int
    n_no_frame: int
    no_frame_rate: float | None
    label_versions_week: tuple[LabelVersionUse, ...]
    label_versions_window: tuple[str, ...]
    quality: dict[str, Any] | None  # the quality file as measured: free-form JSON by design
    shares: ShareSource | None = None  # what the frame shares rest on (None: not estimated)


@dataclass(frozen=True, slots=True)
class ShareRefusal:
    """Frames whose share the estimator counted rather than corrected in the report week, although
    there were labelled data to correct it with, and why (the estimator's note)."""

    frame_labels: tuple[str, ...]
    measure: str  # "present" | "primary"
    note: str


@dataclass(frozen=True, slots=True)
class FrameQuality:
    """The labeller's measured precision and recall for one frame of the report's codebook,
    against the gold labels stored for that codebook (`framewatch annotate import`)."""

    frame_id: str
    frame_label: str
    n_gold: int  # gold-labelled stories compared
    n_gold_with_frame: int  # of which the coders marked the frame present
    n_labelled_with_frame: int  # of which the labeller marked it present
    true_positives: int
    precision: float | None
    recall: float | None


@dataclass(frozen=True, slots=True)
class ShareSource:
    """What the report's frame shares rest on: the codebook they are estimated for, the gold
    and calibration rows there were, the methods used this week, and the labeller's measured
    quality per frame of that codebook only."""

    codebook_fingerprint: str
    codebook_id: str | None
    codebook_version: str | None
    multi_label: bool
    gold_items: int  # gold stories from probability samples, used by the estimator
    gold_without_design: int  # gold stories whose inclusion probability is unknown: not used
    calibration_rows: int  # cross-fitted rows of the labels' calibration
    methods_week: tuple[str, ...]  # methods of the report week's estimates, sorted
    corrected: bool  # the report week's shares are corrected (a method other than classify-and-count)
    frame_quality: tuple[FrameQuality, ...] = ()
    refusals: tuple[ShareRefusal, ...] = ()  # the report week's shares counted despite labelled data
