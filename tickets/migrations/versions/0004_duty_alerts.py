"""duty alarm: the duty roster and the alerts sent about emergencies

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:10:00
"""
from alembic import op
import sqlalchemy as sa
import tickets.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duty_roster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=True),
    sa.Column('address', sa.String(length=128), nullable=True),
    sa.Column('updated_at', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('position')
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('route', sa.Enum('console', 'duty_group', 'gateway', 'personal', name='alert_route', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('pending', 'delivered', 'acknowledged', 'escalated', 'failed', name='alert_state', native_enum=False, length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=160), nullable=False),
    sa.Column('staff_username', sa.String(length=80), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', tickets.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', tickets.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=80), nullable=True),
    sa.Column('escalated_at', tickets.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_state_next', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_ticket_id'))
        batch_op.drop_index('ix_alerts_state_next')

    op.drop_table('alerts')
    op.drop_table('duty_roster')
