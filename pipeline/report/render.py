"""Render the report model to charts (SVG), a self-contained HTML page and Markdown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline.report import charts, view
from pipeline.report.analysis import RECENT_WEEKS, TRAILING_WEEKS, ReportModel
from pipeline.report.records import FrameTest, WeekShare
from pipeline.report.stats import Z_95
from pipeline.report.weeks import week_bounds

TEMPLATES = Path(__file__).with_name("templates")


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def spct(value: float | None, digits: int = 0) -> str:
    """A relative change: signed percent."""
    if value is None:
        return "–"
    return f"{100 * value:+.{digits}f}%".replace("-", "−")


def pp(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f} pp".replace("-", "−")


def signed(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:+,.{digits}f}".replace("-", "−")


def p_value(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def heat(value: float | None) -> str:
    """Inline background for a table cell holding a share."""
    if value is None:
        return ""
    return f"background: rgba(29, 78, 216, {0.06 + 0.5 * value:.3f})"


# Markdown punctuation that would turn crawled text into emphasis, links, images, code, table
# cells or headings; each is shown literally when preceded by a backslash (CommonMark 2.4).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]#!|~])")


def markdown_text(value: Any) -> Markup:
    """Any text as inert Markdown: HTML-significant characters become entities (`&lt;` shows as
    `<`, never as a tag), Markdown punctuation is backslash-escaped, and line breaks become spaces
    so a value cannot end a table row or a quote, or start a heading or list of its own."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text))


def _markdown_finalize(value: Any) -> Any:
    """Every `{{ value }}` of the Markdown template is escaped unless already safe (our numbers,
    macro output): the Markdown counterpart of HTML autoescaping."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return markdown_text(value)


# Characters left as they are in a Markdown link destination: RFC 3986 reserved characters and
# `%` (already-encoded URLs stay as they are), minus the ones Markdown reads: ( ) < > ` \\ space.
_URL_SAFE = ":/?#[]@!$&'*+,;=%~"


def http_url(value: Any) -> str | None:
    """The URL if it is http(s), else None: a crawled `javascript:` or `data:` URL never becomes
    a link."""
    if not isinstance(value, str):
        return None
    scheme = urlsplit(value.strip()).scheme.lower()
    return value if scheme in ("http", "https") else None


def markdown_url(value: Any) -> Markup | None:
    """An http(s) URL as a Markdown link destination `<...>`, with every character that could
    end it or start markup percent-encoded; None for any other scheme."""
    url = http_url(value)
    if url is None:
        return None
    return Markup(f"<{quote(url.strip(), safe=_URL_SAFE)}>")


def _safe_number(format_value):
    """Our number formats contain no markup; marking them safe keeps them out of escaping."""

    def wrapped(*args: Any, **kwargs: Any) -> Markup:
        return Markup(format_value(*args, **kwargs))

    wrapped.__doc__ = format_value.__doc__
    return wrapped


def _safe_chart_key(frame_id: str) -> Markup:
    """`charts.chart_key` as template output: letters, digits, `_` and `-` only, nothing to
    escape (an escaped `_` would show in a Markdown link)."""
    return Markup(charts.chart_key(frame_id))


def _environment(markdown: bool) -> Environment:
    """Autoescaping is always on: in HTML by Jinja (the template names end in `.j2`, so it is
    set for every template, not chosen by extension), in Markdown by `_markdown_finalize`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=_markdown_finalize if markdown else None,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        {
            name: _safe_number(function)
            for name, function in (
                ("pct", pct),
                ("spct", spct),
                ("pp", pp),
                ("signed", signed),
                ("heat", heat),
            )
        }
    )
    # "<0.001" is markup-free Markdown, but in HTML its "<" must be an entity (a bare "<" before
    # a digit is a parse error, shown as text only by the parser's error recovery).
    env.filters["p_value"] = _safe_number(p_value) if markdown else p_value
    env.filters.update(
        http_url=http_url, md_url=markdown_url, md=markdown_text, chart_key=_safe_chart_key
    )
    return env


