"""The overview's charts: which aggregate each one draws, and how.

The numbers come from ``loaders.aggregates.AGGREGATES`` (name → function(engine) →
DataFrame) and each form pack's counts (``form_<pack>_counts``,
:mod:`loaders.pack_aggregates`), the same frames the ``daily_aggregates`` DAG and
``faxflow export`` write; this module only shapes them into :mod:`dashboard.charts`
geometry and CSV downloads. A pack with ``aggregates.yaml`` gets a chart of its documents
per day and one per field it counts by, titled from its schema (in the pack's language).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from dashboard.charts import Chart, horizontal_bar_chart, line_chart, stacked_bar_chart
from dashboard.fields import field_label, form_label
from faxflow.errors import ErrorCode, FaxflowError
from faxflow.settings import Settings
from loaders.aggregates import Aggregate, Centres
from loaders.audit import EXPORT, record_audit
from loaders.exports import csv_text

STATUS_ORDER = ("accepted", "needs_review", "rejected")
TOP_FIELDS = 15
TOP_COUNTIES = 7
MAX_DAILY_SPAN = 120  # longer ranges are drawn per week so bars stay readable
UNKNOWN = "unknown"


class UnknownChart(FaxflowError):
    """A chart name the overview does not have."""

    code = ErrorCode.NOT_FOUND


@dataclass(frozen=True, slots=True)
class ChartDef:
    """One overview chart: the aggregate it starts from (a name in
    ``loaders.aggregates.AGGREGATES``), how that frame becomes the chart's own small table
    (which is also its CSV download), and how the table is drawn."""

    name: str
    aggregate: str
    title: str
    description: str
    shape: Callable[[pd.DataFrame], pd.DataFrame]
    draw: Callable[[ChartDef, pd.DataFrame], Chart]
    date_column: str | None  # the aggregate's day column a period filters on; None: all time


def _aggregates(settings: Settings | None) -> dict[str, Aggregate]:
    from loaders.aggregates import AGGREGATES

    if settings is None:
        return dict(AGGREGATES)
    from loaders.pack_aggregates import pack_count_tables

    return {**AGGREGATES, **pack_count_tables(settings)}


def _label(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return UNKNOWN
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _by_period(frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, str]:
    """Days as a continuous axis (days with nothing get zero), or ISO weeks (starting
    Monday) when the range is longer than :data:`MAX_DAILY_SPAN` days."""
    days = pd.to_datetime(frame[column])
    if days.empty:
        return frame.assign(**{column: pd.Series(dtype=object)}), "day"
    span = (days.max() - days.min()).days
    if span > MAX_DAILY_SPAN:
        starts = (days - pd.to_timedelta(days.dt.weekday, unit="D")).dt.date
        return frame.assign(**{column: starts}), "week starting"
    return frame.assign(**{column: days.dt.date}), "day"


def _full_range(index: pd.Index, unit: str) -> list[date]:
    if len(index) == 0:
        return []
    step = "7D" if unit == "week starting" else "D"
    return [d.date() for d in pd.date_range(min(index), max(index), freq=step)]


def _counts_per_period(frame: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """``counts`` summed per arrival day (or week), days with nothing as zero."""
    periodic, unit = _by_period(frame, "day")
    table = periodic.groupby("day")[counts].sum()
    table = table.reindex(_full_range(table.index, unit), fill_value=0)
    return table.rename_axis(unit).reset_index()


def _shape_documents_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    return _counts_per_period(frame, list(STATUS_ORDER))


def _status_bars(spec: ChartDef, table: pd.DataFrame, statuses: tuple[str, ...]) -> Chart:
    unit = table.columns[0]
    return stacked_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        categories=[_label(d) for d in table[unit]],
        series={s.replace("_", " "): table[s].astype(float).tolist() for s in statuses},
        series_classes=[f"status-fill-{s}" for s in statuses],
        x_label=f"arrival {unit}",
        y_label="documents",
    )


def _draw_documents_per_day(spec: ChartDef, table: pd.DataFrame) -> Chart:
    return _status_bars(spec, table, STATUS_ORDER)


def _shape_auto_accept_rate(frame: pd.DataFrame) -> pd.DataFrame:
    periodic, unit = _by_period(frame, "day")
    table = periodic.groupby("day")[["received", "auto_accepted"]].sum()
    table["auto_accept_rate"] = (table["auto_accepted"] / table["received"]).round(4)
    return table.rename_axis(unit).reset_index()


def _share_lines(spec: ChartDef, table: pd.DataFrame, lines: dict[str, str], y_label: str) -> Chart:
    """A 0-100 % line chart of ``table``'s share columns (``lines``: legend → column)."""
    unit = table.columns[0]
    return line_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        categories=[_label(d) for d in table[unit]],
        series={
            legend: [None if pd.isna(v) else float(v) for v in table[column]]
            for legend, column in lines.items()
        },
        x_label=f"arrival {unit}",
        y_label=y_label,
        percent=True,
    )


