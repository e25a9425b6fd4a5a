"""The inbound queue as the worker reads and marks it: statements built once (SQLAlchemy then keys
and compiles each once; a look for due mail built anew cost as much as the look itself), their
values bound per call."""
from __future__ import annotations

from sqlalchemy import Integer, bindparam, select, update

from .models import InboundMessage

# due: new, and not held back (a retry's back-off) beyond now
_DUE = (InboundMessage.state == "new", InboundMessage.not_before <= bindparam("now"))
DUE_IDS = (select(InboundMessage.id).where(*_DUE).order_by(InboundMessage.id)
           .limit(bindparam("limit", type_=Integer)))
RAWS = select(InboundMessage.id, InboundMessage.raw).where(
    InboundMessage.id.in_(bindparam("ids", expanding=True)))
CLAIM_WANTED = (select(InboundMessage).where(
    *_DUE, InboundMessage.id.in_(bindparam("ids", expanding=True))).order_by(InboundMessage.id))
CLAIM_NEXT = (select(InboundMessage).where(*_DUE).order_by(InboundMessage.id)
              .limit(bindparam("limit", type_=Integer)).with_for_update(skip_locked=True))
# a handled mail's mark, for all of a batch in one executemany
_INBOX = InboundMessage.__table__
MARK = update(_INBOX).where(_INBOX.c.id == bindparam("row_id")).values(
    state=bindparam("new_state"), outcome=bindparam("new_outcome"),
    processed_at=bindparam("done_at"))
