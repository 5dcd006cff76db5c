"""measure list: indexes for the newest-first page (all, and within a status)

Revision ID: c4d2e8a1f3b7
Revises: bb9edee58056
Create Date: 2026-11-30 13:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d2e8a1f3b7"
down_revision = "bb9edee58056"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.create_index("ix_measures_updated_at", ["updated_at", "id"], unique=False)
        batch_op.create_index(
            "ix_measures_status_updated_at", ["status", "updated_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_index("ix_measures_status_updated_at")
        batch_op.drop_index("ix_measures_updated_at")
