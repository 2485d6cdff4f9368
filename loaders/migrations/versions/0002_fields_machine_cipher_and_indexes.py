"""Keep the machine's SSN reading (encrypted) beside a reviewer's correction, so a
correction can be undone; indexes for the analysts' aggregates.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:15:01.571355
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('benefit_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefit_applications_residential_county'), ['residential_county'], unique=False)

    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.add_column(sa.Column('machine_cipher', sa.Text(), nullable=True))

    with op.batch_alter_table('infection_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_infection_reports_onset_date'), ['onset_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_infection_reports_reporting_jurisdiction_county_of_residence'), ['reporting_jurisdiction', 'county_of_residence'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('infection_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_infection_reports_reporting_jurisdiction_county_of_residence'))
        batch_op.drop_index(batch_op.f('ix_infection_reports_onset_date'))

    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_column('machine_cipher')

    with op.batch_alter_table('benefit_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benefit_applications_residential_county'))

