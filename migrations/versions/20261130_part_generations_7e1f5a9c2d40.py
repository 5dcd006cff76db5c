"""part generations: data generation per block of measures and for shared data

Revision ID: 7e1f5a9c2d40
Revises: ba4066dc9f7e
Create Date: 2026-11-30 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7e1f5a9c2d40"
down_revision = "ba4066dc9f7e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "part_generations",
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("part", name=op.f("pk_part_generations")),
    )


def downgrade():
    op.drop_table("part_generations")
