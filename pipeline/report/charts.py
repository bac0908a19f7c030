"""Hand-built SVG charts: deterministic text, no scripts, no external fonts, scale to any width.

Each function takes the rows that also go to the chart's CSV and returns one <svg> element.
Ids inside an SVG carry the chart id, so many charts can sit inline in one page.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from pipeline.report.records import WeekShare, WeekVolume

ACCENT = "#1d4ed8"
PRIMARY = "#7c3aed"
SMOOTH = "#c2410c"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
THIN = "#9ca3af"
BAR = "#94a3b8"
UP = "#047857"
DOWN = "#b91c1c"
CORRECTED = "#0f766e"  # the estimator's share corrected for the labeller's errors
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")


def chart_key(frame_id: str) -> str:
    """A frame id as it may appear in an SVG id, a `url(#...)` reference and a file name.

    Codebook slugs stay as they are; anything else (the warehouse holds whatever a codebook file
    said) has its other characters replaced and gains a hash, so two ids cannot collide and no
    id can leave its attribute or its folder.
    """
    if _SAFE_ID.fullmatch(frame_id):
        return frame_id
    digest = hashlib.sha1(frame_id.encode("utf-8")).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', frame_id)[:40]}-{digest}"


def _n(value: float) -> str:
    """A coordinate with one decimal, without '-0.0', so output bytes are stable."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 11,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
    extra: str = "",
) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}"{extra}>{escape(content)}</text>'
    )


# Advance widths in em of DejaVu Sans, the widest common fallback for system-ui: estimating
# with it errs on the side of too much room, never of clipped labels in narrower fonts.
_EM_WIDTHS: dict[str, float] = {
    **dict.fromkeys("0123456789$", 0.64),
    **dict.fromkeys("abdeghnopqu", 0.63),
    **dict.fromkeys("ckvxyz", 0.58),
    **dict.fromkeys("ijl'", 0.28),
    **dict.fromkeys("frt", 0.4),
    "s": 0.52,
    "m": 0.97,
    "w": 0.82,
    **dict.fromkeys("ABCDEFGHKLNPRSTUVXYZ", 0.7),
    **dict.fromkeys("IJ", 0.29),
    **dict.fromkeys("MOQ", 0.8),
    "W": 0.99,
    **dict.fromkeys(" ,.:;!|", 0.33),
    **dict.fromkeys("()[]-/\\", 0.39),
    **dict.fromkeys('"*?_', 0.5),
    **dict.fromkeys("%@", 1.0),
}
_EM_DEFAULT = 0.75  # anything else (symbols, accents, other scripts): generous
_BOLD = 1.08


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated rendered width of `text` at font `size`, in SVG units (user px)."""
    width = sum(_EM_WIDTHS.get(ch, _EM_DEFAULT) for ch in text) * size
    return width * (_BOLD if bold else 1.0)


def wrap_text(
    text: str, size: float, max_width: float, max_lines: int = 2, bold: bool = False
) -> list[str]:
    """Greedy word wrap to at most `max_lines` lines of at most `max_width`; what does not fit
    is cut with an ellipsis (the chart's <title> keeps the full text)."""
    words = text.split()
    if not words:
        return [""]
    lines: list[str] = []
    current = words[0]
    for word in words[1:]:
        candidate = f"{current} {word}"
        if text_width(candidate, size, bold) <= max_width:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    last = lines[-1]
    if text_width(last, size, bold) > max_width:
        while last and text_width(last + "…", size, bold) > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _lines(
    x: float,
    y: float,
    lines: Sequence[str],
    *,
    size: float = 11,
    line_height: float | None = None,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
    extra: str = "",
) -> str:
    """One <text> with a <tspan> per line; `y` is the first line's baseline."""
    step = line_height or size * 1.2
    spans = "".join(
        f'<tspan x="{_n(x)}" dy="{_n(0 if i == 0 else step)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}"{extra}>{spans}</text>'
    )


def _svg(
    chart_id: str,
    width: float,
    height: float,
    title: str,
    body: list[str],
    css_class: str = "chart",
) -> str:
    if not _SAFE_ID.fullmatch(chart_id):
        raise ValueError(f"unsafe chart id {chart_id!r}: build it with chart_key()")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" id="{chart_id}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
        f'role="img" aria-labelledby="{chart_id}-title" font-family="{escape(FONT)}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _hatch(pattern_id: str) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#f3f4f6"/>'
        f'<line x1="0" y1="0" x2="0" y2="5" stroke="{THIN}" stroke-width="1.4"/></pattern></defs>'
    )


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _nice_top(value: float) -> float:
    """Round a share up to the next 10 points (at least 20%), so panels compare at a glance."""
    return min(1.0, max(0.2, math.ceil(value * 10 - 1e-9) / 10))


