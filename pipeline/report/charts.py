"""Hand-built SVG charts: deterministic text, no scripts, no external fonts, scale to any width.

Each function takes the rows that also go to the chart's CSV and returns one <svg> element.
Ids inside an SVG carry the chart id, so many charts can sit inline in one page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

ACCENT = "#1d4ed8"
SMOOTH = "#c2410c"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
THIN = "#9ca3af"
BAR = "#94a3b8"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


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


def _svg(
    chart_id: str,
    width: float,
    height: float,
    title: str,
    body: list[str],
    css_class: str = "chart",
) -> str:
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


def sparkline(chart_id: str, rows: list[dict[str, Any]], label: str) -> str:
    """Weekly share as a small line; thin weeks are a hatched slot, never a point."""
    width, height, pad = 132.0, 30.0, 3.0
    count = len(rows)
    step = (width - 2 * pad) / max(count, 1)
    valid = [not r["thin"] and r["share"] is not None for r in rows]
    top = _nice_top(max([r["share"] for r, ok in zip(rows, valid, strict=True) if ok] or [0.0]))

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
        points = " ".join(f"{_n(x(i))},{_n(y(rows[i]['share']))}" for i in run)
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{ACCENT}" stroke-width="1.6" '
            'stroke-linejoin="round"/>'
        )
    if valid and valid[-1]:
        body.append(
            f'<circle cx="{_n(x(count - 1))}" cy="{_n(y(rows[-1]["share"]))}" r="2.6" '
            f'fill="{ACCENT}"/>'
        )
    title = f"{label}: weekly share, {rows[0]['week']} to {rows[-1]['week']}" if rows else label
    return _svg(chart_id, width, height, title, body, css_class="spark")


def text_sparkline(rows: list[dict[str, Any]]) -> str:
    """The sparkline for Markdown: one block per week, '·' for a thin week."""
    valid = [r["share"] for r in rows if not r["thin"] and r["share"] is not None]
    top = _nice_top(max(valid or [0.0]))
    chars = []
    for r in rows:
        if r["thin"] or r["share"] is None:
            chars.append("·")
        else:
            chars.append(SPARK_BLOCKS[min(7, int(r["share"] / top * 7.999))])
    return "".join(chars)


def trend_panel(
    chart_id: str,
    label: str,
    rows: list[dict[str, Any]],
    volume: list[dict[str, Any]],
    min_articles: int,
) -> str:
    """One frame's small multiple: share with 95% band, smoothed line, and weekly volume bars."""
    width, height = 340.0, 236.0
    left, right = 36.0, 10.0
    share_top, share_bottom = 30.0, 150.0
    vol_top, vol_bottom = 166.0, 206.0
    count = len(rows)
    step = (width - left - right) / max(count, 1)
    valid = [not r["thin"] and r["share"] is not None for r in rows]
    highs = [r["ci_high"] for r, ok in zip(rows, valid, strict=True) if ok]
    top = _nice_top(max(highs or [0.0]))
    max_n = max([v["n_labelled"] for v in volume] or [0]) or 1

    def x(i: int) -> float:
        return left + (i + 0.5) * step

    def y(v: float) -> float:
        return share_bottom - v / top * (share_bottom - share_top)

    body = [_hatch(f"{chart_id}-h"), _text(0, 16, label, size=13, weight="600")]
    ticks = [top * f for f in (0, 0.5, 1)]
    for tick in ticks:
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y(tick))}" x2="{_n(width - right)}" '
            f'y2="{_n(y(tick))}" stroke="{GRID}"/>'
        )
        body.append(_text(left - 4, y(tick) + 3.5, _pct(tick), size=9.5, anchor="end", fill=MUTED))
    for i, ok in enumerate(valid):
        if not ok:
            body.append(
                f'<rect class="thin-week" x="{_n(x(i) - step / 2 + 0.5)}" y="{_n(share_top)}" '
                f'width="{_n(step - 1)}" height="{_n(share_bottom - share_top)}" '
                f'fill="url(#{chart_id}-h)"><title>{escape(rows[i]["week"])}: '
                f"n={rows[i]['n_articles']} (fewer than {min_articles}), no share shown"
                "</title></rect>"
            )
    for run in _runs(valid):
        if len(run) == 1:
            i = run[0]
            body.append(
                f'<line x1="{_n(x(i))}" y1="{_n(y(rows[i]["ci_low"]))}" x2="{_n(x(i))}" '
                f'y2="{_n(y(rows[i]["ci_high"]))}" stroke="{ACCENT}" stroke-opacity="0.35" '
                'stroke-width="4"/>'
            )
            continue
        upper = [f"{_n(x(i))},{_n(y(rows[i]['ci_high']))}" for i in run]
        lower = [f"{_n(x(i))},{_n(y(rows[i]['ci_low']))}" for i in reversed(run)]
        body.append(
            f'<polygon class="band" points="{" ".join(upper + lower)}" fill="{ACCENT}" '
            'fill-opacity="0.14"/>'
        )
    smooth_ok = [r["smoothed_share"] is not None for r in rows]
    for run in _runs(smooth_ok):
        if len(run) > 1:
            points = " ".join(
                f"{_n(x(i))},{_n(y(min(top, rows[i]['smoothed_share'])))}" for i in run
            )
            body.append(
                f'<polyline class="smoothed" points="{points}" fill="none" stroke="{SMOOTH}" '
                'stroke-width="1.8" stroke-linejoin="round"/>'
            )
    for i, ok in enumerate(valid):
        if ok:
            r = rows[i]
            radius = 3.4 if i == count - 1 else 2.4
            body.append(
                f'<circle cx="{_n(x(i))}" cy="{_n(y(r["share"]))}" r="{radius}" '
                f'fill="{ACCENT}"><title>{escape(r["week"])}: {_pct(r["share"], 1)} '
                f"({r['n_with_frame']}/{r['n_articles']}), 95% CI {_pct(r['ci_low'], 1)}"
                f"–{_pct(r['ci_high'], 1)}</title></circle>"
            )
    body.append(_text(left - 4, vol_top + 8, f"n {max_n}", size=9, anchor="end", fill=MUTED))
    for i, v in enumerate(volume):
        bar = (vol_bottom - vol_top) * v["n_labelled"] / max_n
        fill = f"url(#{chart_id}-h)" if v["thin"] else BAR
        body.append(
            f'<rect x="{_n(x(i) - step * 0.35)}" y="{_n(vol_bottom - bar)}" '
            f'width="{_n(step * 0.7)}" height="{_n(max(bar, 0.0))}" fill="{fill}"'
            f"{'' if not v['thin'] else f' stroke={chr(34)}{THIN}{chr(34)}'}>"
            f"<title>{escape(v['week'])}: {v['n_labelled']} articles</title></rect>"
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
                    r["week"][-3:],
                    size=9.5,
                    anchor="middle",
                    fill=INK if i == count - 1 else MUTED,
                )
            )
    title = (
        f"{label}: weekly share of in-scope articles with 95% Wilson band, 3-week smoothed "
        f"share and weekly article counts, {rows[0]['week']} to {rows[-1]['week']}"
    )
    return _svg(chart_id, width, height, title, body)


