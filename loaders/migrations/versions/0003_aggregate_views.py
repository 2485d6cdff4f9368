"""Views for analysts who query the database directly: infection reports per day, the
epidemic curve, severity, benefit applications per county and day. ``loaders.aggregates``
reads the same views, so SQL users and ``faxflow export`` see the same numbers.

Days are UTC calendar days whatever the session's time zone. Rejected documents are left
out. Changing a view means a new migration that drops and re-creates it. On SQLite a later
migration that rebuilds one of the underlying tables (batch mode) must drop these views
first and re-create them afterwards.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 07:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _day(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"date({column})"  # SQLite stores naive UTC text


def _views() -> dict[str, str]:
    counts = (
        "SUM(CASE WHEN d.status = 'accepted' THEN 1 ELSE 0 END) AS accepted, "
        "SUM(CASE WHEN d.status = 'needs_review' THEN 1 ELSE 0 END) AS needs_review"
    )
    infections = (
        "FROM infection_reports r JOIN documents d ON d.document_id = r.document_id "
        "WHERE d.status <> 'rejected'"
    )
    yes = "SUM(CASE WHEN r.{0} = 'yes' THEN 1 ELSE 0 END) AS {0}"
    return {
        "v_infections_by_day": (
            "SELECT COALESCE(r.report_date_case, r.report_date_pui, "
            f"{_day('d.received_at')}, {_day('d.processed_at')}) AS day, "
            "r.reporting_jurisdiction, r.county_of_residence, r.case_status, "
            f"COUNT(*) AS reports, {counts} {infections} GROUP BY 1, 2, 3, 4"
        ),
        "v_epi_curve": (
            "SELECT r.onset_date, r.county_of_residence, r.case_status, COUNT(*) AS cases "
            f"{infections} AND r.onset_date IS NOT NULL GROUP BY 1, 2, 3"
        ),
        "v_severity": (
            "SELECT r.reporting_jurisdiction, r.county_of_residence, r.case_status, "
            "COUNT(*) AS reports, "
            + ", ".join(
                yes.format(name)
                for name in ("hospitalized", "icu", "mechanical_ventilation", "died")
            )
            + f" {infections} GROUP BY 1, 2, 3"
        ),
        "v_benefits_by_county": (
            "SELECT b.residential_county AS county, COALESCE("
            f"{_day('d.received_at')}, b.signature_date, {_day('d.processed_at')}) AS day, "
            "COUNT(*) AS applications, "
            "SUM(CASE WHEN b.applying_food_assistance THEN 1 ELSE 0 END) AS food_assistance, "
            "SUM(CASE WHEN b.applying_child_care THEN 1 ELSE 0 END) AS child_care, "
            "SUM(CASE WHEN b.applying_cash_assistance THEN 1 ELSE 0 END) AS cash_assistance "
            "FROM benefit_applications b JOIN documents d ON d.document_id = b.document_id "
            "WHERE d.status <> 'rejected' GROUP BY 1, 2"
        ),
    }


def upgrade() -> None:
    for name, select in _views().items():
        op.execute(f"CREATE VIEW {name} AS {select}")


def downgrade() -> None:
    for name in reversed(list(_views())):
        op.execute(f"DROP VIEW IF EXISTS {name}")
