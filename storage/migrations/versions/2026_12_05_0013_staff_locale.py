"""Staff: the language the operator sets for a member of staff (`staff add --locale`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ has it): a batch would copy and drop the table, which
    # other tables reference, and SQLite refuses that with foreign keys on.
    op.drop_column("staff", "locale")
