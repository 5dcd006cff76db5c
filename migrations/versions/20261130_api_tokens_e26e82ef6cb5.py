"""API access tokens: one row per personal token (hash of the secret only, prefix,
created / expires / last used / revoked)

Revision ID: e26e82ef6cb5
Revises: 8f3b6c20d1ea
Create Date: 2026-11-30 11:29:50.554887

"""
from alembic import op
import sqlalchemy as sa

import steuerung.models.base


# revision identifiers, used by Alembic.
revision = 'e26e82ef6cb5'
down_revision = '8f3b6c20d1ea'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', steuerung.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_api_tokens_user_created', ['user_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_tokens_user_created')

    op.drop_table('api_tokens')