def _draw_auto_accept_rate(spec: ChartDef, table: pd.DataFrame) -> Chart:
    return _share_lines(spec, table, {"auto-accepted": "auto_accept_rate"}, "share of files")


AUTOMATION_COUNTS = ["documents", "fully_automated", "fields", "auto_fields", "human_seconds"]


def _shape_field_automation(frame: pd.DataFrame) -> pd.DataFrame:
    periodic, unit = _by_period(frame, "day")
    table = periodic.groupby("day")[AUTOMATION_COUNTS].sum()
    fields = table["fields"].where(table["fields"] > 0)
    table["automation_rate"] = (table["auto_fields"] / fields).astype("float64").round(4)
    documents = table["documents"].where(table["documents"] > 0)
    table["fully_automated_share"] = (
        (table["fully_automated"] / documents).astype("float64").round(4)
    )
    table["human_seconds_per_document"] = (
        (table["human_seconds"] / documents).astype("float64").round(1)
    )
    return table.rename_axis(unit).reset_index()


def _draw_field_automation(spec: ChartDef, table: pd.DataFrame) -> Chart:
    lines = {
        "fields no person touched": "automation_rate",
        "documents fully automated": "fully_automated_share",
    }
    return _share_lines(spec, table, lines, "share")


def _shape_qa_accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["form_type", "field"]).reset_index(drop=True)


def _draw_qa_accuracy(spec: ChartDef, table: pd.DataFrame) -> Chart:
    labels = [
        f"{form_label(str(form))} · {'all fields' if field == '*' else field_label(str(field))} "
        f"({n} checked, {low:.1%}–{high:.1%})"
        for form, field, n, low, high in zip(
            table["form_type"],
            table["field"],
            table["checked"],
            table["low"],
            table["high"],
            strict=True,
        )
    ]
    return horizontal_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        labels=labels,
        values=(table["accuracy"].astype(float) * 100).tolist(),
        x_label="% right among auto-accepted fields a person checked blind",
        y_label="form · field (95 % interval)",
    )


def _shape_corrections(frame: pd.DataFrame) -> pd.DataFrame:
    ordered = frame.sort_values(
        ["corrections", "form_type", "field"], ascending=[False, True, True]
    )
    return ordered.head(TOP_FIELDS).reset_index(drop=True)


def _draw_corrections(spec: ChartDef, table: pd.DataFrame) -> Chart:
    return horizontal_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        labels=[field_label(_label(name)) for name in table["field"]],
        values=table["corrections"].astype(float).tolist(),
        x_label="corrections by reviewers",
        y_label="field",
    )


def _shape_epi_curve(frame: pd.DataFrame) -> pd.DataFrame:
    periodic, unit = _by_period(frame, "onset_date")
    periodic = periodic.assign(county=periodic["county_of_residence"].map(_label))
    table = periodic.groupby(["onset_date", "county"])["cases"].sum().reset_index()
    return table.rename(columns={"onset_date": f"onset {unit}"})


