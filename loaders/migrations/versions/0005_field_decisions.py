"""Field-level review: per field whether a person must look (``needs_review``, with a
``review_reason`` code) and who decided its value (``decision`` auto | confirmed |
corrected, ``decided_by``, ``decided_at``), the extraction steps that changed its value
(``provenance``), and the reviewer's seconds on a task (``review_events.seconds``).

Columns are only added (no batch rebuild). The analysts' views of 0004 are re-created so
that a county counts only once it passed validation or a person decided it: a county
field that still waits for a person (``needs_review`` and no ``decision``) counts as
unknown (NULL) — OCR noise such as "in" no longer shows up as a county.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 03:40:00
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _views_0004() -> dict[str, str]:
    """The views as migration 0004 left them, one column per centre (loaded from its
    file: the one place that spells them)."""
    path = Path(__file__).with_name("0004_user_centres.py")
    spec = importlib.util.spec_from_file_location("faxflow_migration_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    views: dict[str, str] = module._views(by_centre=True)
    return views


def _trusted(alias: str, column: str, field_alias: str) -> str:
    return (
        f"CASE WHEN {field_alias}.needs_review = TRUE AND {field_alias}.decision IS NULL "
        f"THEN NULL ELSE {alias}.{column} END"
    )


def _views() -> dict[str, str]:
    """0004's views, counties taken only when trusted (see the module docstring)."""
    infections_from = "FROM infection_reports r JOIN documents d ON d.document_id = r.document_id"
    benefits_from = "FROM benefit_applications b JOIN documents d ON d.document_id = b.document_id"
    out = {}
    for name, select in _views_0004().items():
        if infections_from in select:
            select = select.replace(
                "r.county_of_residence,",
                f"{_trusted('r', 'county_of_residence', 'fc')} AS county_of_residence,",
            ).replace(
                infections_from,
                f"{infections_from} LEFT JOIN fields fc ON fc.document_id = r.document_id "
                "AND fc.name = 'county_of_residence'",
            )
        elif benefits_from in select:
            select = select.replace(
                "b.residential_county AS county",
                f"{_trusted('b', 'residential_county', 'fc')} AS county",
            ).replace(
                benefits_from,
                f"{benefits_from} LEFT JOIN fields fc ON fc.document_id = b.document_id "
                "AND fc.name = 'residential_county'",
            )
        assert "fc." in select, f"view {name} no longer matches 0004's text"
        out[name] = select
    return out


def upgrade() -> None:
    op.add_column("fields", sa.Column("needs_review", sa.Boolean(), nullable=True))
    op.add_column("fields", sa.Column("review_reason", sa.String(length=32), nullable=True))
    op.add_column("fields", sa.Column("decision", sa.String(length=16), nullable=True))
    op.add_column("fields", sa.Column("decided_by", sa.String(length=64), nullable=True))
    op.add_column("fields", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("fields", sa.Column("provenance", sa.JSON(none_as_null=True), nullable=True))
    op.create_index("ix_fields_decision", "fields", ["decision"], unique=False)
    op.add_column("review_events", sa.Column("seconds", sa.Float(), nullable=True))
    for name, select in _views().items():
        op.execute(f"DROP VIEW IF EXISTS {name}")
        op.execute(f"CREATE VIEW {name} AS {select}")


def downgrade() -> None:
    for name, select in _views_0004().items():
        op.execute(f"DROP VIEW IF EXISTS {name}")
        op.execute(f"CREATE VIEW {name} AS {select}")
    op.drop_column("review_events", "seconds")
    op.drop_index("ix_fields_decision", table_name="fields")
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch rebuild would break 0003's views.
    columns = ("provenance", "decided_at", "decided_by", "decision", "review_reason")
    for column in (*columns, "needs_review"):
        op.drop_column("fields", column)