def trend_legend(chart_id: str) -> str:
    """Two rows of 150-unit cells, so the legend stays legible when scaled to a phone."""
    body = [_hatch(f"{chart_id}-h")]
    body.append(f'<rect x="0" y="5" width="18" height="12" fill="{ACCENT}" fill-opacity="0.14"/>')
    body.append(f'<circle cx="9" cy="11" r="2.6" fill="{ACCENT}"/>')
    body.append(_text(24, 15, "weekly share, 95% interval", size=12))
    body.append(f'<line x1="190" y1="11" x2="208" y2="11" stroke="{SMOOTH}" stroke-width="2"/>')
    body.append(_text(214, 15, "3-week smoothed", size=12))
    body.append(f'<rect x="3" y="28" width="12" height="12" fill="{BAR}"/>')
    body.append(_text(24, 38, "stories per week", size=12))
    body.append(f'<rect x="190" y="27" width="16" height="14" fill="url(#{chart_id}-h)"/>')
    body.append(_text(214, 38, "too few stories", size=12))
    return _svg(chart_id, 330, 44, "Legend of the trend charts", body, css_class="legend")


def bar_chart(
    chart_id: str,
    title: str,
    rows: list[dict[str, Any]],
    label_key: str,
    share_key: str,
    k_key: str,
    n_key: str,
) -> str:
    """Horizontal bars of shares, each labelled with its share and k/n."""
    label_width, bar_width, row_height = 160.0, 220.0, 24.0
    width = label_width + bar_width + 112
    height = row_height * len(rows) + 8
    body = []
    for index, r in enumerate(rows):
        top = 4 + index * row_height
        share = r[share_key] or 0.0
        body.append(_text(label_width - 8, top + 16, str(r[label_key]), size=12.5, anchor="end"))
        body.append(
            f'<rect x="{_n(label_width)}" y="{_n(top + 4)}" width="{_n(bar_width)}" '
            f'height="{_n(row_height - 8)}" fill="#f3f4f6"/>'
        )
        colour = BAR if r[label_key] == "No frame" else ACCENT
        body.append(
            f'<rect x="{_n(label_width)}" y="{_n(top + 4)}" width="{_n(bar_width * share)}" '
            f'height="{_n(row_height - 8)}" fill="{colour}"/>'
        )
        body.append(
            _text(
                label_width + bar_width + 6,
                top + 16,
                f"{_pct(r[share_key], 1)} ({r[k_key]}/{r[n_key]})",
                size=12.5,
            )
        )
    return _svg(chart_id, width, height, title, body)


