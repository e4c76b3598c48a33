"""Plots as inline SVG: horizontal bars or points with 95% intervals, one row per label."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

LABEL_WIDTH = 190
PLOT_WIDTH = 440
VALUE_WIDTH = 150
ROW = 18
PALETTE = ("#3b6ea8", "#d9822b", "#4f9a5b", "#a8433b", "#7a5ba8")


@dataclass
class Point:
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass
class Series:
    name: str
    points: list[Point]


def _fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def chart(
    title: str,
    labels: list[str],
    series: list[Series],
    domain: tuple[float, float] | None = None,
    reference: float | None = None,
    bars: bool = True,
    digits: int = 2,
) -> str:
    """One chart: per label, one bar (or point) per series with its interval whiskers.

    `reference` draws a dashed vertical line (0 for deltas, 0.5 for preferences, ...).
    """
    values = [
        v
        for s in series
        for p in s.points
        for v in (p.value, p.low, p.high, reference)
        if v is not None
    ]
    low, high = domain or (min([0.0, *values]), max([1e-9, *values]))
    if high <= low:
        high = low + 1.0
    span = high - low

    def x(value: float) -> float:
        return LABEL_WIDTH + (min(max(value, low), high) - low) / span * PLOT_WIDTH

    group = ROW * len(series) + 8
    top = 28
    bottom = top + group * len(labels)
    height = bottom + 24 + 18 * len(series)
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    base = x(reference if reference is not None else max(low, 0.0))
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{bottom + 12}" font-size="10" text-anchor="middle" '
            f'fill="#666">{_fmt(tick, digits)}</text>'
        )
    if reference is not None:
        parts.append(
            f'<line x1="{base:.1f}" x2="{base:.1f}" y1="{top}" y2="{bottom}" stroke="#888" '
            'stroke-dasharray="4 3"/>'
        )
    for row, label in enumerate(labels):
        y0 = top + row * group
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y0 + group / 2 + 3:.1f}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for k, s in enumerate(series):
            point = s.points[row]
            y = y0 + k * ROW
            color = PALETTE[k % len(PALETTE)]
            text = _fmt(point.value, digits)
            if point.value is not None:
                end = x(point.value)
                if bars:
                    left = min(base, end)
                    parts.append(
                        f'<rect x="{left:.1f}" y="{y + 3}" width="{abs(end - base):.1f}" '
                        f'height="{ROW - 6}" fill="{color}" opacity="0.8"/>'
                    )
                else:
                    parts.append(
                        f'<circle cx="{end:.1f}" cy="{y + ROW / 2}" r="4" fill="{color}"/>'
                    )
            if point.low is not None and point.high is not None:
                a, b, mid = x(point.low), x(point.high), y + ROW / 2
                parts.append(
                    f'<path d="M{a:.1f} {mid - 4}v8M{a:.1f} {mid}H{b:.1f}M{b:.1f} {mid - 4}v8" '
                    'stroke="#222" fill="none"/>'
                )
                text += f" [{_fmt(point.low, digits)}, {_fmt(point.high, digits)}]"
            parts.append(
                f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 6}" y="{y + ROW - 5}" font-size="11">'
                f"{escape(text)}</text>"
            )
    legend_y = bottom + 20
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{legend_y + 18 * k}" width="10" height="10" '
            f'fill="{color}"/><text x="{LABEL_WIDTH + 14}" y="{legend_y + 18 * k + 9}" '
            f'font-size="11">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
