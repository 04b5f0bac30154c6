"""Case handling: timeline, forwards, corrective actions, tasks (CMP-3, CMP-4).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_forwards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['staff.id'], name=op.f('fk_case_forwards_answered_by_id_staff')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['staff.id'], name=op.f('fk_case_forwards_asked_by_id_staff')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_forwards_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_forwards'))
    )
    with op.batch_alter_table('case_forwards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_forwards_case_id'), ['case_id'], unique=False)

    op.create_table('corrective_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_corrective_actions_case_id_cases')),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_corrective_actions_owner_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_actions'))
    )
    with op.batch_alter_table('corrective_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrective_actions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrective_actions_owner_id'), ['owner_id'], unique=False)

    op.create_table('staff_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_staff_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_staff_tasks_customer_id_customers')),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_staff_tasks_owner_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_tasks'))
    )
    with op.batch_alter_table('staff_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_tasks_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column('solution', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('proposed_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deadline_agreed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('root_cause', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('root_cause_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('survey_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('survey_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('survey_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('reopened_at')
        batch_op.drop_column('survey_at')
        batch_op.drop_column('survey_comment')
        batch_op.drop_column('survey_score')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('root_cause_text')
        batch_op.drop_column('root_cause')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('deadline_agreed')
        batch_op.drop_column('proposed_due_at')
        batch_op.drop_column('solution')
        batch_op.drop_column('version')

    with op.batch_alter_table('staff_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_tasks_owner_id'))

    op.drop_table('staff_tasks')
    with op.batch_alter_table('corrective_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrective_actions_owner_id'))
        batch_op.drop_index(batch_op.f('ix_corrective_actions_case_id'))

    op.drop_table('corrective_actions')
    with op.batch_alter_table('case_forwards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_forwards_case_id'))

    op.drop_table('case_forwards')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
