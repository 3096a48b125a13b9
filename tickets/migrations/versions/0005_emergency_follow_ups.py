"""emergency follow-ups: what the resident was told after the first reply about the duty alarm

Emergencies stored before this revision were answered inside their turn: they are marked so, and
nobody gets a late second message about them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:30:00
"""
from alembic import op
import sqlalchemy as sa
import tickets.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emergency_follow_ups',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('reached', 'not_reached', 'told_in_turn', name='follow_up_outcome', native_enum=False, length=20), nullable=False),
    sa.Column('reached', sa.String(length=80), nullable=True),
    sa.Column('decided_at', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_try_at', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('told_at', tickets.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.execute(
        "INSERT INTO emergency_follow_ups (ticket_id, outcome, decided_at, next_try_at, attempts, told_at) "
        "SELECT id, 'told_in_turn', created_at, created_at, 0, created_at FROM tickets WHERE kind = 'emergency'"
    )


def downgrade() -> None:
    op.drop_table('emergency_follow_ups')
