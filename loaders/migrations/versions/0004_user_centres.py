"""Centres scope access: ``user_centres`` says which centres' documents a reviewer or
analyst may see; the aggregate views gain a ``centre_id`` column (one more grouping key)
so the dashboard can count only a user's centres. ``loaders.aggregates`` sums over it, so
its frames are unchanged for users who see every centre.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _day(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"date({column})"  # SQLite stores naive UTC text


def _views(*, by_centre: bool) -> dict[str, str]:
    """The views of migration 0003; ``by_centre`` adds ``d.centre_id`` as the last key."""
    centre = ", d.centre_id" if by_centre else ""
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
            f"r.reporting_jurisdiction, r.county_of_residence, r.case_status{centre}, "
            f"COUNT(*) AS reports, {counts} {infections} GROUP BY 1, 2, 3, 4"
            + (", 5" if by_centre else "")
        ),
        "v_epi_curve": (
            f"SELECT r.onset_date, r.county_of_residence, r.case_status{centre}, "
            f"COUNT(*) AS cases {infections} AND r.onset_date IS NOT NULL GROUP BY 1, 2, 3"
            + (", 4" if by_centre else "")
        ),
        "v_severity": (
            f"SELECT r.reporting_jurisdiction, r.county_of_residence, r.case_status{centre}, "
            "COUNT(*) AS reports, "
            + ", ".join(
                yes.format(name)
                for name in ("hospitalized", "icu", "mechanical_ventilation", "died")
            )
            + f" {infections} GROUP BY 1, 2, 3"
            + (", 4" if by_centre else "")
        ),
        "v_benefits_by_county": (
            "SELECT b.residential_county AS county, COALESCE("
            f"{_day('d.received_at')}, b.signature_date, {_day('d.processed_at')}) AS day"
            f"{centre}, COUNT(*) AS applications, "
            "SUM(CASE WHEN b.applying_food_assistance THEN 1 ELSE 0 END) AS food_assistance, "
            "SUM(CASE WHEN b.applying_child_care THEN 1 ELSE 0 END) AS child_care, "
            "SUM(CASE WHEN b.applying_cash_assistance THEN 1 ELSE 0 END) AS cash_assistance "
            "FROM benefit_applications b JOIN documents d ON d.document_id = b.document_id "
            "WHERE d.status <> 'rejected' GROUP BY 1, 2" + (", 3" if by_centre else "")
        ),
    }


def _replace_views(*, by_centre: bool) -> None:
    views = _views(by_centre=by_centre)
    for name in reversed(list(views)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name, select in views.items():
        op.execute(f"CREATE VIEW {name} AS {select}")


def upgrade() -> None:
    op.create_table(
        "user_centres",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_centres_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "centre_id", name=op.f("pk_user_centres")),
    )
    _replace_views(by_centre=True)


def downgrade() -> None:
    _replace_views(by_centre=False)
    op.drop_table("user_centres")
