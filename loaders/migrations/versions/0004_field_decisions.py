"""Field-level review: per field whether a person must look (``needs_review``, with a
``review_reason`` code) and who decided its value (``decision`` auto | confirmed |
corrected, ``decided_by``, ``decided_at``), the extraction steps that changed its value
(``provenance``), and the reviewer's seconds on a task (``review_events.seconds``).

Columns are only added (no batch rebuild), so the analysts' views of 0003 stay in place.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("fields", sa.Column("needs_review", sa.Boolean(), nullable=True))
    op.add_column("fields", sa.Column("review_reason", sa.String(length=32), nullable=True))
    op.add_column("fields", sa.Column("decision", sa.String(length=16), nullable=True))
    op.add_column("fields", sa.Column("decided_by", sa.String(length=64), nullable=True))
    op.add_column("fields", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("fields", sa.Column("provenance", sa.JSON(none_as_null=True), nullable=True))
    op.create_index("ix_fields_decision", "fields", ["decision"], unique=False)
    op.add_column("review_events", sa.Column("seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("review_events", "seconds")
    op.drop_index("ix_fields_decision", table_name="fields")
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch rebuild would break 0003's views.
    columns = ("provenance", "decided_at", "decided_by", "decision", "review_reason")
    for column in (*columns, "needs_review"):
        op.drop_column("fields", column)
