"""budget truth: base load, VE linked to measures and archived, Deckungsringe, cost rows follow
their line's kind, running costs in one place, useful life, contractual binding, scenarios per pot

Revision ID: b7d41c9e2a55
Revises: a1c0e7d2b4f1
Create Date: 2026-11-30 10:42:10.187175

Data kept:
* ``measures.running_costs_per_year`` (yearly Folgekosten) becomes
  ``running_cost_after_horizon``; running costs inside the horizon are the cost rows flagged
  as running costs, as before.
* ``cost_plan_entries.kind`` is dropped: a row's kind is its budget line's. Rows whose stated
  kind differed from their line's are counted in the migration log.
* Saved scenarios keep their snapshot; their year becomes the scenario's budget year and the
  single amount is kept in ``params_json`` (``legacy_available``).
"""

import json
import logging

import sqlalchemy as sa
from alembic import op

import steuerung.models.base

# revision identifiers, used by Alembic.
revision = "b7d41c9e2a55"
down_revision = "a1c0e7d2b4f1"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    op.create_table(
        "coverage_rings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "consumptive",
                "investive",
                name="coverage_ring_kind",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column(
            "updated_at", steuerung.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_coverage_rings_year_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_rings")),
        sa.UniqueConstraint("year", "name", name="uq_coverage_rings_year_name"),
    )
    op.create_table(
        "coverage_ring_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ring_id", sa.Integer(), nullable=False),
        sa.Column("budget_line_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_coverage_ring_members_year_range")
        ),
        sa.ForeignKeyConstraint(
            ["budget_line_id"],
            ["budget_lines.id"],
            name=op.f("fk_coverage_ring_members_budget_line_id_budget_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["ring_id"],
            ["coverage_rings.id"],
            name=op.f("fk_coverage_ring_members_ring_id_coverage_rings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_ring_members")),
        sa.UniqueConstraint("budget_line_id", "year", name="uq_coverage_ring_members_line_year"),
    )
    with op.batch_alter_table("coverage_ring_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coverage_ring_members_budget_line_id"), ["budget_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coverage_ring_members_ring_id"), ["ring_id"], unique=False
        )

    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                steuerung.models.base.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.alter_column("updated_at", server_default=None)

    with op.batch_alter_table("budget_amounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "base_load", sa.Numeric(precision=14, scale=2), nullable=False, server_default="0"
            )
        )
        batch_op.create_check_constraint("base_load_not_negative", "base_load >= 0")
    with op.batch_alter_table("budget_amounts", schema=None) as batch_op:
        batch_op.alter_column("base_load", server_default=None)

    # Scenarios: the year becomes the budget year, the single amount a legacy parameter.
    with op.batch_alter_table("budget_scenarios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("budget_year", sa.Integer(), nullable=False, server_default="2026")
        )
        batch_op.add_column(sa.Column("params_json", sa.Text(), nullable=False, server_default="{}"))
    conn = op.get_bind()
    scenarios = sa.table(
        "budget_scenarios",
        sa.column("id", sa.Integer),
        sa.column("year", sa.Integer),
        sa.column("available_amount", sa.Numeric(14, 2)),
        sa.column("budget_year", sa.Integer),
        sa.column("params_json", sa.Text),
    )
    for row in conn.execute(sa.select(scenarios.c.id, scenarios.c.year, scenarios.c.available_amount)):
        conn.execute(
            scenarios.update()
            .where(scenarios.c.id == row.id)
            .values(
                budget_year=row.year,
                params_json=json.dumps(
                    {"legacy_year": row.year, "legacy_available": str(row.available_amount)}
                ),
            )
        )
    with op.batch_alter_table("budget_scenarios", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_budget_scenarios_available_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_budget_scenarios_year_range"), type_="check")
        batch_op.drop_column("available_amount")
        batch_op.drop_column("year")
    with op.batch_alter_table("budget_scenarios", schema=None) as batch_op:
        batch_op.alter_column("budget_year", server_default=None)
        batch_op.alter_column("params_json", server_default=None)
        batch_op.create_check_constraint("year_range", "budget_year BETWEEN 2000 AND 2100")

    with op.batch_alter_table("commitment_authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("measure_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "archived_at", steuerung.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.drop_constraint("uq_commitment_authorizations_line_years", type_="unique")
        batch_op.create_index(
            "ix_commitment_authorizations_line_due", ["budget_line_id", "due_year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commitment_authorizations_measure_id"), ["measure_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_commitment_authorizations_measure_id_measures"),
            "measures",
            ["measure_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("commitment_authorizations", schema=None) as batch_op:
        batch_op.alter_column("purpose", server_default=None)

    mismatched = conn.execute(
        sa.text(
            "SELECT count(*) FROM cost_plan_entries c JOIN budget_lines b "
            "ON b.id = c.budget_line_id WHERE c.kind <> b.kind"
        )
    ).scalar()
    if mismatched:
        log.warning(
            "%s Kostenplanzeilen hatten eine andere Art als ihre Haushaltsstelle; "
            "sie folgen jetzt der Art der Haushaltsstelle.",
            mismatched,
        )
    with op.batch_alter_table("cost_plan_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cost_plan_entries_cost_plan_kind"), type_="check")
        batch_op.drop_column("kind")

    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "running_cost_after_horizon",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="0",
            )
        )
        batch_op.add_column(sa.Column("useful_life_years", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "contractually_bound", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.execute("UPDATE measures SET running_cost_after_horizon = running_costs_per_year")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_measures_running_costs_not_negative"), type_="check")
        batch_op.drop_column("running_costs_per_year")
        batch_op.alter_column("running_cost_after_horizon", server_default=None)
        batch_op.alter_column("contractually_bound", server_default=None)
        batch_op.create_check_constraint(
            "running_cost_after_horizon_not_negative", "running_cost_after_horizon >= 0"
        )
        batch_op.create_check_constraint(
            "useful_life_range", "useful_life_years IS NULL OR (useful_life_years BETWEEN 1 AND 100)"
        )


def downgrade():
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "running_costs_per_year",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="0",
            )
        )
    op.execute("UPDATE measures SET running_costs_per_year = running_cost_after_horizon")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_measures_running_cost_after_horizon_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_measures_useful_life_range"), type_="check")
        batch_op.drop_column("contractually_bound")
        batch_op.drop_column("useful_life_years")
        batch_op.drop_column("running_cost_after_horizon")
        batch_op.alter_column("running_costs_per_year", server_default=None)
        batch_op.create_check_constraint("running_costs_not_negative", "running_costs_per_year >= 0")

    with op.batch_alter_table("cost_plan_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=15), nullable=False, server_default="consumptive")
        )
    op.execute(
        "UPDATE cost_plan_entries SET kind = "
        "(SELECT b.kind FROM budget_lines b WHERE b.id = cost_plan_entries.budget_line_id)"
    )
    with op.batch_alter_table("cost_plan_entries", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.create_check_constraint(
            "cost_plan_kind", "kind IN ('consumptive', 'investive')"
        )

    with op.batch_alter_table("commitment_authorizations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_commitment_authorizations_measure_id_measures"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_commitment_authorizations_measure_id"))
        batch_op.drop_index("ix_commitment_authorizations_line_due")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("purpose")
        batch_op.drop_column("measure_id")
    # Archived or per-measure VE may now repeat a (line, granted, due) triple: keep the first.
    op.execute(
        "DELETE FROM commitment_authorizations WHERE id NOT IN (SELECT min(id) FROM "
        "commitment_authorizations GROUP BY budget_line_id, granted_year, due_year)"
    )
    with op.batch_alter_table("commitment_authorizations", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_commitment_authorizations_line_years", ["budget_line_id", "granted_year", "due_year"]
        )

    with op.batch_alter_table("budget_scenarios", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=False, server_default="2026"))
        batch_op.add_column(
            sa.Column(
                "available_amount",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="0",
            )
        )
    op.execute("UPDATE budget_scenarios SET year = budget_year")
    # Scenarios saved before this revision get their single amount back.
    conn = op.get_bind()
    scenarios = sa.table(
        "budget_scenarios",
        sa.column("id", sa.Integer),
        sa.column("year", sa.Integer),
        sa.column("available_amount", sa.Numeric(14, 2)),
        sa.column("params_json", sa.Text),
    )
    for row in conn.execute(sa.select(scenarios.c.id, scenarios.c.params_json)):
        params = json.loads(row.params_json or "{}")
        if "legacy_available" in params:
            conn.execute(
                scenarios.update()
                .where(scenarios.c.id == row.id)
                .values(
                    year=params.get("legacy_year", 2026),
                    available_amount=params["legacy_available"],
                )
            )
    with op.batch_alter_table("budget_scenarios", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_budget_scenarios_year_range"), type_="check")
        batch_op.drop_column("params_json")
        batch_op.drop_column("budget_year")
        batch_op.alter_column("year", server_default=None)
        batch_op.alter_column("available_amount", server_default=None)
        batch_op.create_check_constraint("available_not_negative", "available_amount >= 0")
        batch_op.create_check_constraint("year_range", "year BETWEEN 2000 AND 2100")

    with op.batch_alter_table("budget_amounts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_budget_amounts_base_load_not_negative"), type_="check")
        batch_op.drop_column("base_load")
    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.drop_column("updated_at")

    with op.batch_alter_table("coverage_ring_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_ring_members_ring_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_ring_members_budget_line_id"))
    op.drop_table("coverage_ring_members")
    op.drop_table("coverage_rings")
