"""requests that close (declined, expired, withdrawn) with the mentor's private reason; stored
batch proposals

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_closed_as', sa.String(length=20), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=False,
                                      server_default=''))
    op.create_table(
        'proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('requested_by', sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_table(
        'proposal_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('mentee_id', sa.Integer(), nullable=False),
        sa.Column('mentor_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.Column('mentorship_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id']),
        sa.ForeignKeyConstraint(['mentee_id'], ['person.id']),
        sa.ForeignKeyConstraint(['mentor_id'], ['person.id']),
        sa.ForeignKeyConstraint(['mentorship_id'], ['mentorship.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('proposal_id', 'number'))
    with op.batch_alter_table('proposal_line', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_line_proposal_id', ['proposal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposal_line', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_line_proposal_id')
    op.drop_table('proposal_line')
    op.drop_table('proposal')
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('request_closed_as')