def _runs(flags: Sequence[bool]) -> list[list[int]]:
    """Indices grouped into consecutive runs where flag is True."""
    runs, current = [], []
    for index, flag in enumerate(flags):
        if flag:
            current.append(index)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def shared_top(rows: Sequence[WeekShare]) -> float:
    """The one y-axis maximum of all small multiples: the highest plotted value (interval top,
    corrected interval top or primary share) of any frame's non-thin week, rounded up to 10 points, so the panels
    compare at a glance."""
    highs = [
        max(r.ci_high or 0.0, r.primary_share or 0.0, r.corrected_ci_high or 0.0)
        for r in rows
        if not r.thin and r.share is not None
    ]
    return _nice_top(max(highs or [0.0]))


def shared_top_of(values: Sequence[float]) -> float:
    """`_nice_top` of the largest of `values` (0 when there are none)."""
    return _nice_top(max(values or [0.0]))


def shown_share(row: WeekShare) -> float | None:
    """The share a trend shows for a week: the corrected one when the estimator made one."""
    return row.corrected_share if row.corrected_share is not None else row.share


def sparkline(chart_id: str, rows: list[WeekShare], label: str, top: float) -> str:
    """Weekly share as a small line on the y scale 0..`top` shared by every frame; thin weeks
    are a hatched slot, never a point."""
    width, height, pad = 132.0, 30.0, 3.0
    count = len(rows)
    step = (width - 2 * pad) / max(count, 1)
    valid = [not r.thin and r.share is not None for r in rows]

    def x(i: int) -> float:
        return pad + (i + 0.5) * step

    def y(v: float) -> float:
        return height - pad - v / top * (height - 2 * pad)

    body = [_hatch(f"{chart_id}-h")]
    body.append(
        f'<line x1="{_n(pad)}" y1="{_n(height - pad)}" x2="{_n(width - pad)}" '
        f'y2="{_n(height - pad)}" stroke="{GRID}"/>'
    )
    for i, ok in enumerate(valid):
        if not ok:
            body.append(
                f'<rect x="{_n(x(i) - step / 2)}" y="{_n(pad)}" width="{_n(step)}" '
                f'height="{_n(height - 2 * pad)}" fill="url(#{chart_id}-h)"/>'
            )
    for run in _runs(valid):
        points = " ".join(f"{_n(x(i))},{_n(y(shown_share(rows[i])))}" for i in run)
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{ACCENT}" stroke-width="1.6" '
            'stroke-linejoin="round"/>'
        )
    if valid and valid[-1]:
        body.append(
            f'<circle cx="{_n(x(count - 1))}" cy="{_n(y(shown_share(rows[-1])))}" r="2.6" '
            f'fill="{ACCENT}"/>'
        )
    corrected = any(r.corrected_share is not None for r in rows)
    title = (
        f"{label}: weekly share{' (corrected for the labeller’s errors where estimated)' if corrected else ''}, {rows[0].week} to {rows[-1].week} (scale 0 to {_pct(top)})"
        if rows
        else label
    )
    return _svg(chart_id, width, height, title, body, css_class="spark")


