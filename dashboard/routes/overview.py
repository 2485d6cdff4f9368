"""The overview: charts of what the pipeline and the reviewers did, each downloadable."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from dashboard.app import render, state_of
from dashboard.auth import Permission, User, requires
from dashboard.overview import build_overview, chart_csv, since_for
from loaders.exports import BYTE_ORDER_MARK

router = APIRouter(prefix="/overview")

Analyst = Annotated[User, Depends(requires(Permission.OVERVIEW))]
Exporter = Annotated[User, Depends(requires(Permission.EXPORT))]


Period = Annotated[Literal["30", "90", "365", "all"], Query()]
PERIOD_LABELS = {"30": "30 days", "90": "90 days", "365": "a year", "all": "all time"}


@router.get("", name="overview")
def overview(request: Request, user: Analyst, period: Period = "all") -> Response:
    state = state_of(request)
    overview = build_overview(
        state.engine, since=since_for(period), centres=user.centres, settings=state.settings
    )
    context = {
        "active": "overview",
        "kpis": overview.kpis,
        "charts": overview.charts,
        "period": period,
        "periods": PERIOD_LABELS,
    }
    return render(request, "overview.html", context)


@router.get("/{name}.csv", name="chart_csv")
def chart_csv_route(
    request: Request,
    user: Exporter,
    name: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,128}$")],
    period: Period = "all",
) -> Response:
    """One chart's data as CSV, UTF-8 with a byte-order mark (aggregate counts only, no
    personal data; audited)."""
    state = state_of(request)
    body = chart_csv(
        state.engine,
        name,
        actor=user.username,
        since=since_for(period),
        centres=user.centres,
        settings=state.settings,
    )
    # The byte-order mark is how spreadsheet programs tell UTF-8 from the local code page:
    # without it, Japanese titles and values, and accented names, open garbled.
    return Response(
        BYTE_ORDER_MARK + body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="faxflow-{name}.csv"'},
    )
