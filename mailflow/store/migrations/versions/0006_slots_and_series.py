"""meeting slots and recurring series

Several slots offered together are meeting rows that name the offer's first slot (offer_id) and
their number; a recurring series is a meeting_series row (UID, RRULE) whose occurrences are meeting
rows naming it (series_id) with their RECURRENCE-ID. Only additions: new nullable columns and a new
table.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meeting_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mentorship_id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=200), nullable=False),
        sa.Column('rrule', sa.String(length=200), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tzid', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['mentorship_id'], ['mentorship.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uid'),
    )
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_series_mentorship_id'), ['mentorship_id'],
                              unique=False)
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('slot_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_id', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_meeting_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key('fk_meeting_offer_id_meeting', 'meeting', ['offer_id'], ['id'])
        batch_op.create_foreign_key('fk_meeting_series_id_meeting_series', 'meeting_series',
                                    ['series_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meeting_series_id_meeting_series', type_='foreignkey')
        batch_op.drop_constraint('fk_meeting_offer_id_meeting', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_meeting_series_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_offer_id'))
        batch_op.drop_column('recurrence_id')
        batch_op.drop_column('series_id')
        batch_op.drop_column('slot_number')
        batch_op.drop_column('offer_id')
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_series_mentorship_id'))
    op.drop_table('meeting_series')
