"""Small server-side charts: geometry computed here, SVG markup in ``templates/_charts.html``.

No JavaScript and no CDN: a chart is plain SVG (with a ``<title>``, axis labels and a
tooltip per bar) and is always shown with a data table and a CSV link, so it stays readable
to screen readers and to people who just want the numbers. Colours come from CSS classes
(``series-0`` … ``series-7``) so the page's Content-Security-Policy can forbid inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 280
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 64
SERIES_CLASSES = 8
MAX_X_LABELS = 14
MAX_BAR_WIDTH = 56


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    tooltip: str
    label: str = ""  # value written beside the bar (horizontal charts)


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    points: str  # "x,y x,y …" for <polyline points>
    css_class: str
    dots: tuple[tuple[float, float, str], ...]  # (x, y, tooltip)


@dataclass(frozen=True, slots=True)
class LegendEntry:
    label: str
    css_class: str


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template needs to draw one chart and its fallback table."""

    name: str
    title: str
    description: str
    x_label: str
    y_label: str
    width: int = WIDTH
    height: int = HEIGHT
    rects: tuple[Rect, ...] = ()
    lines: tuple[Line, ...] = ()
    x_ticks: tuple[Tick, ...] = ()
    y_ticks: tuple[Tick, ...] = ()
    legend: tuple[LegendEntry, ...] = ()
    horizontal: bool = False
    plot_left: float = MARGIN_LEFT
    plot_top: float = MARGIN_TOP
    plot_right: float = WIDTH - MARGIN_RIGHT
    plot_bottom: float = HEIGHT - MARGIN_BOTTOM
    table_header: tuple[str, ...] = ()
    table_rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.rects and not self.lines


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above ``value`` (an axis maximum)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10**exponent
        if candidate >= value - 1e-12:
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def count_axis(value: float, *, max_ticks: int = 5) -> tuple[float, float]:
    """``(top, step)`` of an axis for counts: a whole-number step of 1, 2, 5, 10, 20, 25,
    50 … and at most ``max_ticks`` steps up to a top at or above ``value`` (so no tick reads
    0.5 documents and the tallest bar fills most of the plot)."""
    wanted = max(value, 1.0) / max_ticks
    magnitude = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = factor * magnitude
            if step == int(step) and step >= wanted:
                return float(math.ceil(max(value, 1.0) / step) * step), float(step)
        magnitude *= 10


def format_number(value: float) -> str:
    """``1,250`` or ``12.5``; a missing value (NaN) is a dash."""
    if math.isnan(value):
        return "–"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _y_ticks(
    top: float, step: float, plot_top: float, plot_bottom: float, *, percent: bool
) -> list[Tick]:
    count = round(top / step)
    ticks = []
    for i in range(count + 1):
        value = step * i
        y = plot_bottom - (plot_bottom - plot_top) * value / top
        label = f"{value * 100:.0f}%" if percent else format_number(value)
        ticks.append(Tick(y, label))
    return ticks


def _x_tick_stride(count: int) -> int:
    return max(1, math.ceil(count / MAX_X_LABELS))


def _series_class(index: int) -> str:
    return f"series-{index % SERIES_CLASSES}"


