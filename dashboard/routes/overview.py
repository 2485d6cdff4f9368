"""The overview: charts of what the pipeline and the reviewers did, each downloadable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from dashboard.app import render, state_of
from dashboard.auth import Permission, User, requires
from dashboard.overview import build_overview, chart_csv

router = APIRouter(prefix="/overview")

Analyst = Annotated[User, Depends(requires(Permission.OVERVIEW))]
Exporter = Annotated[User, Depends(requires(Permission.EXPORT))]


@router.get("", name="overview")
def overview(request: Request, user: Analyst) -> Response:
    overview = build_overview(state_of(request).engine)
    context = {"active": "overview", "kpis": overview.kpis, "charts": overview.charts}
    return render(request, "overview.html", context)


@router.get("/{name}.csv", name="chart_csv")
def chart_csv_route(
    request: Request, user: Exporter, name: Annotated[str, Path(pattern=r"^[a-z_]{1,64}$")]
) -> Response:
    """One chart's data as CSV (aggregate counts only, no personal data; audited)."""
    body = chart_csv(state_of(request).engine, name, actor=user.username)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="faxflow-{name}.csv"'},
    )