def _draw_epi_curve(spec: ChartDef, table: pd.DataFrame) -> Chart:
    unit = table.columns[0]
    wide = table.pivot_table(index=unit, columns="county", values="cases", aggfunc="sum")
    wide = wide.reindex(_full_range(wide.index, unit.removeprefix("onset "))).fillna(0)
    totals = wide.sum().sort_values(ascending=False)
    keep = [c for c in totals.index if c != UNKNOWN][:TOP_COUNTIES]
    series = {county: wide[county].tolist() for county in keep}
    rest = [c for c in wide.columns if c not in keep]
    if rest:
        series["other or unknown county"] = wide[rest].sum(axis=1).tolist()
    return stacked_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        categories=[_label(d) for d in wide.index],
        series=series,
        x_label=unit,
        y_label="cases",
    )


def _shape_applications(frame: pd.DataFrame) -> pd.DataFrame:
    # benefits_by_county repeats each (county, day) count once per programme.
    once = frame.drop_duplicates(["county", "day"])
    once = once.assign(county=once["county"].map(_label))
    table = once.groupby("county")["applications"].sum().reset_index()
    return table.sort_values(["applications", "county"], ascending=[False, True]).reset_index(
        drop=True
    )


def _draw_applications(spec: ChartDef, table: pd.DataFrame) -> Chart:
    return horizontal_bar_chart(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        labels=table["county"].tolist(),
        values=table["applications"].astype(float).tolist(),
        x_label="applications",
        y_label="residential county",
    )


CHARTS: tuple[ChartDef, ...] = (
    ChartDef(
        "documents_per_day",
        "processing_by_centre",
        "Documents per day",
        "Files by arrival day and current status (rejected includes files refused at intake).",
        _shape_documents_per_day,
        _draw_documents_per_day,
        "day",
    ),
    ChartDef(
        "auto_accept_rate",
        "processing_by_centre",
        "Auto-accept rate",
        "Share of each day's files the machine accepted with no person involved.",
        _shape_auto_accept_rate,
        _draw_auto_accept_rate,
        "day",
    ),
    ChartDef(
        "field_automation",
        "field_automation",
        "Field automation",
        "Share of fields no person touched, and of documents accepted with no field seen "
        "by a person (the CSV adds reviewers' seconds per document).",
        _shape_field_automation,
        _draw_field_automation,
        "day",
    ),
    ChartDef(
        "qa_accuracy",
        "qa_accuracy",
        "Measured production accuracy (blind QA)",
        "Auto-accepted fields of the documents sampled for blind QA, checked by a person who "
        "did not see the machine's value: share right per form and field, with its 95 % "
        "interval, all time.",
        _shape_qa_accuracy,
        _draw_qa_accuracy,
        None,
    ),
    ChartDef(
        "corrections_per_field",
        "corrections_by_field",
        "Corrections per field",
        f"The {TOP_FIELDS} fields reviewers correct most, all time: where the machine is "
        "wrong most.",
        _shape_corrections,
        _draw_corrections,
        None,
    ),
    ChartDef(
        "epidemic_curve",
        "epi_curve",
        "Epidemic curve",
        "Infection reports by symptom onset date, per county of residence.",
        _shape_epi_curve,
        _draw_epi_curve,
        "onset_date",
    ),
    ChartDef(
        "applications_per_county",
        "benefits_by_county",
        "Benefit applications per county",
        "DHS-1171 applications by residential county (rejected ones not counted).",
        _shape_applications,
        _draw_applications,
        "day",
    ),
)


def _shape_pack_per_day(frame: pd.DataFrame) -> pd.DataFrame:
    table = _counts_per_period(frame, ["accepted", "needs_review", "documents"])
    if "day_japanese" in frame.columns:
        from faxflow.eras import japanese_date

        unit = table.columns[0]
        table.insert(1, f"{unit} (Japanese calendar)", [japanese_date(d) for d in table[unit]])
    return table