def text_sparkline(rows: list[WeekShare], top: float) -> str:
    """The sparkline for Markdown, on the shared scale 0..`top`: one block per week, '·' for a
    thin week."""
    chars = []
    for r in rows:
        if r.thin or r.share is None:
            chars.append("·")
        else:
            chars.append(SPARK_BLOCKS[min(7, int(shown_share(r) / top * 7.999))])
    return "".join(chars)


PANEL_WIDTH = 340.0
PANEL_TITLE_SIZE = 13.0


def panel_title_lines(label: str) -> list[str]:
    """A small multiple's title, wrapped to the panel's width (at most two lines)."""
    return wrap_text(label, PANEL_TITLE_SIZE, PANEL_WIDTH - 4, bold=True)


def trend_panel(
    chart_id: str,
    label: str,
    rows: list[WeekShare],
    volume: list[WeekVolume],
    min_articles: int,
    top: float,
    title_rows: int = 1,
) -> str:
    """One frame's small multiple, on one share axis: the share of stories carrying the frame
    (points with a 95% band and a 3-week smoothed line), the share whose primary frame it is
    (a second line with square markers), and weekly story counts (bars).

    Every panel of a grid gets the same `top` (see `shared_top`): one y scale, so panels can
    be compared. `title_rows` reserves room for that many title lines, so panels line up.
    """
    width = PANEL_WIDTH
    title_lines = panel_title_lines(label)
    offset = PANEL_TITLE_SIZE * 1.25 * (max(title_rows, len(title_lines)) - 1)
    left, right = 36.0, 10.0
    share_top, share_bottom = 30.0 + offset, 150.0 + offset
    vol_top, vol_bottom = 166.0 + offset, 206.0 + offset
    height = 236.0 + offset
    count = len(rows)
    step = (width - left - right) / max(count, 1)
    valid = [not r.thin and r.share is not None for r in rows]
    max_n = max([v.n_labelled for v in volume] or [0]) or 1

    def x(i: int) -> float:
        return left + (i + 0.5) * step

    def y(v: float) -> float:
        return share_bottom - v / top * (share_bottom - share_top)

    body = [
        _hatch(f"{chart_id}-h"),
        _lines(
            0,
            16,
            title_lines,
            size=PANEL_TITLE_SIZE,
            line_height=PANEL_TITLE_SIZE * 1.25,
            weight="600",
        ),
    ]
    ticks = [top * f for f in (0, 0.5, 1)]
    for tick in ticks:
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y(tick))}" x2="{_n(width - right)}" '
            f'y2="{_n(y(tick))}" stroke="{GRID}"/>'
        )
        body.append(
            _text(
                left - 4,
                y(tick) + 3.5,
                _pct(tick),
                size=9.5,
                anchor="end",
                fill=MUTED,
                extra=' class="y-max"' if tick == top else "",
            )
        )
    for i, ok in enumerate(valid):
        if not ok:
            body.append(
                f'<rect class="thin-week" x="{_n(x(i) - step / 2 + 0.5)}" y="{_n(share_top)}" '
                f'width="{_n(step - 1)}" height="{_n(share_bottom - share_top)}" '
                f'fill="url(#{chart_id}-h)"><title>{escape(rows[i].week)}: '
                f"n={rows[i].n_articles} (fewer than {min_articles}), no share shown"
                "</title></rect>"
            )
    for run in _runs(valid):
        if len(run) == 1:
            i = run[0]
            body.append(
                f'<line x1="{_n(x(i))}" y1="{_n(y(rows[i].ci_low))}" x2="{_n(x(i))}" '
                f'y2="{_n(y(rows[i].ci_high))}" stroke="{ACCENT}" stroke-opacity="0.35" '
                'stroke-width="4"/>'
            )
            continue
        upper = [f"{_n(x(i))},{_n(y(rows[i].ci_high))}" for i in run]
        lower = [f"{_n(x(i))},{_n(y(rows[i].ci_low))}" for i in reversed(run)]
        body.append(
            f'<polygon class="band" points="{" ".join(upper + lower)}" fill="{ACCENT}" '
            'fill-opacity="0.14"/>'
        )
    smooth_ok = [r.smoothed_share is not None for r in rows]
    for run in _runs(smooth_ok):
        if len(run) > 1:
            points = " ".join(f"{_n(x(i))},{_n(y(min(top, rows[i].smoothed_share)))}" for i in run)
            body.append(
                f'<polyline class="smoothed" points="{points}" fill="none" stroke="{SMOOTH}" '
                'stroke-width="1.8" stroke-linejoin="round"/>'
            )
    primary_ok = [ok and r.primary_share is not None for r, ok in zip(rows, valid, strict=True)]
    for run in _runs(primary_ok):
        if len(run) > 1:
            points = " ".join(f"{_n(x(i))},{_n(y(rows[i].primary_share))}" for i in run)
            body.append(
                f'<polyline class="primary" points="{points}" fill="none" stroke="{PRIMARY}" '
                'stroke-width="1.6" stroke-dasharray="5 2.5" stroke-linejoin="round"/>'
            )
    for i, ok in enumerate(primary_ok):
        if ok:
            r = rows[i]
            half = 2.6 if i == count - 1 else 2.0
            body.append(
                f'<rect class="primary-point" x="{_n(x(i) - half)}" '
                f'y="{_n(y(r.primary_share) - half)}" width="{_n(2 * half)}" '
                f'height="{_n(2 * half)}" fill="{PRIMARY}"><title>{escape(r.week)}: primary '
                f"frame of {_pct(r.primary_share, 1)} ({r.n_primary}/{r.n_articles}), "
                f"95% CI {_pct(r.primary_ci_low, 1)}–{_pct(r.primary_ci_high, 1)}"
                "</title></rect>"
            )
    for i, ok in enumerate(valid):
        if ok:
            r = rows[i]
            radius = 3.4 if i == count - 1 else 2.4
            body.append(
                f'<circle cx="{_n(x(i))}" cy="{_n(y(r.share))}" r="{radius}" '
                f'fill="{ACCENT}"><title>{escape(r.week)}: {_pct(r.share, 1)} '
                f"({r.n_with_frame}/{r.n_articles}), 95% CI {_pct(r.ci_low, 1)}"
                f"–{_pct(r.ci_high, 1)}</title></circle>"
            )
    body.extend(_corrected_overlay(rows, valid, x, y))
    body.append(_text(left - 4, vol_top + 8, f"n {max_n}", size=9, anchor="end", fill=MUTED))
    for i, v in enumerate(volume):
        bar = (vol_bottom - vol_top) * v.n_labelled / max_n
        fill = f"url(#{chart_id}-h)" if v.thin else BAR
        body.append(
            f'<rect x="{_n(x(i) - step * 0.35)}" y="{_n(vol_bottom - bar)}" '
            f'width="{_n(step * 0.7)}" height="{_n(max(bar, 0.0))}" fill="{fill}"'
            f"{'' if not v.thin else f' stroke={chr(34)}{THIN}{chr(34)}'}>"
            f"<title>{escape(v.week)}: {v.n_labelled} articles</title></rect>"
        )
    body.append(
        f'<line x1="{_n(left)}" y1="{_n(vol_bottom)}" x2="{_n(width - right)}" '
        f'y2="{_n(vol_bottom)}" stroke="{MUTED}" stroke-width="0.8"/>'
    )
    label_every = max(1, math.ceil(count / 5))
    for i, r in enumerate(rows):
        if (count - 1 - i) % label_every == 0:
            body.append(
                _text(
                    x(i),
                    vol_bottom + 14,
                    r.week[-3:],
                    size=9.5,
                    anchor="middle",
                    fill=INK if i == count - 1 else MUTED,
                )
            )
    corrected = any(r.corrected_share is not None for r in rows)
    title = (
        f"{label}: weekly share of in-scope stories carrying the frame with 95% Wilson band "
        "and 3-week smoothed share, "
        + ("the share corrected for the labeller's errors with its 95% interval, " if corrected else "")
        + "weekly share whose primary frame it is, and weekly story "
        f"counts, {rows[0].week} to {rows[-1].week}"
    )
    return _svg(chart_id, width, height, title, body)


