"""Lease owners: a claimed row names the process that holds it (R3, R11).

A process renews the leases it holds and settles only rows it still owns, so a row that waits
in memory (behind a 429 pause, a slow chat) is never taken and sent again by another process.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("inbox", "outbox", "due_work")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
            batch.create_index(batch.f(f"ix_{table}_lease_owner"), ["lease_owner"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f"ix_{table}_lease_owner"))
            batch.drop_column("lease_owner")