def _draw_pack_per_day(spec: ChartDef, table: pd.DataFrame) -> Chart:
    # a pack's counts leave rejected documents out
    return _status_bars(spec, table, STATUS_ORDER[:2])


def _pack_counts_by(field: str, titles: Mapping[str, str], frame: pd.DataFrame) -> pd.DataFrame:
    """Documents per value of ``field``, a value named by its title when the schema gives
    one (``x-enum-titles``)."""
    labelled = frame.assign(
        **{field: frame[field].map(lambda value: titles.get(str(value)) or _label(value))}
    )
    table = labelled.groupby(field)["documents"].sum().reset_index()
    return table.sort_values(["documents", field], ascending=[False, True]).reset_index(drop=True)


def _pack_bar_drawer(field: str, axis: str) -> Callable[[ChartDef, pd.DataFrame], Chart]:
    def draw(spec: ChartDef, table: pd.DataFrame) -> Chart:
        return horizontal_bar_chart(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            labels=table[field].tolist(),
            values=table["documents"].astype(float).tolist(),
            x_label="documents",
            y_label=axis,
        )

    return draw


def pack_charts(settings: Settings | None) -> tuple[ChartDef, ...]:
    """The charts of every form pack that declares ``aggregates.yaml``: documents per
    arrival day, then one per ``group_by`` field (rejected documents not counted, values
    still waiting for a person counted as unknown, as in the counts themselves)."""
    if settings is None:
        return ()
    from functools import partial

    from dashboard.fields import pack_titles
    from faxflow.packs import choice_titles, find_packs
    from loaders.pack_aggregates import counts_view_name, group_by

    charts: list[ChartDef] = []
    for name, pack in sorted(find_packs(settings).items()):
        if pack.builtin or pack.aggregates is None:
            continue
        titles = pack_titles(settings, name)
        view = counts_view_name(pack)
        per_day = "Documents per arrival day and their status (rejected ones not counted)."
        if pack.aggregates.calendar == "japanese":
            per_day += " The CSV gives each day in the Japanese calendar too."
        charts.append(
            ChartDef(
                f"{name}_per_day",
                view,
                f"{pack.title}: documents per day",
                per_day,
                _shape_pack_per_day,
                _draw_pack_per_day,
                "day",
            )
        )
        for field in group_by(pack):
            axis = field_label(field, titles)
            choices = choice_titles(pack.schema["properties"][field])
            charts.append(
                ChartDef(
                    f"{name}_by_{field}",
                    view,
                    f"{pack.title}: {axis}",
                    f"Documents by {axis} (rejected ones not counted; a value still "
                    "waiting for a person is unknown).",
                    partial(_pack_counts_by, field, choices),
                    _pack_bar_drawer(field, axis),
                    "day",
                )
            )
    return tuple(charts)


def all_charts(settings: Settings | None) -> tuple[ChartDef, ...]:
    """The built-in charts, then the form packs' (none without ``settings``)."""
    return CHARTS + pack_charts(settings)


PERIODS: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "all": None}
"""Period choices of the overview: days back from today (UTC), or everything."""


def since_for(period: str, *, today: date | None = None) -> date | None:
    """The first day a period covers (None for all time)."""
    days = PERIODS[period]
    if days is None:
        return None
    return (today or datetime.now(UTC).date()) - timedelta(days=days - 1)


def _within(frame: pd.DataFrame, column: str | None, since: date | None) -> pd.DataFrame:
    if since is None or column is None or frame.empty:
        return frame
    days = pd.to_datetime(frame[column], errors="coerce").dt.date
    return frame[days.notna() & (days >= since)].reset_index(drop=True)