def _corrected_overlay(rows: list[WeekShare], valid: list[bool], x: Any, y: Any) -> list[str]:
    """The estimator's corrected share of each plotted week: a 95% interval whisker and a
    diamond, joined by a line (class "corrected"); nothing for weeks it did not correct."""
    ok = [v and r.corrected_share is not None for r, v in zip(rows, valid, strict=True)]
    body = []
    for run in _runs(ok):
        if len(run) > 1:
            points = " ".join(f"{_n(x(i))},{_n(y(rows[i].corrected_share))}" for i in run)
            body.append(
                f'<polyline class="corrected" points="{points}" fill="none" '
                f'stroke="{CORRECTED}" stroke-width="1.8" stroke-linejoin="round"/>'
            )
    for i, good in enumerate(ok):
        if not good:
            continue
        r = rows[i]
        cx, cy, half = x(i), y(r.corrected_share), 3.4
        body.append(
            f'<line class="corrected-ci" x1="{_n(cx)}" y1="{_n(y(r.corrected_ci_low))}" '
            f'x2="{_n(cx)}" y2="{_n(y(r.corrected_ci_high))}" stroke="{CORRECTED}" '
            'stroke-width="1.4"/>'
        )
        body.append(
            f'<polygon class="corrected-point" points="{_n(cx)},{_n(cy - half)} '
            f'{_n(cx + half)},{_n(cy)} {_n(cx)},{_n(cy + half)} {_n(cx - half)},{_n(cy)}" '
            f'fill="{CORRECTED}"><title>{escape(r.week)}: corrected {_pct(r.corrected_share, 1)}, '
            f"95% interval {_pct(r.corrected_ci_low, 1)}–{_pct(r.corrected_ci_high, 1)} "
            f"({escape(r.correction_method or '')}, {r.n_gold} gold)</title></polygon>"
        )
    return body


