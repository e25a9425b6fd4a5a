"""Ending a mentorship by mail: END from one side, YES / NO / silence from the other, certificates with names in
any script, CERTIFICATE again, VERIFY by anyone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mailflow.jobs.closing import closing_silence
from mailflow.store.models import Achievement, Certificate, Mentorship

from .support.conversation import Conversation, one_to
from .support.running import (
    HELLO, MENTEE, MENTEE_NAME, MENTOR, MENTOR_NAME, pdf_text, pdfs_of, running_mentorship,
)

WORDS = {"en": dict(end="END", yes="YES", no="NO", certificate="CERTIFICATE", verify="VERIFY",
                    period="1 September 2026 – 1 December 2026", meetings="Number of meetings 3",
                    dates="2026-09-15, 2026-09-29, 2026-10-13"),
         "de": dict(end="BEENDEN", yes="JA", no="NEIN", certificate="BESCHEINIGUNG", verify="PRÜFEN",
                    period="1. September 2026 – 1. Dezember 2026", meetings="Anzahl der Treffen 3",
                    dates="15.9.2026, 29.9.2026, 13.10.2026")}


def ask_to_end(talk: Conversation, words: dict) -> list:
    """The mentee writes END to hello@ (no token: confirmed first by a signed reply) and confirms."""
    confirm = one_to(talk.write(MENTEE, HELLO, words["end"], f"{words['end']}\nThank you for everything!"), MENTEE)
    return talk.reply(confirm, MENTEE, words["yes"])


@pytest.mark.parametrize("lang", ["en", "de"])
def test_yes_completes_the_mentorship_and_both_get_a_certificate(app, sink, lang):
    words, talk = WORDS[lang], Conversation(app, sink)
    running_mentorship(app, lang=lang)

    asked = ask_to_end(talk, words)
    question = one_to(asked, MENTOR)
    assert MENTEE_NAME in question.message["Subject"] and "Thank you for everything!" in question.text()
    one_to(asked, MENTEE)
    with app.store.transaction() as session:
        assert session.scalar(select(Mentorship.state)) == "ending"

    completed = talk.reply(question, MENTOR, words["yes"])
    codes = {}
    for address, holder, partner in ((MENTEE, MENTEE_NAME, MENTOR_NAME), (MENTOR, MENTOR_NAME, MENTEE_NAME)):
        mail = one_to(completed, address)
        [pdf] = pdfs_of(mail)
        text = " ".join(pdf_text(pdf).split())
        assert holder in text and partner in text, text
        assert words["period"] in text and words["meetings"] in text, text
        assert "Career plan" in text and "Mentoring Test" in text and words["dates"] in text
        with app.store.transaction() as session:
            stored = session.scalar(select(Certificate).where(Certificate.holder_name == holder))
            assert stored.pdf == pdf and stored.code in text and stored.code in mail.text()
            codes[address] = stored.code
    with app.store.transaction() as session:
        assert session.scalar(select(Mentorship.state)) == "completed"
        kinds = session.scalars(select(Achievement.kind)).all()
        assert kinds.count("mentorship_completed") == 2 and kinds.count("certificate_issued") == 2

    again = one_to(talk.write(MENTEE, HELLO, words["certificate"], ""), MENTEE)
    assert pdfs_of(again) == pdfs_of(one_to(completed, MENTEE)), "the same stored document comes back"

    verified = one_to(talk.write("hr@employer.example", HELLO, f"{words['verify']} {codes[MENTOR].lower()}", ""),
                      "hr@employer.example")
    assert MENTOR_NAME in verified.text() and codes[MENTOR] in verified.message["Subject"]
    assert MENTEE_NAME not in verified.text() and "Career plan" not in verified.text(), "nothing more than asked"


def test_no_keeps_the_mentorship_running_and_tells_the_first_side(app, sink):
    talk = Conversation(app, sink)
    running_mentorship(app)
    question = one_to(ask_to_end(talk, WORDS["en"]), MENTOR)
    kept = talk.reply(question, MENTOR, "NO\nI would like one more meeting about networking.")
    told = one_to(kept, MENTEE)
    assert MENTOR_NAME in told.message["Subject"] and "one more meeting" in told.text()
    one_to(kept, MENTOR)
    with app.store.transaction() as session:
        mentorship = session.scalar(select(Mentorship))
        assert mentorship.state == "active" and mentorship.end_requested_by_id is None
        assert session.scalar(select(Certificate)) is None
    late_yes = talk.reply(question, MENTOR, "YES")
    assert "answered already" in one_to(late_yes, MENTOR).text()


def test_silence_counts_as_consent_after_one_reminder(app, sink, clock):
    talk = Conversation(app, sink)
    running_mentorship(app)
    ask_to_end(talk, WORDS["en"])
    start = clock.now()

    assert closing_silence(app, start + timedelta(days=3)) == 0
    assert closing_silence(app, start + timedelta(days=7)) == 1
    assert closing_silence(app, start + timedelta(days=8)) == 0, "only one reminder"
    reminder = one_to(talk.new_mail(), MENTOR)
    assert reminder.message["Subject"].strip().startswith("Reminder:") and "2026-12-15" in reminder.text()
    assert closing_silence(app, start + timedelta(days=13)) == 0

    clock.set(start + timedelta(days=14))
    assert closing_silence(app, start + timedelta(days=14)) == 1
    assert closing_silence(app, start + timedelta(days=15)) == 0
    done = talk.new_mail()
    assert all(len(pdfs_of(one_to(done, a))) == 1 for a in (MENTEE, MENTOR))
    assert "not heard any objection" in one_to(done, MENTEE).text()


def test_an_unknown_or_garbled_code_is_not_genuine(app, sink):
    talk = Conversation(app, sink)
    answer = one_to(talk.write("someone@example.net", HELLO, "VERIFY ABCD-EFGH-JK", ""), "someone@example.net")
    assert "No certificate" in answer.message["Subject"]
    answer = one_to(talk.write("someone@example.net", HELLO, "VERIFY nonsense", ""), "someone@example.net")
    assert "No certificate" in answer.message["Subject"]


def test_coordinators_end_issues_certificates_too(app, sink):
    talk = Conversation(app, sink)
    mentorship_id = running_mentorship(app)
    confirm = one_to(talk.write("coord@example.org", "coordinators@mentoring.test", f"END {mentorship_id}", ""),
                     "coord@example.org")
    ended = talk.reply(confirm, "coord@example.org", "YES")
    for address in (MENTEE, MENTOR):
        assert len(pdfs_of(one_to(ended, address))) == 1
