"""pulse checks, private concerns, quiet notices and the first feedback's fit answer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('good_fit', sa.String(length=10), nullable=True))
    op.create_table(
        'pulse_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentorship_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.Integer(), nullable=False),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False, server_default=''),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['mentorship_id'], ['mentorship.id'], ),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mentorship_id', 'person_id', 'period'),
    )
    with op.batch_alter_table('pulse_check', schema=None) as batch_op:
        batch_op.create_index('ix_pulse_check_mentorship_id', ['mentorship_id'], unique=False)
        batch_op.create_index('ix_pulse_check_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_pulse_answered', ['answered_at'], unique=False)
    op.create_table(
        'concern',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('vouched', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('owner_answer', sa.String(length=12), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.create_index('ix_concern_person_id', ['person_id'], unique=False)
    op.create_table(
        'quiet_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentorship_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['mentorship_id'], ['mentorship.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('quiet_notice', schema=None) as batch_op:
        batch_op.create_index('ix_quiet_notice_mentorship_kind', ['mentorship_id', 'kind'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('quiet_notice')
    op.drop_table('concern')
    op.drop_table('pulse_check')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('good_fit')
