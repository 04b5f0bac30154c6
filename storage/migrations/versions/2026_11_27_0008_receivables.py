"""Receivables: invoices, payments, dunning letters, credit requests (AR-1, AR-2, RISK-1..RISK-3).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_no', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('rung', sa.Integer(), nullable=True),
    sa.Column('next_rung_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_invoices_customer_id_customers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoices_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('invoice_no', name=op.f('uq_invoices_invoice_no'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_invoices_status_next_rung', ['status', 'next_rung_at'], unique=False)

    op.create_table('credit_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('finance_by_id', sa.Integer(), nullable=True),
    sa.Column('finance_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('executive_by_id', sa.Integer(), nullable=True),
    sa.Column('executive_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_credit_requests_customer_id_customers')),
    sa.ForeignKeyConstraint(['executive_by_id'], ['staff.id'], name=op.f('fk_credit_requests_executive_by_id_staff')),
    sa.ForeignKeyConstraint(['finance_by_id'], ['staff.id'], name=op.f('fk_credit_requests_finance_by_id_staff')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_requests_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_credit_requests_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_requests'))
    )
    with op.batch_alter_table('credit_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_requests_customer_id'), ['customer_id'], unique=False)

    op.create_table('dunning_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_dunning_letters_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_dunning_letters_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_letters'))
    )
    with op.batch_alter_table('dunning_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dunning_letters_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('invoice_id', 'paid_on', 'amount', 'reference', name=op.f('uq_payments_invoice_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_rating', sa.String(length=8), nullable=False,
                                      server_default="A"))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('credit_rating')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))

    op.drop_table('payments')
    with op.batch_alter_table('dunning_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dunning_letters_invoice_id'))

    op.drop_table('dunning_letters')
    with op.batch_alter_table('credit_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_requests_customer_id'))

    op.drop_table('credit_requests')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_status_next_rung')
        batch_op.drop_index(batch_op.f('ix_invoices_customer_id'))

    op.drop_table('invoices')
