"""credential: the signed Open Badges 3.0 credential, its baked badge, hours and revocation of a
certificate; how each meeting was confirmed

Revision ID: 0002
Revises: 0008
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificate') as batch:
        batch.add_column(sa.Column('credential', sa.Text(), server_default='', nullable=False))
        batch.add_column(sa.Column('badge_png', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('hours', sa.Float(), server_default='0', nullable=False))
        batch.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('revoked_reason', sa.Text(), server_default='',
                                   nullable=False))
    with op.batch_alter_table('meeting') as batch:
        batch.add_column(sa.Column('confirmed_via', sa.String(length=20), server_default='',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('meeting') as batch:
        batch.drop_column('confirmed_via')
    with op.batch_alter_table('certificate') as batch:
        for column in ('revoked_reason', 'revoked_at', 'hours', 'badge_png', 'credential'):
            batch.drop_column(column)
