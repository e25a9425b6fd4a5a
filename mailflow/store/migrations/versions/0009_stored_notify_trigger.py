"""PostgreSQL: every INSERT into inbound_message says NOTIFY mailflow_stored (store/wakeups.py)

A statement trigger, so the receiver's group commit needs no second round trip for the NOTIFY, and
every writer of inbound mail (SMTP, IMAP, a script) wakes the workers of every host.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op

revision = '0009'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE FUNCTION mailflow_notify_stored() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN PERFORM pg_notify('mailflow_stored', ''); RETURN NULL; END $$")
    op.execute("CREATE TRIGGER inbound_stored AFTER INSERT ON inbound_message "
               "FOR EACH STATEMENT EXECUTE FUNCTION mailflow_notify_stored()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER inbound_stored ON inbound_message")
    op.execute("DROP FUNCTION mailflow_notify_stored()")