def trend_legend(chart_id: str, corrected: bool = False) -> str:
    """Two columns of entries, the second placed after the widest first-column text, so the
    legend stays legible when scaled to a phone. `corrected` adds the corrected share's entry."""
    size = 12.0
    first = ("carries the frame, 95% interval", "primary frame", "too few stories")
    second = ("3-week smoothed", "stories per week") + (
        ("corrected share, 95% interval",) if corrected else ()
    )
    second_x = 24 + max(text_width(t, size) for t in first) + 18
    body = [_hatch(f"{chart_id}-h")]
    body.append(f'<rect x="0" y="5" width="18" height="12" fill="{ACCENT}" fill-opacity="0.14"/>')
    body.append(f'<circle cx="9" cy="11" r="2.6" fill="{ACCENT}"/>')
    body.append(_text(24, 15, first[0], size=size))
    body.append(
        f'<line x1="0" y1="34" x2="18" y2="34" stroke="{PRIMARY}" stroke-width="1.6" '
        'stroke-dasharray="5 2.5"/>'
        f'<rect x="6.5" y="31.5" width="5" height="5" fill="{PRIMARY}"/>'
    )
    body.append(_text(24, 38, first[1], size=size))
    body.append(f'<rect x="1" y="50" width="16" height="14" fill="url(#{chart_id}-h)"/>')
    body.append(_text(24, 61, first[2], size=size))
    body.append(
        f'<line x1="{_n(second_x)}" y1="11" x2="{_n(second_x + 18)}" y2="11" '
        f'stroke="{SMOOTH}" stroke-width="2"/>'
    )
    body.append(_text(second_x + 24, 15, second[0], size=size))
    body.append(f'<rect x="{_n(second_x + 3)}" y="28" width="12" height="12" fill="{BAR}"/>')
    body.append(_text(second_x + 24, 38, second[1], size=size))
    if corrected:
        body.append(
            f'<line x1="{_n(second_x + 9)}" y1="50" x2="{_n(second_x + 9)}" y2="64" '
            f'stroke="{CORRECTED}" stroke-width="1.4"/>'
            f'<polygon points="{_n(second_x + 9)},53.6 {_n(second_x + 12.4)},57 '
            f'{_n(second_x + 9)},60.4 {_n(second_x + 5.6)},57" fill="{CORRECTED}"/>'
        )
        body.append(_text(second_x + 24, 61, second[2], size=size))
    width = second_x + 24 + max(text_width(t, size) for t in second) + 4
    return _svg(chart_id, width, 68, "Legend of the trend charts", body, css_class="legend")


