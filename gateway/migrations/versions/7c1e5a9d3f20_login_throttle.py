"""login throttle counters

Revision ID: 7c1e5a9d3f20
Revises: 494b63a155e7
Create Date: 2026-11-30 11:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '7c1e5a9d3f20'
down_revision = '494b63a155e7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
