"""opt_out: who asked for no more reminders or digests (List-Unsubscribe)

Revision ID: 0008
Revises: 0001
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('opt_out',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('address', sa.String(length=320), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('address', 'kind'))


def downgrade() -> None:
    op.drop_table('opt_out')
