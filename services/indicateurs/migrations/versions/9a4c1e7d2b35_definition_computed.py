"""definition computed by the platform

Revision ID: 9a4c1e7d2b35
Revises: 5d2b8e4f6a71
Create Date: 2026-12-01 13:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '9a4c1e7d2b35'
down_revision = '5d2b8e4f6a71'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicator_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('computed', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Indicators the platform already recorded a value of (organisation « plateforme ») are computed ones.
    op.execute("UPDATE indicator_definition SET computed = TRUE WHERE id IN "
               "(SELECT indicator_id FROM submission WHERE organisation_id = 'plateforme')")


def downgrade() -> None:
    with op.batch_alter_table('indicator_definition', schema=None) as batch_op:
        batch_op.drop_column('computed')
