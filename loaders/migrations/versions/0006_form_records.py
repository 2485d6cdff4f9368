"""Form packs' records: one generic table, ``form_records`` (document, form type,
template version, the record as JSON). Each pack's typed view is derived from its
``schema.json`` by ``loaders.pack_views`` when the pack is first loaded, so a new pack
needs no migration (``loaders/README.md``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_records",
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("form_type", sa.String(64), nullable=False),
        sa.Column("template_version", sa.String(64), nullable=True),
        sa.Column("record", sa.JSON(none_as_null=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.document_id"],
            name=op.f("fk_form_records_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_form_records")),
    )
    op.create_index(op.f("ix_form_records_form_type"), "form_records", ["form_type"])


def downgrade() -> None:
    # The packs' views (loaders/pack_views.py: form_<pack>) read this table: drop them first.
    for view in sa.inspect(op.get_bind()).get_view_names():
        if view.startswith("form_") and view != "form_records":
            op.execute(sa.text(f'DROP VIEW IF EXISTS "{view}"'))
    op.drop_index(op.f("ix_form_records_form_type"), table_name="form_records")
    op.drop_table("form_records")