def build_charts(model: ReportModel) -> dict[str, str]:
    """Every chart of the report as SVG text, keyed by a file-safe name."""
    options = model.options
    by_frame: dict[str, list[WeekShare]] = {}
    for row in model.series:
        by_frame.setdefault(row.frame_id, []).append(row)
    top = charts.shared_top(model.series)
    lead = view.lead(model)
    out = {
        "volume": charts.volume_chart("chart-volume", model.volume, options.min_articles),
        "trend-legend": charts.trend_legend(
            "chart-trend-legend", any(r.corrected_share is not None for r in model.series)
        ),
    }
    if lead.rows:
        lead_top = charts.shared_top_of(
            [v for r in lead.rows for v in (r.share, r.share_ref) if v is not None]
        )
        out["lead"] = charts.change_chart(
            "chart-lead",
            f"What moved: each frame {view.MEASURE_PHRASES[lead.measure]}, this week and the "
            f"last {RECENT_WEEKS} weeks against the {TRAILING_WEEKS} weeks before",
            lead.rows,
            lead_top,
        )
    title_rows = max([len(charts.panel_title_lines(f.label)) for f in model.frames] or [1])
    for frame in model.frames:
        key = charts.chart_key(frame.frame_id)
        rows = by_frame[frame.frame_id]
        out[f"spark-{key}"] = charts.sparkline(f"spark-{key}", rows, frame.label, top)
        out[f"trend-{key}"] = charts.trend_panel(
            f"chart-trend-{key}",
            frame.label,
            rows,
            model.volume,
            options.min_articles,
            top,
            title_rows=title_rows,
        )
    if model.frame_table:
        out["primary-share"] = charts.bar_chart(
            "chart-primary-share",
            f"Primary frame of each in-scope story, {options.week}",
            model.primary_share,
            "frame_label",
            "primary_share",
            "n_primary",
            "n_articles",
            reference_key="primary_share_trailing",
            reference_label=f"share in the {TRAILING_WEEKS} weeks before, pooled",
        )
    labels = [f.label for f in model.frames]
    index = {f.frame_id: i for i, f in enumerate(model.frames)}
    for scope in ("week", "window"):
        cells = {}
        for row in model.cooccurrence[scope]:
            i, j = index[row.frame_a], index[row.frame_b]
            text = str(row.n_both) if row.n_frame_a else ""
            cells[(i, j)] = (row.share_of_a, text)
        if labels:
            span = options.week if scope == "week" else f"{options.weeks[0]} to {options.week}"
            out[f"cooccurrence-{scope}"] = charts.heatmap(
                f"chart-cooccurrence-{scope}",
                f"Stories carrying both frames, {span} (colour: share of the row frame's stories)",
                labels,
                cells,
            )
    return out


def _context(model: ReportModel, svgs: dict[str, str], markdown: bool) -> dict[str, Any]:
    options = model.options
    monday, sunday = week_bounds(options.week)
    series_by_frame: dict[str, list[WeekShare]] = {}
    for row in model.series:
        series_by_frame.setdefault(row.frame_id, []).append(row)
    top = charts.shared_top(model.series)
    headers = view.comparison_headers(model)
    return {
        "m": model,
        "o": options,
        "week_start": monday.strftime("%-d %b %Y"),
        "week_end": sunday.strftime("%-d %b %Y"),
        "labels": {f.frame_id: f.label for f in model.frames},
        "svg": {k: Markup(v) for k, v in svgs.items()} if not markdown else svgs,
        "lead": view.lead(model),
        "measure_phrases": view.MEASURE_PHRASES,
        "crawl_note": view.crawl_note(model),
        "scale_top": top,
        "text_spark": {
            fid: charts.text_sparkline(rows, top) for fid, rows in series_by_frame.items()
        },
        "comparisons": headers,
        "comparison_text": {h.key: h.sentence for h in headers},
        "test_tables": view.tests_by_measure(model),
        "n_tests": sum(t.p_value is not None for t in model.tests),
        "measure_names": {"carries": "carries the frame", "primary": "primary frame"},
        "movers": view.movers(model),
        "outlets_week": view.share_matrix(model.breakdowns["outlet_week"], "source_id"),
        "outlets_window": view.share_matrix(model.breakdowns["outlet_window"], "source_id"),
        "countries_week": view.share_matrix(model.breakdowns["country_week"], "country"),
        "countries_window": view.share_matrix(model.breakdowns["country_window"], "country"),
        **_share_context(model),
    }


