"""Care: visits, contact cadence, greetings, birthdays, events, news opt-out (CARE-1..CARE-4, SVC-2, SVC-4).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('care_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grades', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_care_events_created_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_events'))
    )
    op.create_table('care_templates',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff.id'], name=op.f('fk_care_templates_updated_by_id_staff')),
    sa.PrimaryKeyConstraint('key', 'locale', name=op.f('pk_care_templates'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('next_actions', sa.Text(), nullable=False),
    sa.Column('opportunity', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_visits_customer_id_customers')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_visits_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_customer_id'), ['customer_id'], unique=False)

    op.create_table('event_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('coming', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_event_replies_contact_id_contacts')),
    sa.ForeignKeyConstraint(['event_id'], ['care_events.id'], name=op.f('fk_event_replies_event_id_care_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_replies')),
    sa.UniqueConstraint('event_id', 'contact_id', name=op.f('uq_event_replies_event_id'))
    )
    with op.batch_alter_table('event_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_replies_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('news_opt_out', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_every_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_every_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_visit_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_visit_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_next_visit_on'), ['next_visit_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_next_visit_on'))
        batch_op.drop_column('next_visit_on')
        batch_op.drop_column('last_visit_on')
        batch_op.drop_column('contact_every_days')
        batch_op.drop_column('visit_every_days')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('news_opt_out')
        batch_op.drop_column('birthday')

    with op.batch_alter_table('event_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_replies_event_id'))

    op.drop_table('event_replies')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_customer_id'))

    op.drop_table('visits')
    op.drop_table('care_templates')
    op.drop_table('care_events')
