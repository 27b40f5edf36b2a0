"""submission sent by (four eyes)

Revision ID: 5d2b8e4f6a71
Revises: ed67bb810101
Create Date: 2026-11-30 11:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '5d2b8e4f6a71'
down_revision = 'ed67bb810101'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by_user_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
    # Values sent before this column: their author sent them (a draft submitted by someone else is unknown).
    op.execute("UPDATE submission SET sent_by_user_id = submitted_by_user_id WHERE submitted_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('sent_by_user_id')