# How the report names the estimator's methods (pipeline/framing/prevalence.py), short in
# tables and in full where they are explained.
METHOD_SHORT = {
    "ppi": "PPI",
    "pacc": "PACC",
    "emq": "EMQ",
    "classify_and_count": "count",
}
METHOD_LONG = {
    "ppi": "prediction-powered inference (PPI++, Angelopoulos et al. 2023): the labeller's "
    "scores of every story, corrected by how far they were off on the week's hand-labelled "
    "random sample; the interval holds whatever the labeller's quality",
    "pacc": "probabilistic adjusted classify-and-count (quapy): the labeller's marks corrected "
    "by its error rates measured on labelled stories of other weeks or its calibration data; "
    "the interval is a bootstrap over those stories and the week's, widened by the error the "
    "same correction made on held-out parts of the labelled stories",
    "emq": "EM prior adjustment (EMQ, quapy): the labeller's probabilities re-weighted to the "
    "week's prevalence, fitted on labelled stories of other weeks or its calibration data; "
    "bootstrap interval",
    "classify_and_count": "classify and count: the share of stories the labeller marked, which "
    "measures the labeller as much as the press, with a Wilson interval that covers sampling "
    "noise only (no labelled data to correct it, too few, or labelled data showing that a "
    "correction would not be stable: see the line under the frames table)",
}


def _share_context(model: ReportModel) -> dict[str, Any]:
    """What the templates say about the frame shares: corrected or not, and by which methods."""
    source = model.coverage.shares
    corrected = source is not None and source.corrected
    used = list(source.methods_week) if source is not None else []
    return {
        "has_correction": corrected,
        "methods_used": used,
        "methods_this_week": ", ".join(
            METHOD_LONG.get(m, m).split(":")[0] for m in used
        ),
        "method_short": METHOD_SHORT,
        "method_long": METHOD_LONG,
        "frame_quality": list(source.frame_quality) if source is not None else [],
        "share_refusals": list(source.refusals) if source is not None else [],
        "basis": test_basis,
        "methods_text": "; ".join(f"{METHOD_SHORT.get(m, m)}: {METHOD_LONG.get(m, m)}" for m in used),
        "frame_quality_text": "; ".join(
            f"{q.frame_label}: precision {pct(q.precision, 0)}, recall {pct(q.recall, 0)} "
            f"(n {q.n_gold})"
            for q in (source.frame_quality if source is not None else ())
        ),
    }


def test_basis(test: FrameTest, reference: bool = False) -> str:
    """What one side of a test rests on: its counts (k/n), or for corrected shares the method
    and the 95% margin (1.96 standard errors) the test used."""
    if test.method == "classify_and_count":
        return f"{test.k_ref}/{test.n_ref}" if reference else f"{test.k}/{test.n}"
    se = test.se_ref if reference else test.se
    methods = "+".join(METHOD_SHORT.get(m, m) for m in test.method.split("+"))
    return f"corrected, {methods}, ±{100 * Z_95 * (se or 0.0):.1f} points"


def render_html(model: ReportModel, svgs: dict[str, str]) -> str:
    return _environment(False).get_template("report.html.j2").render(**_context(model, svgs, False))


def render_markdown(model: ReportModel, svgs: dict[str, str]) -> str:
    return _environment(True).get_template("report.md.j2").render(**_context(model, svgs, True))