def chart_tables(
    engine: Engine,
    names: list[str] | None = None,
    *,
    since: date | None = None,
    centres: Centres = None,
    settings: Settings | None = None,
) -> dict[str, pd.DataFrame]:
    """Each chart's own table (what it draws and what its CSV holds), by chart name,
    for days from ``since`` on, counting the documents of ``centres`` (None: every
    centre); each aggregate is computed once. With ``settings``, the form packs' charts
    too."""
    aggregates = _aggregates(settings)
    computed: dict[str, pd.DataFrame] = {}
    tables = {}
    for spec in all_charts(settings):
        if names is not None and spec.name not in names:
            continue
        if spec.aggregate not in computed:
            computed[spec.aggregate] = aggregates[spec.aggregate](engine, centres=centres)
        tables[spec.name] = spec.shape(_within(computed[spec.aggregate], spec.date_column, since))
    return tables


@dataclass(frozen=True, slots=True)
class Kpi:
    label: str
    value: str
    note: str


def _kpis(tables: dict[str, pd.DataFrame]) -> list[Kpi]:
    per_day = tables["documents_per_day"]
    rates = tables["auto_accept_rate"]
    totals = {status: int(per_day[status].sum()) for status in STATUS_ORDER}
    received = int(rates["received"].sum())
    auto = int(rates["auto_accepted"].sum())
    share = f"{auto / received * 100:.0f}%" if received else "–"
    corrections = int(tables["corrections_per_field"]["corrections"].sum())
    automation = tables["field_automation"]
    fields, auto = int(automation["fields"].sum()), int(automation["auto_fields"].sum())
    documents = int(automation["documents"].sum())
    full = int(automation["fully_automated"].sum())
    seconds = float(automation["human_seconds"].sum())
    return [
        Kpi("Files received", f"{received:,}", "refused files included"),
        Kpi("Waiting for review", f"{totals['needs_review']:,}", "in the review queue"),
        Kpi("Accepted", f"{totals['accepted']:,}", f"{auto:,} with no person involved"),
        Kpi("Auto-accept rate", share, "of all files received"),
        Kpi("Rejected or refused", f"{totals['rejected']:,}", "by reviewers or at intake"),
        Kpi("Corrections", f"{corrections:,}", f"in the {TOP_FIELDS} most corrected fields"),
        Kpi(
            "Automation rate",
            f"{auto / fields * 100:.1f}%" if fields else "–",
            f"of {fields:,} fields no person touched",
        ),
        Kpi("Fully automated", f"{full:,}", f"of {documents:,} documents"),
        Kpi(
            "Human seconds per document",
            f"{seconds / documents:.1f}" if documents else "–",
            "reviewers' time on supervision tasks",
        ),
    ]


@dataclass(frozen=True, slots=True)
class Overview:
    kpis: list[Kpi]
    charts: list[Chart]


def build_overview(
    engine: Engine,
    *,
    since: date | None = None,
    centres: Centres = None,
    settings: Settings | None = None,
) -> Overview:
    """Headline numbers and every chart, drawn from the current database (days from
    ``since`` on, documents of ``centres``); the form packs' charts with ``settings``."""
    tables = chart_tables(engine, since=since, centres=centres, settings=settings)
    charts = [spec.draw(spec, tables[spec.name]) for spec in all_charts(settings)]
    return Overview(_kpis(tables), charts)


def chart_csv(
    engine: Engine,
    name: str,
    *,
    actor: str,
    since: date | None = None,
    centres: Centres = None,
    settings: Settings | None = None,
) -> str:
    """One chart's table (documents of ``centres``) as CSV text; the export is written to
    the audit table. With ``settings``, the form packs' charts can be asked for too."""
    if name not in {spec.name for spec in all_charts(settings)}:
        raise UnknownChart(f"there is no chart named {name!r}")
    table = chart_tables(engine, [name], since=since, centres=centres, settings=settings)[name]
    detail = f"chart {name}" + (f" since {since.isoformat()}" if since else "")
    record_audit(engine, actor=actor, action=EXPORT, detail=detail)
    return csv_text(table)
