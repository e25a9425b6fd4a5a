"""Coordinators act by mail: REMIND, MATCH, END, RESEND, EXPORT, STATS. Each answer says what was done or
exactly why not; the same commands from anyone else change nothing and are not answered."""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from mailflow.domain.coordinator_links import coordinator_token
from mailflow.store.models import Mentorship, OutboundMessage, Person

from .support.conversation import Conversation, one_to
from .test_joining_to_agreement import MENTEE, MENTOR, imported

COORDINATOR = "coord@example.org"


APP_SETTINGS = dict(language="en")


def command(talk: Conversation, text: str, sender: str = COORDINATOR) -> list:
    """A command through the digest's signed coordinators' address. A digest is forwarded and kept, so a
    state-changing command is confirmed in the coordinator's own mailbox first; the coordinator says YES."""
    address = talk.app.signer.address(coordinator_token(sender, talk.app.clock.now()))
    sent = talk.write(sender, address, text, text)
    asked = [m for m in sent if str(m.message["Subject"]).startswith("Please confirm")]
    if not asked:
        return sent
    assert [m.rcpt_tos for m in sent] == [(sender,)], "only the coordinator is asked, nobody else hears of it"
    return talk.reply(asked[0], sender, "YES")


def answer(mails, subject_start: str) -> str:
    mail = one_to(mails, COORDINATOR)
    assert str(mail.message["Subject"]).startswith(subject_start), mail.message["Subject"]
    return mail.text()


def mentorships(app) -> list[tuple[int, str]]:
    with app.store.reading() as session:
        return [tuple(r) for r in session.execute(select(Mentorship.id, Mentorship.state).order_by(Mentorship.id))]


def test_coordinators_match_remind_export_and_end_by_mail(app, sink):
    talk = Conversation(app, sink)
    imported(app, "en")

    assert command(talk, f"MATCH {MENTEE} otto-mentor", sender="mallory@example.org") == []
    assert mentorships(app) == [], "a non-coordinator changes nothing and hears nothing"

    matched = command(talk, f"MATCH {MENTEE} otto-mentor")
    assert "Otto Mentor has been asked to mentor Mia Mentee (mentorship 1)" in answer(matched, "Done: mentorship 1")
    assert "Mia Mentee" in one_to(matched, MENTOR).text() and "coordinators suggest" in one_to(matched, MENTOR).text()
    assert "Otto Mentor" in one_to(matched, MENTEE).text()
    assert mentorships(app) == [(1, "requested")]

    again = command(talk, f"MATCH {MENTEE} otto-mentor")
    assert "already has an open request to Otto Mentor (mentorship 1)" in answer(again, "Not done")
    wrong = command(talk, "MATCH otto-mentor mia@example.org")
    assert "Otto Mentor takes part as mentor, not as mentee" in answer(wrong, "Not done")
    unknown = command(talk, "MATCH nobody@example.org otto-mentor")
    assert '"nobody@example.org"' in answer(unknown, "Not done")

    reminded = command(talk, "REMIND 1")
    assert "Otto Mentor has been reminded of the open request" in answer(reminded, "Done: mentorship 1")
    assert "Reminder: Mia Mentee is waiting" in str(one_to(reminded, MENTOR).message["Subject"])
    assert "There is no mentorship 99" in answer(command(talk, "REMIND 99"), "Not done")
    assert "missing what it acts on" in answer(command(talk, "REMIND"), "Not done")

    stats = answer(command(talk, "STATS"), "Programme figures")
    assert "Participants: 1 mentee, 1 mentor" in stats and "1 requested" in stats

    exported = one_to(command(talk, "EXPORT"), COORDINATOR)
    [attachment] = list(exported.message.iter_attachments())
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert attachment.get_filename() == "programme-2026-12-01.csv"
    assert [(r["mentorship"], r["state"], r["mentee_email"], r["mentor_email"]) for r in rows] == [
        ("1", "requested", MENTEE, MENTOR)]

    ended = command(talk, "END 1")
    assert "Mentorship 1 of Mia Mentee and Otto Mentor has been ended" in answer(ended, "Done: mentorship 1")
    assert mentorships(app) == [(1, "declined")]
    assert "already declined" in answer(command(talk, "END 1"), "Not done")
    assert "has no certificates yet" in answer(command(talk, "RESEND 1"), "Not done")


def test_resend_to_an_address_clears_its_bounce_and_sends_the_mail_again(app, sink):
    talk = Conversation(app, sink)
    imported(app, "en")
    command(talk, f"MATCH {MENTEE} otto-mentor")
    with app.store.transaction() as session:
        otto = session.scalar(select(Person).where(Person.email == MENTOR))
        otto.bounced_at, otto.bounce_reason = app.clock.now(), "5.1.1 user unknown"
    assert "bounces (5.1.1 user unknown)" in answer(command(talk, "REMIND 1"), "Not done")
    assert "does not bounce" in answer(command(talk, f"RESEND {MENTEE}"), "Not done")

    fixed = command(talk, f"RESEND {MENTOR}")
    assert "counts as working again; the last mail to it is being sent once more" in answer(fixed, "Done")
    again = one_to(fixed, MENTOR)
    assert "Mia Mentee" in again.text(), "the request that bounced goes out once more"
    with app.store.reading() as session:
        assert session.scalar(select(Person.bounced_at).where(Person.email == MENTOR)) is None
        assert session.scalar(select(func.count(OutboundMessage.id)).where(OutboundMessage.recipient == MENTOR)) == 1


def test_a_command_typed_to_coordinators_at_is_confirmed_first(app, sink):
    talk = Conversation(app, sink)
    imported(app, "en")
    asked = one_to(talk.write(COORDINATOR, "coordinators@mentoring.test", "MATCH", f"MATCH {MENTEE} otto-mentor"),
                   COORDINATOR)
    assert mentorships(app) == []
    done = talk.reply(asked, COORDINATOR, "YES")
    assert "has been asked to mentor Mia Mentee" in answer(done, "Done: mentorship 1")
    assert mentorships(app) == [(1, "requested")]
    assert talk.write("mallory@example.org", "coordinators@mentoring.test", "STATS", "STATS") == []


def test_end_completes_a_running_mentorship_and_resend_sends_the_certificates_again(app, sink):
    talk = Conversation(app, sink)
    imported(app, "en")
    command(talk, f"MATCH {MENTEE} otto-mentor")
    with app.store.transaction() as session:
        mentorship = session.get(Mentorship, 1)
        mentorship.state, mentorship.answered_at, mentorship.activated_at = "active", app.clock.now(), app.clock.now()
    ended = command(talk, "END 1")
    assert "has been ended" in answer(ended, "Done: mentorship 1")
    assert mentorships(app) == [(1, "completed")]
    resent = command(talk, "RESEND 1")
    assert "sent again to Mia Mentee, Otto Mentor" in answer(resent, "Done: mentorship 1")
    for person in (MENTEE, MENTOR):
        parts = list(one_to(resent, person).message.iter_attachments())
        assert [p.get_content_type() for p in parts] == ["application/pdf", "image/png"], "the PDF and the badge"
