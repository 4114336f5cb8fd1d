"""Annual declaration: board-approval and disclosure dates per firm and year.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brokersec.records.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("board_approved_on", sa.Date(), nullable=True),
        sa.Column("disclosed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_declarations_org_id_orgs")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_declarations_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
        sa.UniqueConstraint("org_id", "year", name=op.f("uq_declarations_org_id")),
    )


def downgrade() -> None:
    op.drop_table("declarations")