def bar_chart(
    chart_id: str,
    title: str,
    rows: list[Any],
    label_key: str,
    share_key: str,
    k_key: str,
    n_key: str,
    reference_key: str | None = None,
    reference_label: str = "",
) -> str:
    """Horizontal bars of shares (rows: records, read by the attribute names given): each row's label and "share (k/n)" on one line, the bar below,
    so long labels get the full width (and stay legible when the chart shrinks to a phone).

    With `reference_key`, a dark tick on each bar marks the reference share (e.g. the share in
    the weeks before), explained by `reference_label` in a key under the bars.
    """
    width, size, bar_height, gap = 380.0, 12.5, 11.0, 9.0
    line = size * 1.25
    values = [
        f"{_pct(getattr(r, share_key), 1)} ({getattr(r, k_key)}/{getattr(r, n_key)})" for r in rows
    ]
    value_width = max([text_width(v, size) for v in values] or [0.0])
    label_room = width - value_width - 12
    body = []
    y = 2.0
    for r, value in zip(rows, values, strict=True):
        label_lines = wrap_text(str(getattr(r, label_key)), size, label_room)
        first_baseline = y + size
        body.append(_lines(0, first_baseline, label_lines, size=size, line_height=line))
        body.append(_text(width, first_baseline, value, size=size, anchor="end", fill=INK))
        bar_top = y + line * len(label_lines) + 2
        share = getattr(r, share_key) or 0.0
        colour = BAR if getattr(r, label_key) == "No frame" else ACCENT
        body.append(
            f'<rect x="0" y="{_n(bar_top)}" width="{_n(width)}" height="{_n(bar_height)}" '
            f'fill="#f3f4f6"/>'
        )
        body.append(
            f'<rect x="0" y="{_n(bar_top)}" width="{_n(width * share)}" '
            f'height="{_n(bar_height)}" fill="{colour}"/>'
        )
        reference = getattr(r, reference_key) if reference_key else None
        if reference is not None:
            tick = width * reference
            body.append(
                f'<rect class="reference" x="{_n(max(0.0, tick - 1.25))}" y="{_n(bar_top - 3)}" '
                f'width="2.5" height="{_n(bar_height + 6)}" fill="{INK}">'
                f"<title>{escape(reference_label)}: {_pct(reference, 1)}</title></rect>"
            )
        y = bar_top + bar_height + gap
    if reference_key and reference_label:
        y += 4
        body.append(
            f'<rect x="0" y="{_n(y - 1)}" width="2.5" height="14" fill="{INK}"/>'
            + _text(8, y + 10, reference_label, size=11.5, fill=MUTED)
        )
        y += 16
    return _svg(chart_id, width, y + 2, title, body)