def _table(
    first_header: str, categories: Sequence[str], series: Mapping[str, Sequence[float]]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    header = (first_header, *series)
    rows = tuple(
        (category, *(format_number(values[i]) for values in series.values()))
        for i, category in enumerate(categories)
    )
    return header, rows


def stacked_bar_chart(
    *,
    name: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    x_label: str,
    y_label: str,
    series_classes: Sequence[str] | None = None,
) -> Chart:
    """Vertical bars, one per category, stacked by series (e.g. documents per day by
    status). Series order is kept; ``series_classes`` gives series fixed colours (status
    colours), otherwise they take ``series-0``, ``series-1`` … in order."""
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    classes = list(series_classes or [_series_class(i) for i in range(len(series))])
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    top, step = count_axis(max(totals, default=0))
    slot = (plot_right - plot_left) / max(len(categories), 1)
    bar_width = min(max(slot * 0.72, 1.0), MAX_BAR_WIDTH)
    scale = (plot_bottom - plot_top) / top
    rects: list[Rect] = []
    for i, category in enumerate(categories):
        x = plot_left + i * slot + (slot - bar_width) / 2
        base = float(plot_bottom)
        for s, (label, values) in enumerate(series.items()):
            value = values[i]
            if value <= 0:
                continue
            height = value * scale
            base -= height
            tooltip = f"{category} · {label}: {format_number(value)}"
            rects.append(Rect(x, base, bar_width, height, classes[s], tooltip))
    stride = _x_tick_stride(len(categories))
    x_ticks = tuple(
        Tick(plot_left + i * slot + slot / 2, category)
        for i, category in enumerate(categories)
        if i % stride == 0
    )
    header, rows = _table(x_label, categories, series)
    return Chart(
        name=name,
        title=title,
        description=description,
        x_label=x_label,
        y_label=y_label,
        rects=tuple(rects),
        x_ticks=x_ticks,
        y_ticks=tuple(_y_ticks(top, step, plot_top, plot_bottom, percent=False)),
        legend=tuple(LegendEntry(label, classes[s]) for s, label in enumerate(series))
        if len(series) > 1
        else (),
        table_header=header,
        table_rows=rows,
    )


def line_chart(
    *,
    name: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    x_label: str,
    y_label: str,
    percent: bool = False,
) -> Chart:
    """One line per series over ordered categories; ``None`` values break nothing (the
    point is skipped). ``percent`` draws a 0-100 % axis for shares in [0, 1]."""
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    present = [v for values in series.values() for v in values if v is not None]
    top = 1.0 if percent else nice_ceiling(max(present, default=0))
    step = top / 4
    slot = (plot_right - plot_left) / max(len(categories), 1)
    scale = (plot_bottom - plot_top) / top
    lines = []
    for s, (label, values) in enumerate(series.items()):
        dots = []
        for i, value in enumerate(values):
            if value is None:
                continue
            x = plot_left + i * slot + slot / 2
            y = plot_bottom - value * scale
            shown = f"{value * 100:.1f}%" if percent else format_number(value)
            dots.append((round(x, 1), round(y, 1), f"{categories[i]} · {label}: {shown}"))
        points = " ".join(f"{x},{y}" for x, y, _ in dots)
        lines.append(Line(points, _series_class(s), tuple(dots)))
    stride = _x_tick_stride(len(categories))
    x_ticks = tuple(
        Tick(plot_left + i * slot + slot / 2, category)
        for i, category in enumerate(categories)
        if i % stride == 0
    )
    table_series = {
        label: [(v * 100 if percent else v) if v is not None else math.nan for v in values]
        for label, values in series.items()
    }
    header, rows = _table(x_label, categories, table_series)
    if percent:
        header = (header[0], *(f"{h} (%)" for h in header[1:]))
    return Chart(
        name=name,
        title=title,
        description=description,
        x_label=x_label,
        y_label=y_label,
        lines=tuple(line for line in lines if line.dots),
        x_ticks=x_ticks,
        y_ticks=tuple(_y_ticks(top, step, plot_top, plot_bottom, percent=percent)),
        legend=tuple(LegendEntry(label, _series_class(s)) for s, label in enumerate(series))
        if len(series) > 1
        else (),
        table_header=header,
        table_rows=rows,
    )


_HBAR_LABEL_WIDTH = 170
_HBAR_ROW = 22


def horizontal_bar_chart(
    *,
    name: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float],
    x_label: str,
    y_label: str,
) -> Chart:
    """One horizontal bar per label, in the order given (callers sort: largest first)."""
    height = MARGIN_TOP + _HBAR_ROW * max(len(labels), 1) + 44
    plot_top, plot_bottom = MARGIN_TOP, height - 44
    plot_left, plot_right = _HBAR_LABEL_WIDTH, WIDTH - MARGIN_RIGHT
    top, step = count_axis(max(values, default=0))
    scale = (plot_right - plot_left - 40) / top  # room for the value beside the bar
    rects = []
    y_ticks = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = plot_top + i * _HBAR_ROW + 3
        rects.append(
            Rect(
                plot_left,
                y,
                max(value * scale, 0.0),
                _HBAR_ROW - 6,
                _series_class(0),
                f"{label}: {format_number(value)}",
                format_number(value),
            )
        )
        y_ticks.append(Tick(y + (_HBAR_ROW - 6) / 2, label))
    x_ticks = tuple(
        Tick(plot_left + step * i * scale, format_number(step * i))
        for i in range(round(top / step) + 1)
    )
    header, rows = _table(y_label, labels, {x_label: values})
    return Chart(
        name=name,
        title=title,
        description=description,
        x_label=x_label,
        y_label=y_label,
        height=height,
        rects=tuple(rects),
        x_ticks=x_ticks,
        y_ticks=tuple(y_ticks),
        horizontal=True,
        plot_left=plot_left,
        plot_top=plot_top,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        table_header=header,
        table_rows=rows,
    )