def heatmap(
    chart_id: str,
    title: str,
    labels: list[str],
    cells: dict[tuple[int, int], tuple[float | None, str]],
) -> str:
    """A square matrix: colour by share (0..1), each cell printing its own text; the diagonal
    (a frame with itself) is drawn neutral so it does not dominate the colour scale."""
    label_width, cell, header = 180.0, 72.0, 100.0
    size = len(labels)
    row_height = 34.0
    width = label_width + cell * size + 90  # room for the last rotated column label
    height = header + row_height * size + 4
    body = []
    for j, label in enumerate(labels):
        cx = label_width + (j + 0.5) * cell
        body.append(
            _text(
                cx - 4,
                header - 8,
                label,
                size=12,
                anchor="start",
                fill=INK,
                extra=f' transform="rotate(-35 {_n(cx - 4)} {_n(header - 8)})"',
            )
        )
    for i, label in enumerate(labels):
        top = header + i * row_height
        body.append(
            _text(label_width - 8, top + row_height / 2 + 4, label, size=12.5, anchor="end")
        )
        for j in range(size):
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
    return _svg(chart_id, width, height, title, body)


def volume_chart(chart_id: str, volume: list[dict[str, Any]], min_articles: int) -> str:
    """Weekly in-scope stories (bars) with the AI-race attention share printed above each."""
    width, height, left, bottom, top = 40.0 * max(len(volume), 8) + 16, 150.0, 8.0, 118.0, 28.0
    count = len(volume)
    step = (width - 2 * left) / max(count, 1)
    max_n = max([v["n_in_scope"] for v in volume] or [0]) or 1
    body = [_hatch(f"{chart_id}-h")]
    for i, v in enumerate(volume):
        x = left + i * step
        bar = (bottom - top) * v["n_in_scope"] / max_n
        fill = f"url(#{chart_id}-h)" if v["thin"] else (ACCENT if i == count - 1 else BAR)
        body.append(
            f'<rect x="{_n(x + step * 0.15)}" y="{_n(bottom - bar)}" width="{_n(step * 0.7)}" '
            f'height="{_n(bar)}" fill="{fill}"><title>{escape(v["week"])}: '
            f"{v['n_in_scope']} in-scope stories</title></rect>"
        )
        body.append(
            _text(
                x + step / 2,
                bottom - bar - 4,
                str(v["n_in_scope"]),
                size=10,
                anchor="middle",
                fill=MUTED,
            )
        )
        body.append(
            _text(
                x + step / 2,
                bottom + 14,
                v["week"][-3:],
                size=10,
                anchor="middle",
                fill=INK if i == count - 1 else MUTED,
            )
        )
        body.append(
            _text(
                x + step / 2,
                bottom + 28,
                _pct(v["attention"]),
                size=9.5,
                anchor="middle",
                fill=MUTED,
            )
        )
    body.append(
        f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(width - left)}" y2="{_n(bottom)}" '
        f'stroke="{MUTED}" stroke-width="0.8"/>'
    )
    body.append(
        _text(
            left,
            12,
            "In-scope stories per week (bottom row: share of all collected stories)",
            size=11,
            fill=MUTED,
        )
    )
    height += 4
    return _svg(
        chart_id,
        width,
        height + 10,
        "Weekly in-scope stories and AI-race attention",
        body,
        css_class="chart wide",
    )
