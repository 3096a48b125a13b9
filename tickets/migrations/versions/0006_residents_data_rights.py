"""residents' data rights: when a ticket's personal data was purged, conversations still to empty

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import tickets.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on SQLite too: a batch copy of tickets would cascade deletes to its children.
    op.add_column('tickets', sa.Column('personal_data_purged_at', tickets.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index('ix_tickets_personal_data_purged_at', 'tickets', ['personal_data_purged_at'], unique=False)
    op.create_table('conversation_erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('requested_at', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id')
    )


def downgrade() -> None:
    op.drop_table('conversation_erasures')
    op.drop_index('ix_tickets_personal_data_purged_at', table_name='tickets')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('personal_data_purged_at')
