"""Bar charts of daily series as inline SVG, drawn on the server with integer arithmetic (no JS chart library).

Bars of several series stand side by side per day; the scale runs from min(0, smallest) to max(0, largest) so
negative days (reversals) hang below the baseline. Colours come from CSS classes (s0, s1, ...), text is escaped,
and every bar has a <title> with its exact figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

WIDTH = 720
HEIGHT = 180
LEFT = 70  # room for the axis labels
BOTTOM = 20
TOP = 8


def bars(
    days: Sequence[dt.date],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    label: Callable[[int], str],
    chart_id: str,
    empty: str,
    labelled_by: str | None = None,
) -> str:
    """`series` is (name, one value per day); `label` words a value (yuan for money, a count otherwise);
    `labelled_by`: the id of the element that names the chart (its figcaption), for assistive technology."""
    if not days:
        return f'<p class="muted chart-empty" id="{escape(chart_id)}">{escape(empty)}</p>'
    values = [v for _, vs in series for v in vs]
    high, low = max(0, *values), min(0, *values)
    span = (high - low) or 1
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - 4
    slot = max(1, plot_w // len(days))
    bar_w = max(1, (slot - 2) // len(series))

    def y(v: int) -> int:
        return TOP + (high - v) * plot_h // span

    zero = y(0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img"'
        + (f' aria-labelledby="{escape(labelled_by)}"' if labelled_by else "")
        + ">",
        f'<line class="axis" x1="{LEFT}" y1="{zero}" x2="{WIDTH - 4}" y2="{zero}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end">{escape(label(high))}</text>',
    ]
    if low < 0:
        parts.append(
            f'<text class="tick" x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" text-anchor="end">{escape(label(low))}</text>'
        )
    for i, day in enumerate(days):
        for k, (name, vs) in enumerate(series):
            v = vs[i]
            top, bottom = (y(v), zero) if v >= 0 else (zero, y(v))
            x = LEFT + i * slot + 1 + k * bar_w
            parts.append(
                f'<rect class="bar s{k}" x="{x}" y="{top}" width="{bar_w}" height="{max(bottom - top, 0)}">'
                f"<title>{escape(day.isoformat())} {escape(name)}: {escape(label(v))}</title></rect>"
            )
    for i in sorted({0, len(days) - 1}):
        x = LEFT + i * slot + slot // 2
        parts.append(
            f'<text class="tick" x="{x}" y="{HEIGHT - 4}" text-anchor="middle">'
            f"{escape(days[i].strftime('%m-%d'))}</text>"
        )
    legend_x = LEFT + 8
    for k, (name, _) in enumerate(series):
        parts.append(
            f'<rect class="bar s{k}" x="{legend_x}" y="{TOP}" width="10" height="10"/>'
            f'<text class="legend" x="{legend_x + 14}" y="{TOP + 9}">{escape(name)}</text>'
        )
        legend_x += 14 + 14 * len(name) + 12
    parts.append("</svg>")
    return "".join(parts)
