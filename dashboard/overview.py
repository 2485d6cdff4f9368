"""The overview's charts: which aggregate each one draws, and how.

The numbers come from ``loaders.aggregates.AGGREGATES`` (name → function(engine) →
DataFrame), the same frames the ``daily_aggregates`` DAG exports; this module only shapes
them into :mod:`dashboard.charts` geometry and CSV downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.charts import Chart, horizontal_bar_chart, line_chart, stacked_bar_chart
from faxflow.errors import ErrorCode, FaxflowError
from loaders.audit import EXPORT, record_audit

STATUS_ORDER = ("accepted", "needs_review", "rejected")
TOP_FIELDS = 15
TOP_COUNTIES = 7


class UnknownChart(FaxflowError):
    """A chart name the overview does not have."""

    code = ErrorCode.NOT_FOUND


@dataclass(frozen=True, slots=True)
class ChartDef:
    name: str  # the aggregate's name in loaders.aggregates.AGGREGATES
    title: str
    description: str
    draw: Callable[[ChartDef, pd.DataFrame], Chart]


def _aggregates() -> dict[str, Callable[[Engine], pd.DataFrame]]:
    from loaders.aggregates import AGGREGATES

    return dict(AGGREGATES)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "unknown"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value)


def _pivot(frame: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    table = frame.assign(**{index: frame[index].map(_text), columns: frame[columns].map(_text)})
    return table.pivot_table(
        index=index, columns=columns, values=values, aggfunc="sum", fill_value=0
    ).sort_index()


def _documents_per_day(spec: ChartDef, frame: pd.DataFrame) -> Chart:
    table = _pivot(frame, "day", "status", "documents")
    ordered = [s for s in STATUS_ORDER if s in table.columns] + [
        s for s in table.columns if s not in STATUS_ORDER
    ]
    return stacked_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        categories=list(table.index),
        series={status.replace("_", " "): table[status].tolist() for status in ordered},
        x_label="day processed",
        y_label="documents",
    )


def _auto_accept_rate(spec: ChartDef, frame: pd.DataFrame) -> Chart:
    ordered = frame.assign(day=frame["day"].map(_text)).sort_values("day")
    return line_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        categories=ordered["day"].tolist(),
        series={"auto-accepted": [None if pd.isna(v) else float(v) for v in ordered["rate"]]},
        x_label="day processed",
        y_label="share auto-accepted",
        percent=True,
    )


def _corrections_per_field(spec: ChartDef, frame: pd.DataFrame) -> Chart:
    top = frame.sort_values(["corrections", "field"], ascending=[False, True]).head(TOP_FIELDS)
    return horizontal_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        labels=top["field"].map(_text).tolist(),
        values=top["corrections"].astype(float).tolist(),
        x_label="corrections",
        y_label="field",
    )


def _epidemic_curve(spec: ChartDef, frame: pd.DataFrame) -> Chart:
    table = _pivot(frame, "onset_date", "county", "cases")
    totals = table.sum().sort_values(ascending=False)
    keep = list(totals.index[:TOP_COUNTIES])
    series = {county: table[county].tolist() for county in keep}
    rest = [c for c in table.columns if c not in keep]
    if rest:
        series[f"{len(rest)} other counties"] = table[rest].sum(axis=1).tolist()
    return stacked_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        categories=list(table.index),
        series=series,
        x_label="onset date",
        y_label="cases",
    )


def _applications_per_county(spec: ChartDef, frame: pd.DataFrame) -> Chart:
    ordered = frame.assign(county=frame["county"].map(_text)).sort_values(
        ["applications", "county"], ascending=[False, True]
    )
    return horizontal_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        labels=ordered["county"].tolist(),
        values=ordered["applications"].astype(float).tolist(),
        x_label="applications",
        y_label="county",
    )


CHARTS: tuple[ChartDef, ...] = (
    ChartDef(
        "documents_per_day",
        "Documents per day",
        "Every processed document by the day it was processed, split by its current status.",
        _documents_per_day,
    ),
    ChartDef(
        "auto_accept_rate",
        "Auto-accept rate",
        "Share of each day's documents that passed every check with no person involved.",
        _auto_accept_rate,
    ),
    ChartDef(
        "corrections_per_field",
        "Corrections per field",
        "Which fields reviewers correct most: where the machine is wrong most often.",
        _corrections_per_field,
    ),
    ChartDef(
        "epidemic_curve",
        "Epidemic curve",
        "Infection reports by symptom onset date, per county of residence.",
        _epidemic_curve,
    ),
    ChartDef(
        "applications_per_county",
        "Benefit applications per county",
        "DHS-1171 applications by residential county.",
        _applications_per_county,
    ),
)
CHARTS_BY_NAME = {chart.name: chart for chart in CHARTS}


def build_charts(engine: Engine) -> list[Chart]:
    """Every overview chart, drawn from the current database."""
    aggregates = _aggregates()
    return [spec.draw(spec, aggregates[spec.name](engine)) for spec in CHARTS]


def chart_csv(engine: Engine, name: str, *, actor: str) -> str:
    """One chart's aggregate as CSV text; the export is written to the audit table."""
    if name not in CHARTS_BY_NAME:
        raise UnknownChart(f"there is no chart named {name!r}")
    frame = _aggregates()[name](engine)
    record_audit(engine, actor=actor, action=EXPORT, detail=f"chart {name}")
    csv_text: str = frame.to_csv(index=False)
    return csv_text