def heatmap(
    chart_id: str,
    title: str,
    labels: list[str],
    cells: dict[tuple[int, int], tuple[float | None, str]],
) -> str:
    """A square matrix: colour by share (0..1), each cell printing its own text; the diagonal
    (a frame with itself) is drawn neutral so it does not dominate the colour scale.

    Rows carry the labels, numbered and wrapped to two lines; columns carry only the numbers, so
    column headers never run into each other however long the labels (slanted labels did).
    """
    size, cell, row_height = 12.0, 52.0, 36.0
    line = size * 1.15
    row_lines = []
    for i, label in enumerate(labels):
        lines = wrap_text(f"{i + 1}. {label}", size, 200)
        row_lines.append(lines)
    label_width = max([text_width(t, size) for lines in row_lines for t in lines] or [0.0]) + 12
    header = size * 1.3 + 10
    size_n = len(labels)
    width = label_width + cell * size_n + 6
    height = header + row_height * size_n + 4
    body = []
    for j, label in enumerate(labels):
        # the column's number, with its full label as a tooltip
        body.append(
            f'<text class="column-label" x="{_n(label_width + (j + 0.5) * cell)}" '
            f'y="{_n(header - 8)}" font-size="{size}" text-anchor="middle" fill="{MUTED}" '
            f'font-weight="600"><title>{escape(label)}</title>{j + 1}</text>'
        )
    for i, lines in enumerate(row_lines):
        top = header + i * row_height
        first = top + row_height / 2 + 4 - (len(lines) - 1) * line / 2
        body.append(
            _lines(label_width - 8, first, lines, size=size, line_height=line, anchor="end")
        )
        for j in range(size_n):
            share, text = cells.get((i, j), (None, ""))
            diagonal = i == j
            alpha = 0.0 if share is None or diagonal else 0.06 + 0.84 * share
            fill = "#e5e7eb" if diagonal else ACCENT
            opacity = 1.0 if diagonal else alpha
            body.append(
                f'<rect x="{_n(label_width + j * cell + 1)}" y="{_n(top + 1)}" '
                f'width="{_n(cell - 2)}" height="{_n(row_height - 2)}" fill="{fill}" '
                f'fill-opacity="{opacity:.3f}" stroke="{GRID}"/>'
            )
            dark = share is not None and not diagonal and share > 0.5
            body.append(
                _text(
                    label_width + (j + 0.5) * cell,
                    top + row_height / 2 + 4.5,
                    text,
                    size=12.5,
                    anchor="middle",
                    weight="600" if diagonal else "normal",
                    fill="#ffffff" if dark else INK,
                )
            )
    return _svg(chart_id, width, height, title, body, css_class="chart matrix-chart")


def volume_chart(chart_id: str, volume: list[WeekVolume], min_articles: int) -> str:
    """Weekly in-scope stories (bars, count above each) with the AI-race attention share in a
    row below. 28 units a week and fonts of 11-12 units: at 12 weeks the chart fits a 390 px
    phone at nearly its natural size; longer windows scroll sideways there rather than shrink
    their labels (the page puts the chart in a scroll box)."""
    count = len(volume)
    step, left = 28.0, 6.0
    width = step * max(count, 12) + 2 * left
    top, bottom = 34.0, 122.0
    max_n = max([v.n_in_scope for v in volume] or [0]) or 1
    body = [_hatch(f"{chart_id}-h")]
    for i, v in enumerate(volume):
        x = left + i * step
        bar = (bottom - top) * v.n_in_scope / max_n
        fill = f"url(#{chart_id}-h)" if v.thin else (ACCENT if i == count - 1 else BAR)
        body.append(
            f'<rect x="{_n(x + step * 0.15)}" y="{_n(bottom - bar)}" width="{_n(step * 0.7)}" '
            f'height="{_n(bar)}" fill="{fill}"><title>{escape(v.week)}: '
            f"{v.n_in_scope} in-scope stories</title></rect>"
        )
        body.append(
            _text(
                x + step / 2,
                bottom - bar - 4,
                str(v.n_in_scope),
                size=11,
                anchor="middle",
                fill=MUTED,
            )
        )
        body.append(
            _text(
                x + step / 2,
                bottom + 15,
                v.week[-3:],
                size=11.5,
                anchor="middle",
                fill=INK if i == count - 1 else MUTED,
            )
        )
        body.append(
            _text(
                x + step / 2, bottom + 31, _pct(v.attention), size=11, anchor="middle", fill=MUTED
            )
        )
    body.append(
        f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(width - left)}" y2="{_n(bottom)}" '
        f'stroke="{MUTED}" stroke-width="0.8"/>'
    )
    body.append(_text(left, 14, "In-scope stories per week", size=12, fill=MUTED))
    return _svg(
        chart_id,
        width,
        bottom + 40,
        "Weekly in-scope stories and AI-race attention (share of all collected stories)",
        body,
        css_class="chart wide",
    )


