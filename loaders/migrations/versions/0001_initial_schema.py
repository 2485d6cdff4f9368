"""Initial schema: documents and their evidence, typed records, review and audit history,
the intake ledger and dashboard users.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 07:11:43.224727
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=True),
    sa.Column('field', sa.String(length=128), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_document_id'), ['document_id'], unique=False)

    op.create_table('documents',
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('source_name', sa.Text(), nullable=False),
    sa.Column('centre_id', sa.String(length=100), nullable=True),
    sa.Column('file_kind', sa.String(length=8), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('form_type', sa.String(length=32), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('machine_status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('load_count', sa.Integer(), nullable=False),
    sa.Column('pipeline_version', sa.String(length=32), nullable=False),
    sa.Column('template_version', sa.String(length=32), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_form_type'), ['form_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_status'), ['status'], unique=False)

    op.create_table('intake_ledger',
    sa.Column('arrival_id', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.Text(), nullable=False),
    sa.Column('centre_id', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=True),
    sa.Column('stored_path', sa.Text(), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('duplicate_of', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('arrival_id', name=op.f('pk_intake_ledger'))
    )
    with op.batch_alter_table('intake_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_ledger_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_ledger_first_seen_at'), ['first_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_ledger_status'), ['status'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role IN ('reviewer', 'analyst', 'admin')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('benefit_applications',
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('applying_food_assistance', sa.Boolean(), nullable=True),
    sa.Column('applying_child_care', sa.Boolean(), nullable=True),
    sa.Column('applying_cash_assistance', sa.Boolean(), nullable=True),
    sa.Column('living_situation', sa.String(length=8), nullable=True),
    sa.Column('residential_street', sa.Text(), nullable=True),
    sa.Column('residential_city', sa.Text(), nullable=True),
    sa.Column('residential_state', sa.Text(), nullable=True),
    sa.Column('residential_zip', sa.Text(), nullable=True),
    sa.Column('residential_county', sa.Text(), nullable=True),
    sa.Column('mailing_street', sa.Text(), nullable=True),
    sa.Column('mailing_city', sa.Text(), nullable=True),
    sa.Column('mailing_state', sa.Text(), nullable=True),
    sa.Column('mailing_zip', sa.Text(), nullable=True),
    sa.Column('mailing_county', sa.Text(), nullable=True),
    sa.Column('home_phone', sa.Text(), nullable=True),
    sa.Column('cell_phone', sa.Text(), nullable=True),
    sa.Column('work_phone', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('total_cash_assets', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=True),
    sa.Column('monthly_gross_income', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=True),
    sa.Column('applicant_full_name', sa.Text(), nullable=True),
    sa.Column('applicant_birth_date', sa.Date(), nullable=True),
    sa.Column('applicant_sex', sa.String(length=6), nullable=True),
    sa.Column('applicant_ssn', sa.Text(), nullable=True),
    sa.Column('applicant_ssn_masked', sa.String(length=16), nullable=True),
    sa.Column('applicant_marital_status', sa.String(length=13), nullable=True),
    sa.Column('applicant_us_citizen', sa.Boolean(), nullable=True),
    sa.Column('signature_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_benefit_applications_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_benefit_applications'))
    )
    op.create_table('fields',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('machine_value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('raw_text', sa.Text(), nullable=True),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('cipher', sa.Text(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('x0', sa.Integer(), nullable=True),
    sa.Column('y0', sa.Integer(), nullable=True),
    sa.Column('x1', sa.Integer(), nullable=True),
    sa.Column('y1', sa.Integer(), nullable=True),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_fields_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fields')),
    sa.UniqueConstraint('document_id', 'name', name=op.f('uq_fields_document_id_name'))
    )
    op.create_table('household_members',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.Text(), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('relationship', sa.Text(), nullable=True),
    sa.Column('sex', sa.String(length=6), nullable=True),
    sa.Column('ssn', sa.Text(), nullable=True),
    sa.Column('ssn_masked', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_household_members_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_members')),
    sa.UniqueConstraint('document_id', 'position', name=op.f('uq_household_members_document_id_position'))
    )
    op.create_table('infection_reports',
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('cdc_ncov_id', sa.Text(), nullable=True),
    sa.Column('patient_first_name', sa.Text(), nullable=True),
    sa.Column('patient_last_name', sa.Text(), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('reporting_jurisdiction', sa.Text(), nullable=True),
    sa.Column('reporting_health_department', sa.Text(), nullable=True),
    sa.Column('contact_id', sa.Text(), nullable=True),
    sa.Column('case_state_local_id', sa.Text(), nullable=True),
    sa.Column('nndss_case_id', sa.Text(), nullable=True),
    sa.Column('interviewer_last_name', sa.Text(), nullable=True),
    sa.Column('interviewer_first_name', sa.Text(), nullable=True),
    sa.Column('interviewer_affiliation', sa.Text(), nullable=True),
    sa.Column('interviewer_telephone', sa.Text(), nullable=True),
    sa.Column('interviewer_email', sa.Text(), nullable=True),
    sa.Column('case_status', sa.String(length=13), nullable=True),
    sa.Column('report_date_pui', sa.Date(), nullable=True),
    sa.Column('report_date_case', sa.Date(), nullable=True),
    sa.Column('county_of_residence', sa.Text(), nullable=True),
    sa.Column('state_of_residence', sa.Text(), nullable=True),
    sa.Column('race', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('race_other_specify', sa.Text(), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('age_units', sa.String(length=3), nullable=True),
    sa.Column('ethnicity', sa.String(length=19), nullable=True),
    sa.Column('sex', sa.String(length=7), nullable=True),
    sa.Column('first_positive_specimen_date', sa.Date(), nullable=True),
    sa.Column('pneumonia', sa.String(length=7), nullable=True),
    sa.Column('ards', sa.String(length=7), nullable=True),
    sa.Column('other_diagnosis', sa.String(length=7), nullable=True),
    sa.Column('abnormal_chest_xray', sa.String(length=7), nullable=True),
    sa.Column('hospitalized', sa.String(length=7), nullable=True),
    sa.Column('admission_date', sa.Date(), nullable=True),
    sa.Column('discharge_date', sa.Date(), nullable=True),
    sa.Column('icu', sa.String(length=7), nullable=True),
    sa.Column('mechanical_ventilation', sa.String(length=7), nullable=True),
    sa.Column('mechanical_ventilation_days', sa.Integer(), nullable=True),
    sa.Column('ecmo', sa.String(length=7), nullable=True),
    sa.Column('died', sa.String(length=7), nullable=True),
    sa.Column('date_of_death', sa.Date(), nullable=True),
    sa.Column('symptom_status', sa.String(length=12), nullable=True),
    sa.Column('onset_date', sa.Date(), nullable=True),
    sa.Column('symptom_resolution_date', sa.Date(), nullable=True),
    sa.Column('healthcare_worker', sa.String(length=7), nullable=True),
    sa.Column('healthcare_facility_china', sa.String(length=7), nullable=True),
    sa.Column('symptom_fever', sa.String(length=7), nullable=True),
    sa.Column('symptom_subjective_fever', sa.String(length=7), nullable=True),
    sa.Column('symptom_chills', sa.String(length=7), nullable=True),
    sa.Column('symptom_myalgia', sa.String(length=7), nullable=True),
    sa.Column('symptom_rhinorrhea', sa.String(length=7), nullable=True),
    sa.Column('symptom_sore_throat', sa.String(length=7), nullable=True),
    sa.Column('symptom_cough', sa.String(length=7), nullable=True),
    sa.Column('symptom_shortness_of_breath', sa.String(length=7), nullable=True),
    sa.Column('symptom_nausea_vomiting', sa.String(length=7), nullable=True),
    sa.Column('symptom_headache', sa.String(length=7), nullable=True),
    sa.Column('symptom_abdominal_pain', sa.String(length=7), nullable=True),
    sa.Column('symptom_diarrhea', sa.String(length=7), nullable=True),
    sa.Column('condition_chronic_lung_disease', sa.String(length=7), nullable=True),
    sa.Column('condition_diabetes', sa.String(length=7), nullable=True),
    sa.Column('condition_cardiovascular_disease', sa.String(length=7), nullable=True),
    sa.Column('condition_chronic_renal_disease', sa.String(length=7), nullable=True),
    sa.Column('condition_chronic_liver_disease', sa.String(length=7), nullable=True),
    sa.Column('condition_immunocompromised', sa.String(length=7), nullable=True),
    sa.Column('condition_neurologic', sa.String(length=7), nullable=True),
    sa.Column('condition_other_chronic_disease', sa.String(length=7), nullable=True),
    sa.Column('condition_pregnant', sa.String(length=7), nullable=True),
    sa.Column('condition_current_smoker', sa.String(length=7), nullable=True),
    sa.Column('condition_former_smoker', sa.String(length=7), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_infection_reports_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_infection_reports'))
    )
    op.create_table('pages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('form_type', sa.String(length=32), nullable=True),
    sa.Column('template_page', sa.Integer(), nullable=True),
    sa.Column('rotation', sa.Integer(), nullable=False),
    sa.Column('skew_degrees', sa.Float(), nullable=False),
    sa.Column('match_score', sa.Float(), nullable=False),
    sa.Column('image_path', sa.Text(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_pages_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages')),
    sa.UniqueConstraint('document_id', 'number', name=op.f('uq_pages_document_id_number'))
    )
    op.create_table('review_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=True),
    sa.Column('old_value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('new_value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('cipher', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_review_events_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_events'))
    )
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_events_document_id'), ['document_id'], unique=False)

    op.create_table('validation_issues',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('resolved_by_review', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.document_id'], name=op.f('fk_validation_issues_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_issues'))
    )
    with op.batch_alter_table('validation_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_validation_issues_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_validation_issues_document_id'), ['document_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('validation_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_validation_issues_document_id'))
        batch_op.drop_index(batch_op.f('ix_validation_issues_code'))

    op.drop_table('validation_issues')
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_events_document_id'))

    op.drop_table('review_events')
    op.drop_table('pages')
    op.drop_table('infection_reports')
    op.drop_table('household_members')
    op.drop_table('fields')
    op.drop_table('benefit_applications')
    op.drop_table('users')
    with op.batch_alter_table('intake_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_ledger_status'))
        batch_op.drop_index(batch_op.f('ix_intake_ledger_first_seen_at'))
        batch_op.drop_index(batch_op.f('ix_intake_ledger_document_id'))

    op.drop_table('intake_ledger')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_status'))
        batch_op.drop_index(batch_op.f('ix_documents_received_at'))
        batch_op.drop_index(batch_op.f('ix_documents_form_type'))
        batch_op.drop_index(batch_op.f('ix_documents_centre_id'))

    op.drop_table('documents')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_document_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
