"""programs: their definitions, and indicator reports by area

Revision ID: 0009_programs
Revises: 0008_key_hash_index
Create Date: 2026-12-04 22:30:00

A program is defined (``gotong.program.defined.v1``: lead, partners, indicators with
baselines and targets) and its indicator reports may name the area they measure
(``gotong.indicator.reported.v2``). ``indicators`` gains ``area`` in its key (``""``
for a city-wide report, which every report before this one was): the table is made
again with the new key and its rows copied, the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_programs"
down_revision = "0008_key_hash_index"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_COLUMNS = ("program", "indicator", "period", "value", "unit", "note", "node_id",
            "reported_at", "version")


def _indicators(name: str, key: tuple[str, ...]) -> None:
    area = [sa.Column("area", _TEXT(), nullable=False)] if "area" in key else []
    op.create_table(
        name,
        sa.Column("program", _TEXT(), nullable=False),
        sa.Column("indicator", _TEXT(), nullable=False),
        sa.Column("period", _TEXT(), nullable=False),
        *area,
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", _TEXT(), nullable=True),
        sa.Column("note", _TEXT(), nullable=True),
        sa.Column("node_id", _TEXT(), nullable=False),
        sa.Column("reported_at", _TEXT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name="indicators_next_pkey"),
    )


def _swap(key: tuple[str, ...], area: str | None) -> None:
    """Make ``indicators`` again with ``key``, its rows copied (``area`` set to ``area``
    when the new table has it, dropped when it has not)."""
    _indicators("indicators_next", key)
    columns = ", ".join(_COLUMNS)
    if area is not None:
        op.execute(f"INSERT INTO indicators_next ({columns}, area) "
                   f"SELECT {columns}, '{area}' FROM indicators")
    else:
        op.execute(f"INSERT INTO indicators_next ({columns}) SELECT {columns} FROM indicators "
                   "WHERE area = ''")
    op.drop_table("indicators")
    op.rename_table("indicators_next", "indicators")
    if op.get_bind().dialect.name == "postgresql":  # constraint names are per schema there
        op.execute("ALTER TABLE indicators RENAME CONSTRAINT indicators_next_pkey "
                   "TO indicators_pkey")


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", _TEXT(), nullable=False),
        sa.Column("name", _TEXT(), nullable=False),
        sa.Column("summary", _TEXT(), nullable=True),
        sa.Column("lead_node_id", _TEXT(), nullable=False),
        sa.Column("partner_node_ids", sa.JSON(), nullable=True),
        sa.Column("starts_on", _TEXT(), nullable=True),
        sa.Column("ends_on", _TEXT(), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=True),
        sa.Column("definitions", sa.JSON(), nullable=True),
        sa.Column("defined_at", _TEXT(), nullable=False),
        sa.Column("updated_at", _TEXT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_programs_lead_node_id", "programs", ["lead_node_id"])
    _swap(("program", "indicator", "period", "area"), "")


def downgrade() -> None:
    _swap(("program", "indicator", "period"), None)
    op.drop_index("ix_programs_lead_node_id", table_name="programs")
    op.drop_table("programs")
