"""The history report: frame shares month by month (or week by week) over a long span.

A back-filled corpus (docs/backfill.md) reads as a long trend at once. The honesty rules are
the weekly report's: every share with its 95% Wilson interval, counted once per story (copies
left out); periods with fewer than `min_articles` labelled stories are marked thin, drawn hollow
and left out of the test; the long-run change of each frame (its first `window` periods with
enough stories, pooled, against its last `window`) is a two-proportion z-test with one Holm
correction over all frames; and coverage per period says how many stories came from which
acquisition path (crawl, WARC import, URL import, text import) and which outlets.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from pipeline.report.export import write_json, write_table
from pipeline.report.render import p_value, pct, pp
from pipeline.report.stats import adjust_p_values, two_proportion_test, wilson_interval
from warehouse.queries import named_queries

TEMPLATES = Path(__file__).with_name("templates")
PERIOD_KINDS = ("month", "week")
ACQUISITION_PATHS = ("crawl", "warc", "urls", "texts")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class HistoryError(ValueError):
    """Options of the history report that cannot work (named, with what was given)."""


@dataclass(frozen=True)
class HistoryOptions:
    first: str  # YYYY-MM or YYYY-Www, as `by` says
    last: str
    by: str = "month"
    min_articles: int = 10
    min_effect: float = 0.05  # smallest long-run change in share reported as moved
    window: int = 3  # periods pooled at each end for the long-run test


def parse_period(text: str, by: str) -> date:
    """First day of a period label: `2022-01` (month) or `2022-W03` (ISO week)."""
    if by == "month":
        match = _MONTH.match(text.strip())
        if match and 1 <= int(match[2]) <= 12:
            return date(int(match[1]), int(match[2]), 1)
        # a week label given with --by month, or the other way round, is named as such
        raise HistoryError(f"{text!r} is not a month (YYYY-MM)")
    if by == "week":
        match = _WEEK.match(text.strip())
        if match:
            try:
                return date.fromisocalendar(int(match[1]), int(match[2]), 1)
            except ValueError:
                pass
        raise HistoryError(f"{text!r} is not an ISO week (YYYY-Www)")
    raise HistoryError(f"by={by!r}: choose month or week")


def period_label(day: date, by: str) -> str:
    return day.strftime("%Y-%m") if by == "month" else day.strftime("%G-W%V")


def periods_between(options: HistoryOptions) -> list[str]:
    """Every period label from first to last, inclusive."""
    start, end = parse_period(options.first, options.by), parse_period(options.last, options.by)
    if end < start:
        raise HistoryError(f"--to {options.last} is before --from {options.first}")
    labels, day = [], start
    while day <= end:
        labels.append(period_label(day, options.by))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1) if options.by == "month" \
            else day + timedelta(weeks=1)
    if len(labels) > 1200:
        raise HistoryError(f"{len(labels)} periods from {options.first} to {options.last}: too many")
    return labels


@dataclass
class HistoryModel:
    options: HistoryOptions
    periods: list[str]
    frames: list[dict[str, Any]]  # frame_id, label
    series: dict[str, list[dict[str, Any]]]  # frame_id -> one point per period
    totals: list[dict[str, Any]]  # per period: n (labelled stories), thin
    tests: list[dict[str, Any]]  # per frame: long-run change
    coverage: list[dict[str, Any]]  # per period: stories by path and by outlet
    outlets: list[str]
    notes: list[str] = field(default_factory=list)


def _query_params(options: HistoryOptions, periods: list[str]) -> dict[str, Any]:
    start = parse_period(periods[0], options.by)
    end_start = parse_period(periods[-1], options.by)
    end = (end_start.replace(day=28) + timedelta(days=4)).replace(day=1) if options.by == "month" \
        else end_start + timedelta(weeks=1)
    fmt = "%Y-%m" if options.by == "month" else "%G-W%V"
    return {"start": start, "end": end, "fmt": fmt}


def build_history(con: duckdb.DuckDBPyConnection, options: HistoryOptions) -> HistoryModel:
    """Read the views and compute every number of the history report."""
    periods = periods_between(options)
    queries = named_queries("history")
    params = _query_params(options, periods)
    totals_rows = dict(con.execute(queries["period_totals"], params).fetchall())
    frame_rows = con.execute(queries["period_frames"], params).fetchall()
    frames = [{"frame_id": fid, "label": label}
              for fid, label in con.execute(queries["frames"], {"start": params["start"],
                                                                "end": params["end"]}).fetchall()]
    counts: dict[tuple[str, str], tuple[int, int]] = {
        (period, fid): (n_with, n_primary) for period, fid, n_with, n_primary in frame_rows}
    totals = [{"period": p, "n": int(totals_rows.get(p, 0)),
               "thin": int(totals_rows.get(p, 0)) < options.min_articles} for p in periods]
    series: dict[str, list[dict[str, Any]]] = {}
    for frame in frames:
        points = []
        for total in totals:
            k, k_primary = counts.get((total["period"], frame["frame_id"]), (0, 0))
            n = total["n"]
            low, high = wilson_interval(k, n) if n else (math.nan, math.nan)
            p_low, p_high = wilson_interval(k_primary, n) if n else (math.nan, math.nan)
            points.append({"period": total["period"], "k": k, "n": n,
                           "share": k / n if n else None,
                           "low": None if math.isnan(low) else low,
                           "high": None if math.isnan(high) else high,
                           "k_primary": k_primary, "primary_share": k_primary / n if n else None,
                           "primary_low": None if math.isnan(p_low) else p_low,
                           "primary_high": None if math.isnan(p_high) else p_high,
                           "thin": total["thin"]})
        series[frame["frame_id"]] = points
    tests = _long_run_tests(frames, series, options)
    coverage, outlets = _coverage(con.execute(queries["period_coverage"], params).fetchall(), periods)
    model = HistoryModel(options, periods, frames, series, totals, tests, coverage, outlets)
    model.notes = _notes(model)
    return model


MEASURES = (("share", "k", "carrying the frame"), ("primary_share", "k_primary", "frame is primary"))


def _long_run_tests(frames: list[dict[str, Any]], series: dict[str, list[dict[str, Any]]],
                    options: HistoryOptions) -> list[dict[str, Any]]:
    """Per frame and measure (share carrying it, share with it primary): start vs end of the
    span, one Holm correction over every test, as the weekly report does."""
    tests = []
    for frame in frames:
        usable = [p for p in series[frame["frame_id"]] if not p["thin"]]
        window = min(options.window, len(usable) // 2)
        for measure, k_key, measure_label in MEASURES:
            row: dict[str, Any] = {"frame_id": frame["frame_id"], "label": frame["label"],
                                   "measure": measure, "measure_label": measure_label,
                                   "start": None, "end": None, "diff": None, "p": None,
                                   "p_adjusted": None, "moved": False, "direction": ""}
            if window >= 1:
                head, tail = usable[:window], usable[-window:]
                k0, n0 = sum(p[k_key] for p in head), sum(p["n"] for p in head)
                k1, n1 = sum(p[k_key] for p in tail), sum(p["n"] for p in tail)
                test = two_proportion_test(k1, n1, k0, n0)
                row.update(start=k0 / n0, end=k1 / n1, diff=k1 / n1 - k0 / n0,
                           start_periods=f"{head[0]['period']}–{head[-1]['period']}",
                           end_periods=f"{tail[0]['period']}–{tail[-1]['period']}",
                           n_start=n0, n_end=n1, p=test.p_value if test else None)
            tests.append(row)
    tested = [t for t in tests if t["p"] is not None]
    reject, adjusted = adjust_p_values([t["p"] for t in tested])
    for test, rejected, p_adj in zip(tested, reject, adjusted, strict=True):
        test["p_adjusted"] = p_adj
        test["moved"] = rejected and abs(test["diff"]) >= options.min_effect
        test["direction"] = ("rose" if test["diff"] > 0 else "fell") if test["moved"] else "no clear change"
    return tests


def _coverage(rows: list[tuple[Any, ...]], periods: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    by_period: dict[str, dict[str, Any]] = {
        p: {"period": p, "n": 0, "paths": dict.fromkeys(ACQUISITION_PATHS, 0), "outlets": {}}
        for p in periods}
    outlets: set[str] = set()
    for period, path, outlet, n in rows:
        if period not in by_period:
            continue
        entry = by_period[period]
        entry["n"] += n
        entry["paths"][path] = entry["paths"].get(path, 0) + n
        entry["outlets"][outlet] = entry["outlets"].get(outlet, 0) + n
        outlets.add(outlet)
    return list(by_period.values()), sorted(outlets)


def _notes(model: HistoryModel) -> list[str]:
    notes = []
    empty = [t["period"] for t in model.totals if t["n"] == 0]
    thin = [t["period"] for t in model.totals if t["thin"] and t["n"] > 0]
    if not model.frames:
        notes.append("No labelled stories in this span: run `framewatch frame` after importing.")
    if empty:
        notes.append(f"{len(empty)} of {len(model.periods)} periods have no labelled story "
                     f"({_span_list(empty)}): gaps, not zeros.")
    if thin:
        notes.append(f"{len(thin)} periods have fewer than {model.options.min_articles} labelled "
                     f"stories ({_span_list(thin)}): drawn hollow, not tested.")
    imported = sum(c["paths"].get(p, 0) for c in model.coverage for p in ("warc", "urls", "texts"))
    total = sum(c["n"] for c in model.coverage)
    if total and imported:
        notes.append(f"{imported} of {total} in-scope stories were back-filled (imported), "
                     "not crawled: see coverage by acquisition path.")
    return notes


def _span_list(labels: list[str], limit: int = 8) -> str:
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


# -- rendering -------------------------------------------------------------------------------


def _svg_panel(frame: dict[str, Any], points: list[dict[str, Any]]) -> Markup:
    """A small-multiple trend panel: share per period with its interval, on a 0-100% scale.

    Every text in it is escaped (frame labels come from a seed file a user edits).
    """
    width, height, left, right, top, bottom = 340, 150, 34, 8, 22, 22
    inner_w, inner_h = width - left - right, height - top - bottom
    count = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + inner_w * i / count

    def y(share: float) -> float:
        return top + inner_h * (1 - share)

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="panel" viewBox="0 0 {width} {height}" '
              f'role="img" aria-label="{escape(frame["label"])}: share of stories per period">'),
             f'<text x="{left}" y="14" class="pt">{escape(frame["label"])}</text>']
    for tick in (0, 0.5, 1):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     'class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" class="ax" text-anchor="end">'
                     f'{int(tick * 100)}%</text>')
    band_top = [(x(i), y(p["high"])) for i, p in enumerate(points) if p["share"] is not None and not p["thin"]]
    band_low = [(x(i), y(p["low"])) for i, p in enumerate(points) if p["share"] is not None and not p["thin"]]
    if len(band_top) > 1:
        polygon = " ".join(f"{a:.1f},{b:.1f}" for a, b in band_top + band_low[::-1])
        parts.append(f'<polygon points="{polygon}" class="band"/>')
    line = [(x(i), y(p["share"])) for i, p in enumerate(points) if p["share"] is not None and not p["thin"]]
    if len(line) > 1:
        parts.append('<polyline points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in line) + '" class="line"/>')
    primary = [(x(i), y(p["primary_share"])) for i, p in enumerate(points)
               if p["primary_share"] is not None and not p["thin"]]
    if len(primary) > 1:
        parts.append('<polyline points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in primary)
                     + '" class="primary"/>')
    for i, p in enumerate(points):
        if p["share"] is None:
            continue
        label = escape(f'{p["period"]}: {pct(p["share"])} of {p["n"]} carry it, '
                       f'{pct(p["primary_share"])} as primary'
                       + (" (thin: not tested)" if p["thin"] else ""))
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p["share"]):.1f}" r="2.6" '
                     f'class="{"thin" if p["thin"] else "dot"}"><title>{label}</title></circle>')
    if points:
        parts.append(f'<text x="{left}" y="{height - 6}" class="ax">{escape(points[0]["period"])}</text>')
        parts.append(f'<text x="{width - right}" y="{height - 6}" class="ax" text-anchor="end">'
                     f'{escape(points[-1]["period"])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_escape(value: Any) -> Any:
    """Markdown-escape text shown in the Markdown report (outlet names, frame labels ...)."""
    if isinstance(value, str):
        return _MD_SPECIAL.sub(r"\\\1", value).replace("\n", " ")
    return value


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=not markdown,  # the HTML template always escapes; Markdown escapes its own way
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=md_escape if markdown else None,
    )
    env.filters.update(pct=pct, pp=pp, p_value=p_value)
    return env


def _context(model: HistoryModel) -> dict[str, Any]:
    return {"m": model, "o": model.options,
            "panels": {f["frame_id"]: _svg_panel(f, model.series[f["frame_id"]]) for f in model.frames},
            "paths": ACQUISITION_PATHS}


def render_history_html(model: HistoryModel) -> str:
    return _environment(markdown=False).get_template("history.html.j2").render(_context(model))


def render_history_markdown(model: HistoryModel) -> str:
    return _environment(markdown=True).get_template("history.md.j2").render(_context(model))


@dataclass(frozen=True)
class HistoryResult:
    folder: Path
    path_html: Path
    path_md: Path
    model: HistoryModel


def write_history_report(con: duckdb.DuckDBPyConnection, options: HistoryOptions,
                         out_dir: Path) -> HistoryResult:
    """Build the history report and write it (HTML, Markdown, CSV and JSON) under `out_dir`."""
    model = build_history(con, options)
    folder = Path(out_dir) / f"history-{options.first}-to-{options.last}-by-{options.by}"
    folder.mkdir(parents=True, exist_ok=True)
    path_html = folder / "history.html"
    path_md = folder / "history.md"
    path_html.write_text(render_history_html(model), encoding="utf-8")
    path_md.write_text(render_history_markdown(model), encoding="utf-8")
    write_table(folder, "history_frame_share",
                [{"frame_id": fid, **point} for fid, points in model.series.items() for point in points])
    write_table(folder, "history_coverage", [
        {"period": c["period"], "n": c["n"], **{f"path_{k}": v for k, v in c["paths"].items()},
         **{f"outlet:{k}": v for k, v in c["outlets"].items()}} for c in model.coverage])
    write_json(folder / "history.json", {
        "options": options.__dict__, "periods": model.periods, "totals": model.totals,
        "tests": model.tests, "notes": model.notes})
    return HistoryResult(folder, path_html, path_md, model)
