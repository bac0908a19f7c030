"""What the templates show, arranged from the report model: typed records, pure functions.

The analysis (analysis.py) computes rows; this module groups them the way the page reads: the
lead (one sentence and one chart of what moved), the test tables, the frames that moved with
their evidence, and the outlet and country matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.report.analysis import MEASURES, RECENT_WEEKS, ReportModel, comparisons
from pipeline.report.records import Evidence, FrameTest, GroupShare

# The lead chart sets each frame's share this week, and over the last 4 weeks, against the
# 8 weeks before: the two comparisons that say what moved "this week and over the last four".
LEAD_COMPARISONS = ("trailing_8_weeks", "recent_4_vs_prior_8")
LEAD_COMPARISON_NAMES = {"trailing_8_weeks": "this week", "recent_4_vs_prior_8": "last 4 weeks"}
MEASURE_PHRASES = {
    "carries": "in the share of stories carrying it",
    "primary": "as the primary frame",
}


@dataclass(frozen=True, slots=True)
class ComparisonHeader:
    """What a comparison sets against what: a table `header` and a `sentence` for prose."""

    key: str
    label: str
    header: str
    sentence: str


@dataclass(frozen=True, slots=True)
class TestTableRow:
    frame_id: str
    frame_label: str
    tests: dict[str, FrameTest]  # keyed by comparison key


@dataclass(frozen=True, slots=True)
class TestTable:
    """One measure's tests: a row per frame, a column per comparison."""

    measure: str
    meaning: str
    file: str
    rows: tuple[TestTableRow, ...]


@dataclass(frozen=True, slots=True)
class Mover:
    """A frame that moved, every test of it that passed, and this week's evidence."""

    frame_id: str
    frame_label: str
    direction: str  # up | down | mixed
    tests: tuple[FrameTest, ...]
    evidence: tuple[Evidence, ...]


@dataclass(slots=True)
class ShareGroup:
    """One row of an outlet or country matrix: its stories and a cell per frame."""

    key: str
    name: str
    country: str | None
    n_articles: int = 0
    n_articles_all: int = 0
    cells: dict[str, GroupShare] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One dumbbell of the lead chart: a frame's share in a comparison against its reference.
    `moved` is True only for a change that passed the corrected test: only those get colour."""

    frame_id: str
    frame_label: str
    comparison: str
    share: float | None
    share_ref: float | None
    change_pp: float | None
    moved: bool
    direction: str | None
    not_tested: str | None


@dataclass(frozen=True, slots=True)
class Lead:
    """The finding the report opens with: one sentence and the rows of one chart."""

    sentence: str
    measure: str
    rows: tuple[LeadRow, ...]


def comparison_headers(model: ReportModel) -> list[ComparisonHeader]:
    def short(weeks: tuple[str, ...]) -> str:
        return weeks[0][-3:] if len(weeks) == 1 else f"{weeks[0][-3:]}–{weeks[-1][-3:]}"

    headers = []
    for c in comparisons(model.options):
        if len(c.weeks) > 1:
            header = (
                f"last {len(c.weeks)} weeks ({short(c.weeks)}) "
                f"vs the {len(c.reference_weeks)} before ({short(c.reference_weeks)})"
            )
            sentence = f"the {header}"
        else:
            header = f"{c.label} ({short(c.reference_weeks)})"
            sentence = f"this week {header}"
        headers.append(ComparisonHeader(c.key, c.label, header, sentence))
    return headers


def tests_by_measure(model: ReportModel) -> list[TestTable]:
    tables = []
    for measure, (_, meaning) in MEASURES.items():
        rows: dict[str, TestTableRow] = {}
        for test in model.tests:
            if test.measure != measure:
                continue
            row = rows.setdefault(test.frame_id, TestTableRow(test.frame_id, test.frame_label, {}))
            row.tests[test.reference] = test
        tables.append(
            TestTable(
                measure=measure,
                meaning=meaning,
                file="tests" if measure == "carries" else f"tests_{measure}",
                rows=tuple(rows.values()),
            )
        )
    return tables


def movers(model: ReportModel) -> list[Mover]:
    """One entry per frame that moved, in codebook order, with every test of it that passed."""
    tests: dict[str, list[FrameTest]] = {}
    for test in model.tests:
        if test.moved:
            tests.setdefault(test.frame_id, []).append(test)
    result = []
    for frame in model.frames:
        passed = tests.get(frame.frame_id)
        if not passed:
            continue
        directions = {t.direction for t in passed}
        result.append(
            Mover(
                frame_id=frame.frame_id,
                frame_label=passed[0].frame_label,
                direction=directions.pop() if len(directions) == 1 else "mixed",
                tests=tuple(passed),
                evidence=tuple(model.evidence.get(frame.frame_id, [])),
            )
        )
    return result


def share_matrix(rows: list[GroupShare], key: str) -> list[ShareGroup]:
    """Breakdown rows grouped by outlet (key "source_id") or country, most stories first."""
    groups: dict[str, ShareGroup] = {}
    for row in rows:
        value = getattr(row, key)
        group = groups.setdefault(
            value, ShareGroup(key=value, name=row.outlet or value, country=row.country)
        )
        group.n_articles = row.n_articles
        group.n_articles_all = row.n_articles_all
        group.cells[row.frame_id] = row
    return sorted(groups.values(), key=lambda g: (-g.n_articles, str(g.name)))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _pp(value: float) -> str:
    return f"{value:+.1f} points".replace("-", "−")


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _span(weeks: str) -> str:
    """'2026-W44..2026-W47' as 'W44–W47', '2026-W46' as 'W46'."""
    first, _, last = weeks.partition("..")
    return f"{first[-3:]}–{last[-3:]}" if last else first[-3:]


def _comparison_phrase(test: FrameTest) -> str:
    """Where the two shares of a test come from, in words, e.g. 'in the last 4 weeks (W44–W47)
    against 12% in the 8 before (W36–W43)'."""
    now, then = _span(test.weeks), _span(test.reference_weeks)
    if test.reference == "last_week":
        return f"this week against {_pct(test.share_ref)} last week ({then})"
    if test.reference == "trailing_8_weeks":
        return f"this week against {_pct(test.share_ref)} in the 8 weeks before ({then})"
    return (
        f"in the last {RECENT_WEEKS} weeks ({now}) against {_pct(test.share_ref)} in the "
        f"8 before ({then})"
    )


