"""Order imports are staged in small transactions, then applied at once (issue 12).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=32), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('staged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('seen_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('history', sa.Boolean(), nullable=False),
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('product', sa.String(length=300), nullable=False),
    sa.Column('spec', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('delivery_date', sa.Date(), nullable=True),
    sa.Column('delivery_place', sa.String(length=500), nullable=False),
    sa.Column('payment_terms', sa.String(length=200), nullable=False),
    sa.Column('expected_delivery', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_imports'))
    )
    op.create_index(op.f('ix_order_imports_batch'), 'order_imports', ['batch'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_order_imports_batch'), table_name='order_imports')
    op.drop_table('order_imports')
