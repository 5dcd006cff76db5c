"""budget planning: plan versions per stage (Anmeldung, Entwurf, Eckwerte, Beschluss,
Nachtrag) with their lines, amounts per year, Eckwerte and the departments' hand-ins

Revision ID: 5d2e8a41c9b7
Revises: f67402e8bcbe
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import steuerung.models.base


# revision identifiers, used by Alembic.
revision = '5d2e8a41c9b7'
down_revision = 'f67402e8bcbe'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_year', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('registration', 'draft', 'key_figures', 'adopted', 'supplement', name='plan_stage', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('supplement_no', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'frozen', name='plan_version_status', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('created_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('frozen_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('frozen_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('decision_reference', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('updated_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('budget_year BETWEEN 2000 AND 2100', name=op.f('ck_plan_versions_budget_year_range')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_plan_versions_position_positive')),
    sa.CheckConstraint('supplement_no >= 0', name=op.f('ck_plan_versions_supplement_no_not_negative')),
    sa.ForeignKeyConstraint(['based_on_id'], ['plan_versions.id'], name=op.f('fk_plan_versions_based_on_id_plan_versions')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], name=op.f('fk_plan_versions_frozen_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('budget_year', 'position', name='uq_plan_versions_year_position')
    )
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_versions_based_on_id'), ['based_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_versions_budget_year'), ['budget_year'], unique=False)

    op.create_table('plan_department_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plan_department_states_department_id_departments')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_plan_department_states_plan_version_id_plan_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_plan_department_states_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_department_states')),
    sa.UniqueConstraint('plan_version_id', 'department_id', name='uq_plan_department_states_version_dept')
    )
    with op.batch_alter_table('plan_department_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_department_states_plan_version_id'), ['plan_version_id'], unique=False)

    op.create_table('plan_key_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('consumptive', 'investive', name='plan_key_figure_kind', native_enum=False, create_constraint=True, length=15), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('(department_id IS NULL AND kind IS NOT NULL) OR (department_id IS NOT NULL AND kind IS NULL)', name=op.f('ck_plan_key_figures_one_scope')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_plan_key_figures_amount_not_negative')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_plan_key_figures_year_range')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plan_key_figures_department_id_departments')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_plan_key_figures_plan_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_key_figures'))
    )
    with op.batch_alter_table('plan_key_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_key_figures_plan_version_id'), ['plan_version_id'], unique=False)

    op.create_table('plan_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('consumptive', 'investive', name='plan_line_kind', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('proposed_product', sa.String(length=30), nullable=False),
    sa.Column('proposed_cost_center', sa.String(length=30), nullable=False),
    sa.Column('proposed_account', sa.String(length=30), nullable=False),
    sa.Column('proposed_investment_number', sa.String(length=30), nullable=False),
    sa.Column('proposed_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('derivation', sa.Text(), nullable=False),
    sa.Column('updated_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['budget_line_id'], ['budget_lines.id'], name=op.f('fk_plan_lines_budget_line_id_budget_lines')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plan_lines_department_id_departments')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_plan_lines_plan_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_lines')),
    sa.UniqueConstraint('plan_version_id', 'key', name='uq_plan_lines_version_key')
    )
    with op.batch_alter_table('plan_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_lines_budget_line_id'), ['budget_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_lines_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_lines_plan_version_id'), ['plan_version_id'], unique=False)

    op.create_table('plan_amounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_line_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('derived_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_plan_amounts_amount_not_negative')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_plan_amounts_year_range')),
    sa.ForeignKeyConstraint(['plan_line_id'], ['plan_lines.id'], name=op.f('fk_plan_amounts_plan_line_id_plan_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_amounts')),
    sa.UniqueConstraint('plan_line_id', 'year', name='uq_plan_amounts_line_year')
    )
    with op.batch_alter_table('plan_amounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_amounts_plan_line_id'), ['plan_line_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_amounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_amounts_plan_line_id'))

    op.drop_table('plan_amounts')
    with op.batch_alter_table('plan_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_lines_plan_version_id'))
        batch_op.drop_index(batch_op.f('ix_plan_lines_department_id'))
        batch_op.drop_index(batch_op.f('ix_plan_lines_budget_line_id'))

    op.drop_table('plan_lines')
    with op.batch_alter_table('plan_key_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_key_figures_plan_version_id'))

    op.drop_table('plan_key_figures')
    with op.batch_alter_table('plan_department_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_department_states_plan_version_id'))

    op.drop_table('plan_department_states')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_versions_budget_year'))
        batch_op.drop_index(batch_op.f('ix_plan_versions_based_on_id'))

    op.drop_table('plan_versions')