def _corrected_phrase(test: FrameTest) -> str:
    """Says when a test's shares are corrected for the labeller's errors, and by what."""
    if test.method == "classify_and_count":
        return ""
    methods = " and ".join(m.upper() for m in test.method.split("+"))
    return f"; shares corrected for the labeller's errors by {methods}"


def lead(model: ReportModel) -> Lead:
    """What moved this week and over the last four weeks, in one sentence and one chart.

    The sentence names every frame that moved, largest change first, with the strongest test
    of each; with none, it says so and names the largest change that did not pass, so a reader
    sees how far it was.
    """
    options = model.options
    tested = [t for t in model.tests if t.p_value is not None]
    moved = [t for t in tested if t.moved]
    strongest: dict[str, FrameTest] = {}
    for test in sorted(moved, key=lambda t: (t.p_adjusted, -abs(t.change_pp))):
        strongest.setdefault(test.frame_id, test)
    best = sorted(strongest.values(), key=lambda t: -abs(t.change_pp))

    def clause(t: FrameTest, label: bool = True) -> str:
        verb = "rose" if t.direction == "up" else "fell"
        return (
            f"{t.frame_label + ' ' if label else ''}{verb} {MEASURE_PHRASES[t.measure]}: "
            f"{_pct(t.share)} {_comparison_phrase(t)} ({_pp(t.change_pp)}, adjusted p "
            f"{_p(t.p_adjusted)}{_corrected_phrase(t)})"
        )

    if not tested:
        sentence = (
            f"Too few stories in {options.week} and the weeks before it to test whether any "
            f"frame moved (each side of a comparison needs {options.min_articles})."
        )
    elif len(best) == 1:
        sentence = clause(best[0]) + "."
    elif best:
        sentence = (
            f"{len(best)} frames moved: "
            + "; ".join(f"{t.frame_label} {clause(t, label=False)}" for t in best)
            + "."
        )
    else:
        largest = max(tested, key=lambda t: (abs(t.change_pp), -t.p_adjusted))
        sentence = (
            f"No frame moved this week or over the last {RECENT_WEEKS} weeks: none of the "
            f"{len(tested)} tests passed after {options.correction.capitalize()} correction "
            f"with a change of at least {100 * options.min_effect:g} points; the largest change, "
            f"{largest.frame_label} {MEASURE_PHRASES[largest.measure]} "
            f"({_pp(largest.change_pp)}, {_pct(largest.share)} {_comparison_phrase(largest)}"
            f"{_corrected_phrase(largest)}), has adjusted p {_p(largest.p_adjusted)}."
        )
    measure = (
        min(moved, key=lambda t: (t.p_adjusted, -abs(t.change_pp))).measure if moved else "carries"
    )
    by_key = {(t.frame_id, t.measure, t.reference): t for t in model.tests}
    rows = []
    for frame in model.frames:
        for reference in LEAD_COMPARISONS:
            test = by_key.get((frame.frame_id, measure, reference))
            if test is None:
                continue
            rows.append(
                LeadRow(
                    frame_id=frame.frame_id,
                    frame_label=frame.label,
                    comparison=LEAD_COMPARISON_NAMES[reference],
                    share=test.share,
                    share_ref=test.share_ref,
                    change_pp=test.change_pp,
                    moved=test.moved,
                    direction=test.direction,
                    not_tested=test.not_tested,
                )
            )
    return Lead(sentence=sentence, measure=measure, rows=tuple(rows))


@dataclass(frozen=True, slots=True)
class CrawlNote:
    """What the report says about a week in which no crawl ran; `alarm` when nothing of the
    week was collected at all."""

    text: str
    alarm: bool


def crawl_note(model: ReportModel) -> CrawlNote | None:
    """None when a crawl ran in the report week. Otherwise say what happened: the week's stories
    were collected by a later crawl (the usual case for a report on the last complete week),
    back-filled, or not collected at all."""
    coverage, week = model.coverage, model.options.week
    if coverage.n_crawl_runs:
        return None
    collection = coverage.collection
    if collection.n_stories == 0:
        return CrawlNote(
            f"No crawl ran in {week}, and no in-scope story of the week was collected by a later "
            "crawl or an import.",
            alarm=True,
        )
    parts = [
        f"{n} {'was' if n == 1 else 'were'} collected by the crawls of {w}"
        if w > week
        else f"{n} {'was' if n == 1 else 'were'} collected by a crawl in {w}"
        for w, n in collection.by_crawl_week
    ]
    if collection.n_not_crawled:
        n = collection.n_not_crawled
        parts.append(f"{n} {'was' if n == 1 else 'were'} back-filled (imported, not crawled)")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    text = f"No crawl ran during {week} itself. Of its {collection.n_stories} in-scope stories, {listed}."
    if any(w > week for w, _ in collection.by_crawl_week):
        text += (
            " That is expected for a report on the last complete week when crawls run after "
            "it; the outlets below say where their stories came from."
        )
    return CrawlNote(text, alarm=False)
