"""SQLite's intake spool: senders get their 250 while a worker holds the main database's one write
lock, and the move into the store neither loses a message nor stores one twice when it is cut off
half-way."""
from __future__ import annotations

from collections import Counter

import pytest

from mailflow.ingest import unspool
from mailflow.store.spool import Spool

from .support.mails import person_mail, process, smtp_send, taken

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_mail_is_taken_while_another_writer_holds_the_database(app, receiver, sink):
    senders = [f"s{n}@example.org" for n in range(3)]
    with app.store.transaction():  # a worker's batch, say: the write lock is held
        for sender in senders:  # each returns on its 250 (smtplib raises on anything else)
            smtp_send(receiver, person_mail(sender, "hello@mentoring.test", "HELP", ""), sender,
                      ["hello@mentoring.test"])
    process(app)
    answered = Counter(rcpt for received in sink.wait_for(3) for rcpt in received.rcpt_tos)
    assert answered == Counter(senders)


def test_a_move_cut_off_before_the_spool_forgot_stores_each_mail_once(app, receiver, sink,
                                                                       monkeypatch):
    senders = [f"m{n}@example.org" for n in range(4)]
    for sender in senders:
        smtp_send(receiver, person_mail(sender, "hello@mentoring.test", "HELP", ""), sender,
                  ["hello@mentoring.test"])

    def cut_off(self, ids) -> None:
        raise RuntimeError("killed between the store's commit and the spool's forgetting")
    with monkeypatch.context() as patched:
        patched.setattr(Spool, "forget", cut_off)
        with pytest.raises(RuntimeError):
            unspool(app.store)
    assert app.store.spool.summary(app.clock.now())[0] == 4, "the spool still has them all"

    assert sorted(row.envelope_from for row in taken(app.store)) == senders
    assert app.store.spool.summary(app.clock.now())[0] == 0
    process(app)
    answered = Counter(rcpt for received in sink.wait_for(4) for rcpt in received.rcpt_tos)
    assert answered == Counter(senders)