LEAD_WIDTH = 360.0


def change_chart(chart_id: str, title: str, rows: Sequence[Any], top: float) -> str:
    """The lead chart: per frame, a dumbbell per comparison from the reference share (hollow
    dot) to the current share (filled dot) on one 0..`top` scale, and the change in points.

    Rows are `view.LeadRow`s. Only a change that passed its corrected test is coloured (green
    up, red down) and bold; every other change is grey, whatever its size.
    """
    size, small = 14.0, 12.5
    width = LEAD_WIDTH
    caption_width = text_width("last 4 weeks", small) + 8
    value_width = text_width("−00.0 pp *", small, bold=True) + 6
    track_left, track_right = caption_width, width - value_width
    body = []
    y = 2.0

    def x(share: float) -> float:
        return track_left + (track_right - track_left) * min(share, top) / top

    for tick in (0.0, top / 2, top):
        body.append(_text(x(tick), y + small, _pct(tick), size=small, anchor="middle", fill=MUTED))
    y += small + 8
    grid_top = y
    previous = None
    for row in rows:
        if row.frame_id != previous:
            label_lines = wrap_text(row.frame_label, size, width, bold=True)
            body.append(
                _lines(0, y + size, label_lines, size=size, line_height=size * 1.2, weight="600")
            )
            y += size * 1.2 * len(label_lines) + 4
            previous = row.frame_id
        middle = y + 8
        body.append(_text(0, middle + 4.5, row.comparison, size=small, fill=MUTED))
        body.append(
            f'<line x1="{_n(track_left)}" y1="{_n(middle)}" x2="{_n(track_right)}" '
            f'y2="{_n(middle)}" stroke="{GRID}"/>'
        )
        colour = (UP if row.direction == "up" else DOWN) if row.moved else THIN
        if row.share is not None and row.share_ref is not None:
            body.append(
                f'<line class="change" x1="{_n(x(row.share_ref))}" y1="{_n(middle)}" '
                f'x2="{_n(x(row.share))}" y2="{_n(middle)}" stroke="{colour}" '
                'stroke-width="3"/>'
                f'<circle cx="{_n(x(row.share_ref))}" cy="{_n(middle)}" r="4" fill="#ffffff" '
                f'stroke="{colour}" stroke-width="1.6"/>'
                f'<circle class="{"moved" if row.moved else "unmoved"}" '
                f'cx="{_n(x(row.share))}" cy="{_n(middle)}" r="4.5" fill="{colour}">'
                f"<title>{escape(row.frame_label)}, {escape(row.comparison)}: "
                f"{_pct(row.share_ref, 1)} → {_pct(row.share, 1)}</title></circle>"
            )
        if row.not_tested:
            value = "not tested"
        else:
            value = f"{row.change_pp:+.1f} pp".replace("-", "−") + (" *" if row.moved else "")
        body.append(
            _text(
                width,
                middle + 4.5,
                value,
                size=small,
                anchor="end",
                fill=colour if row.moved else MUTED,
                weight="700" if row.moved else "normal",
            )
        )
        y += 22
    body.insert(
        0,
        f'<rect x="{_n(track_left)}" y="{_n(grid_top - 4)}" '
        f'width="{_n(track_right - track_left)}" height="{_n(y - grid_top + 4)}" '
        'fill="#f8fafc"/>',
    )
    return _svg(chart_id, width, y + 4, title, body)
