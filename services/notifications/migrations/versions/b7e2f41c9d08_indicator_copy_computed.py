"""indicator copy: computed by the platform

Revision ID: b7e2f41c9d08
Revises: 0e193d8f2fed
Create Date: 2026-12-01 13:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e2f41c9d08'
down_revision = '0e193d8f2fed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicator_copy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('computed', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Indicators whose values the platform already recorded (organisation « plateforme ») are computed ones.
    op.execute("UPDATE indicator_copy SET computed = TRUE WHERE indicator_id IN "
               "(SELECT indicator_id FROM indicator_value WHERE organisation_id = 'plateforme')")


def downgrade() -> None:
    with op.batch_alter_table('indicator_copy', schema=None) as batch_op:
        batch_op.drop_column('computed')
