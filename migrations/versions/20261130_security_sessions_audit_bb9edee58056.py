"""security: server-side sessions, password change flag, auth source, append-only audit log

Revision ID: bb9edee58056
Revises: e2bec69739c6
Create Date: 2026-11-30 10:00:43.844394

"""
from alembic import op
import sqlalchemy as sa

import steuerung.models.base


# revision identifiers, used by Alembic.
revision = 'bb9edee58056'
down_revision = 'e2bec69739c6'
branch_labels = None
depends_on = None

# The same statements as steuerung/models/security.py (copied: a migration must not change
# when the models change later).
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only' "
    "USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
)


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=False),
    sa.Column('client_address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    # Existing accounts are local and keep their passwords (no forced change).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('auth_source', sa.String(length=10), nullable=False, server_default='local'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('must_change_password', server_default=None)
        batch_op.alter_column('auth_source', server_default=None)

    dialect = _dialect()
    for statement in SQLITE_TRIGGERS if dialect == 'sqlite' else POSTGRES_TRIGGERS if dialect == 'postgresql' else ():
        op.execute(statement)


def downgrade():
    dialect = _dialect()
    for statement in SQLITE_DROP if dialect == 'sqlite' else POSTGRES_DROP if dialect == 'postgresql' else ():
        op.execute(statement)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('auth_source')
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
