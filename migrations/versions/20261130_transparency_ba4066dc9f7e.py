"""Public transparency page: publication flags of measures, switch, publisher and licence

Revision ID: ba4066dc9f7e
Revises: e26e82ef6cb5
Create Date: 2026-11-30 11:29:44.952743

Existing measures stay unpublished and the page stays switched off until the administration
switches it on; the licence defaults to the Datenlizenz Deutschland – Namensnennung 2.0.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ba4066dc9f7e"
down_revision = "e26e82ef6cb5"
branch_labels = None
depends_on = None

LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"


def upgrade():
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("public_show_owner", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("public_description", sa.Text(), server_default="", nullable=False)
        )
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.alter_column("public_description", server_default=None)

    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "transparency_enabled", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "transparency_publisher", sa.String(length=200), server_default="", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "transparency_licence_name",
                sa.String(length=200),
                server_default=LICENCE_NAME,
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "transparency_licence_url",
                sa.String(length=300),
                server_default=LICENCE_URL,
                nullable=False,
            )
        )
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.alter_column("transparency_publisher", server_default=None)
        batch_op.alter_column("transparency_licence_name", server_default=None)
        batch_op.alter_column("transparency_licence_url", server_default=None)


def downgrade():
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.drop_column("transparency_licence_url")
        batch_op.drop_column("transparency_licence_name")
        batch_op.drop_column("transparency_publisher")
        batch_op.drop_column("transparency_enabled")

    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_column("public_description")
        batch_op.drop_column("public_show_owner")
        batch_op.drop_column("published")
