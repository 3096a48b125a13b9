"""unanswered questions: what residents asked that the catalogue could not answer well

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
import tickets.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unanswered_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('first_seen', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', tickets.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('question')
    )


def downgrade() -> None:
    op.drop_table('unanswered_questions')
