"""Chart geometry: bars stay inside the plot, stack to their totals, axes use whole
numbers for counts, and every chart carries its numbers as a table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.charts import (
    count_axis,
    horizontal_bar_chart,
    line_chart,
    nice_ceiling,
    stacked_bar_chart,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, (1.0, 1.0)), (2, (2.0, 1.0)), (7, (8.0, 2.0)), (9, (10.0, 2.0)), (101, (125.0, 25.0))],
)
def test_count_axis(value: float, expected: tuple[float, float]) -> None:
    assert count_axis(value) == expected


@given(st.floats(0, 1e9))
def test_count_axis_covers_the_value_in_at_most_five_whole_steps(value: float) -> None:
    top, step = count_axis(value)
    assert top >= value
    assert step == int(step) and step >= 1
    assert 1 <= round(top / step) <= 5


@given(st.floats(1e-6, 1e12))
def test_nice_ceiling_is_close_above(value: float) -> None:
    top = nice_ceiling(value)
    assert value <= top * (1 + 1e-9) and top <= 2.5 * value


@given(st.lists(st.lists(st.integers(0, 500), min_size=3, max_size=3), min_size=1, max_size=60))
def test_stacked_bars_fit_the_plot_and_stack_to_totals(days: list[list[int]]) -> None:
    categories = [f"2020-03-{i + 1:02d}" for i in range(len(days))]
    series = {name: [day[i] for day in days] for i, name in enumerate(("a", "b", "c"))}
    chart = stacked_bar_chart(
        name="t",
        title="T",
        description="d",
        categories=categories,
        series=series,
        x_label="day",
        y_label="documents",
    )
    for rect in chart.rects:
        assert chart.plot_left <= rect.x and rect.x + rect.width <= chart.plot_right + 1e-6
        assert chart.plot_top - 1e-6 <= rect.y and rect.y + rect.height <= chart.plot_bottom + 1e-6
    total_height = sum(r.height for r in chart.rects)
    top = max(sum(day) for day in days)
    if top:
        scale = (chart.plot_bottom - chart.plot_top) / count_axis(top)[0]
        assert total_height == pytest.approx(sum(map(sum, days)) * scale)
    assert len(chart.x_ticks) <= 14
    assert chart.table_header == ("day", "a", "b", "c")
    assert len(chart.table_rows) == len(days)


def test_stacked_bar_colours_and_legend() -> None:
    chart = stacked_bar_chart(
        name="t",
        title="T",
        description="d",
        categories=["x"],
        series={"ok": [2], "bad": [1]},
        x_label="day",
        y_label="n",
        series_classes=["green", "red"],
    )
    assert [r.css_class for r in chart.rects] == ["green", "red"]
    assert [(e.label, e.css_class) for e in chart.legend] == [("ok", "green"), ("bad", "red")]
    assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3"]


def test_line_chart_in_percent_skips_missing_points() -> None:
    chart = line_chart(
        name="r",
        title="R",
        description="d",
        categories=["a", "b", "c"],
        series={"rate": [0.5, None, 1.0]},
        x_label="day",
        y_label="share",
        percent=True,
    )
    (line,) = chart.lines
    assert len(line.dots) == 2
    assert line.dots[1][1] == chart.plot_top  # 100 % at the top
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert chart.table_rows == (("a", "50"), ("b", "–"), ("c", "100"))


def test_horizontal_bars_keep_order_and_label_values() -> None:
    chart = horizontal_bar_chart(
        name="h",
        title="H",
        description="d",
        labels=["Wayne", "Kent"],
        values=[12, 3],
        x_label="applications",
        y_label="county",
    )
    assert [r.label for r in chart.rects] == ["12", "3"]
    assert chart.rects[0].width > chart.rects[1].width > 0
    assert chart.rects[0].y < chart.rects[1].y
    assert max(r.x + r.width for r in chart.rects) <= chart.plot_right


def test_empty_chart_says_so() -> None:
    chart = stacked_bar_chart(
        name="e",
        title="E",
        description="d",
        categories=[],
        series={"a": []},
        x_label="day",
        y_label="n",
    )
    assert chart.empty and chart.table_rows == ()
