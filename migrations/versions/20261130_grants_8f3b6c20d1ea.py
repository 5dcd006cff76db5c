"""grants of measures: application, decision (Förderbescheid), calls for funds and the
deadline of the proof of use

Revision ID: 8f3b6c20d1ea
Revises: 5d2e8a41c9b7
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import steuerung.models.base


# revision identifiers, used by Alembic.
revision = '8f3b6c20d1ea'
down_revision = '5d2e8a41c9b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=200), nullable=False),
    sa.Column('funding_body', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('planned', 'applied', 'approved', 'rejected', 'withdrawn', 'closed', name='grant_status', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('applied_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('file_number', sa.String(length=100), nullable=False),
    sa.Column('approval_from', sa.Date(), nullable=True),
    sa.Column('approval_to', sa.Date(), nullable=True),
    sa.Column('eligible_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('grant_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('proof_due_on', sa.Date(), nullable=True),
    sa.Column('proof_submitted_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('applied_amount IS NULL OR applied_amount >= 0', name=op.f('ck_grants_applied_not_neg')),
    sa.CheckConstraint('approval_to IS NULL OR approval_from IS NULL OR approval_to >= approval_from', name=op.f('ck_grants_approval_period_order')),
    sa.CheckConstraint('eligible_cost IS NULL OR eligible_cost >= 0', name=op.f('ck_grants_eligible_not_neg')),
    sa.CheckConstraint('grant_amount IS NULL OR grant_amount >= 0', name=op.f('ck_grants_grant_not_negative')),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_grants_measure_id_measures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants'))
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index('ix_grants_status_proof_due', ['status', 'proof_due_on'], unique=False)

    op.create_table('grant_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('called_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_grant_calls_amount_positive')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_calls_grant_id_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_calls'))
    )
    with op.batch_alter_table('grant_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_calls_grant_id'), ['grant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('grant_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_calls_grant_id'))

    op.drop_table('grant_calls')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index('ix_grants_status_proof_due')
        batch_op.drop_index(batch_op.f('ix_grants_measure_id'))

    op.drop_table('grants')
