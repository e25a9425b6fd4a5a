"""Programme health by mail (issue 16, items 3–6), through the real SMTP receiver and the real SMTP
sink on a settable clock, on SQLite and PostgreSQL: the fit check after the first meeting, whose
"no" reaches only the coordinators; the relationship pulse, whose low answers and average the
digest shows; a private concern that the other side never sees; and stalled mentorships, listed in
the digest and, when switched on, closed after a warning (certificates only where meetings took
place)."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mailflow.app import build_app
from mailflow.store.models import (
    Certificate, Concern, Feedback, Meeting, Mentorship, Person, PulseCheck,
)

from .conftest import make_settings
from .support.conversation import Conversation
from .support.conversation import jobs_at as at
from .support.conversation import one_to
from .support.running import running_mentorship
from .test_meetings import MENTEE, MENTOR, active_pair

COORDINATOR = "coord@example.org"
HELLO = "hello@mentoring.test"
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
FEEDBACK = {"en": "Took place: yes\nRating: {rating}\nComment: {comment}\nGood fit: {fit}\n",
            "de": "Fand statt: ja\nBewertung: {rating}\nKommentar: {comment}\nPasst es: {fit}\n"}
FIT = {"en": {"no": "no", "unsure": "not sure"}, "de": {"no": "nein", "unsure": "weiß nicht"}}


# coordinators read English (MAILFLOW_LANGUAGE); participants have their own language
APP_SETTINGS = dict(language="en")


@pytest.fixture
def closing_app(tmp_path, database_url, sink, clock):
    """As app, with stalled mentorships closed 14 days after the warning."""
    built = build_app(make_settings(tmp_path, database_url, relay=sink.url, language="en",
                                    stalled_close_days="14"), clock, migrate=False)
    yield built
    built.store.dispose()


def to(mails, address: str) -> list:
    return [m for m in mails if m.rcpt_tos == (address,)]


def everything_in(mail) -> str:
    """Every part of a mail as its reader sees it: headers, text, HTML, attachments decoded."""
    parts = [str(value) for value in mail.message.values()]
    for part in mail.message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        parts.append(content.decode("utf-8", "replace") if isinstance(content, bytes)
                     else content)
    return unquote("\n".join(parts))


def link_for(text: str, subject: str) -> str:
    """The address of the one-click mailto: link in text whose subject is subject."""
    pattern = r"mailto:([^?\s]+)\?subject=" + re.escape(subject).replace("\\ ", "%20") + r"(?:&|\b)"
    return re.search(pattern, text).group(1)


def ended_meeting(app, mentorship_id: int, day: int) -> None:
    """A confirmed one-hour meeting on December day, 10:00 UTC."""
    begins = datetime(2026, 12, day, 10, 0, tzinfo=timezone.utc)
    with app.store.transaction() as session:
        mentorship = session.get(Mentorship, mentorship_id)
        session.add(Meeting(mentorship_id=mentorship_id, uid=f"m{day}@test", sequence=0,
                            starts_at=begins, ends_at=begins + timedelta(hours=1),
                            tzid="Europe/Berlin", place="Café", topic="Career", state="confirmed",
                            created_at=START, proposed_by_id=mentorship.mentee_id))


# ---------------------------------------------------------------- 3. the fit check

@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_no_fit_from_the_mentor_reaches_only_the_coordinators(app, sink, clock, receiver,
                                                                 lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    mentorship_id = active_pair(app, lang)
    ended_meeting(app, mentorship_id, 3)
    forms = at(talk, clock, datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc))
    question = {"en": "is Mia Mentee a good fit for you?", "de": "Passt es mit Mia Mentee?"}[lang]
    label = {"en": "\nGood fit / Passt es:", "de": "\nPasst es / Good fit:"}[lang]
    mentor_form, mentee_form = one_to(forms, MENTOR), one_to(forms, MENTEE)
    assert question in mentor_form.text() and label in mentor_form.text()
    assert label in mentee_form.text()

    secret = "He never prepares and talks over me"
    answer = FEEDBACK[lang].format(rating="2", comment=secret, fit=FIT[lang]["no"])
    sent = talk.reply(mentor_form, MENTOR, answer)
    told = one_to(sent, COORDINATOR)
    assert "Mentorship 1: Otto Mentor says the pair does not fit" in str(told.message["Subject"])
    assert secret in told.text() and "Mia Mentee has not been told" in told.text()
    assert "The mentee has not been told anything" in told.text()
    thanks = one_to(sent, MENTOR)
    assert {"en": "Only the programme coordinators have been told",
            "de": "Nur das Koordinationsteam weiß davon"}[lang] in thanks.text()
    assert {"en": "Would you like another mentor?", "de": "Möchten Sie eine andere"}[lang] \
        not in thanks.text(), "the new match is the mentee's to choose, not the mentor's"
    assert sorted(m.rcpt_tos[0] for m in sent) == [COORDINATOR, MENTOR]

    again = talk.reply(mentor_form, MENTOR, answer)
    assert to(again, COORDINATOR) == [], "the coordinators hear of a no once"
    with app.store.reading() as session:
        assert session.scalar(select(Feedback.good_fit)
                              .join(Person, Person.id == Feedback.person_id)
                              .where(Person.email == MENTOR)) == "no"

    # Every mail Mia ever got: nothing of Otto's answer is in any of them.
    for mail in to(sink.received, MENTEE):
        seen = everything_in(mail)
        assert secret not in seen and "does not fit" not in seen and "passt nicht" not in seen

    ended_meeting(app, mentorship_id, 10)
    second = at(talk, clock, datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc))
    assert label not in one_to(second, MENTOR).text(), "only the first feedback asks about the fit"
    assert label in one_to(second, MENTEE).text(), "Mia has not answered hers yet"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_mentee_who_says_no_is_offered_a_new_match(app, sink, clock, receiver, lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    mentorship_id = active_pair(app, lang)
    ended_meeting(app, mentorship_id, 3)
    forms = at(talk, clock, datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc))

    unsure = talk.reply(one_to(forms, MENTOR), MENTOR,
                        FEEDBACK[lang].format(rating="4", comment="ok", fit=FIT[lang]["unsure"]))
    assert [m.rcpt_tos for m in unsure] == [(MENTOR,)], "not sure tells nobody"
    sent = talk.reply(one_to(forms, MENTEE), MENTEE,
                      FEEDBACK[lang].format(rating="2", comment="no spark", fit=FIT[lang]["no"]))
    assert "Mia Mentee says the pair does not fit" in str(one_to(sent, COORDINATOR)
                                                          .message["Subject"])
    assert "The mentee has been offered" in one_to(sent, COORDINATOR).text()
    thanks = one_to(sent, MENTEE).text()
    mentors, end = {"en": ("MENTORS", "END"), "de": ("MENTOREN", "BEENDEN")}[lang]
    assert link_for(thanks, mentors) == HELLO
    assert link_for(thanks, end).startswith("reply+end.1.")
    assert to(sent, MENTOR) == []
    for mail in to(sink.received, MENTOR):
        assert "no spark" not in everything_in(mail)

    listing = one_to(talk.write(MENTEE, HELLO, mentors, mentors), MENTEE)
    assert "Otto Mentor" in listing.text(), "MENTORS lists the mentors to choose from"


# ---------------------------------------------------------------- 4. the relationship pulse

def pulse_mails(mails) -> list:
    return [m for m in mails if "reply+pulse." in str(m.message["Reply-To"] or "")]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_pulse_of_two_is_listed_in_the_digest_with_the_average(app, sink, clock, receiver,
                                                                 lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, lang)  # approved at START
    assert pulse_mails(at(talk, clock, START + timedelta(days=29))) == [], "not before 30 days"
    asked = pulse_mails(at(talk, clock, START + timedelta(days=30, hours=1)))
    assert sorted(m.rcpt_tos[0] for m in asked) == [MENTEE, MENTOR]
    mentee_pulse = one_to(asked, MENTEE)
    text = mentee_pulse.text()
    addresses = {link_for(text, str(score)) for score in range(1, 6)}
    assert len(addresses) == 1 and addresses.pop().startswith("reply+pulse.")
    assert {"en": "Only the programme coordinators see your answer, never Otto Mentor",
            "de": "Ihre Antwort sieht nur das Koordinationsteam, nie Otto Mentor"}[lang] in text

    address = link_for(text, "2")
    thanks = one_to(talk.write(MENTEE, address, "2", "2 - we have not met since the kickoff"),
                    MENTEE)
    assert {"en": "we noted 2 of 5", "de": "Wir haben 2 von 5 notiert"}[lang] in thanks.text()
    assert "reply+pulse" not in str(thanks.message["Reply-To"] or "")
    mentor_text = one_to(asked, MENTOR).text()
    one_to(talk.write(MENTOR, link_for(mentor_text, "4"), "4", "4"), MENTOR)
    forged = talk.write(MENTOR, address, "5", "5")
    assert forged == [], "a pulse answer through someone else's link is refused, unanswered"

    digest = one_to(at(talk, clock, START + timedelta(days=31)), COORDINATOR)
    body = digest.text()
    assert "Low relationship pulse (1)" in body
    assert "#1 Mia Mentee answered 2/5" in body and "we have not met since the kickoff" in body
    assert "Relationship pulse: 3.0 of 5 on average (2 answers in 90 days)" in body
    assert "Low relationship pulse (1)" in digest.html() and "3.0" in digest.html()
    assert "1 thing needs attention" in str(digest.message["Subject"]), "the low pulse"
    for mail in to(sink.received, MENTOR):
        assert "not met since the kickoff" not in everything_in(mail)

    assert pulse_mails(at(talk, clock, START + timedelta(days=60))) == []
    again = pulse_mails(at(talk, clock, START + timedelta(days=90, hours=2)))
    assert sorted(m.rcpt_tos[0] for m in again) == [MENTEE, MENTOR], "every 60 days after"
    with app.store.reading() as session:
        answers = session.execute(select(PulseCheck.period, PulseCheck.score)
                                  .order_by(PulseCheck.id)).all()
    assert [tuple(a) for a in answers] == [(0, 2), (0, 4), (1, None), (1, None)]


# ---------------------------------------------------------------- 5. a private concern

@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_concern_reaches_the_coordinators_and_never_the_other_side(app, sink, clock, receiver,
                                                                    lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, lang)
    word = {"en": "CONCERN", "de": "ANLIEGEN"}[lang]
    secret = "My mentor keeps texting me late at night"
    sent = talk.write(MENTEE, HELLO, word, f"{word} {secret}\nand I feel uneasy about it.")
    assert sorted(m.rcpt_tos[0] for m in sent) == [COORDINATOR, MENTEE]
    told = one_to(sent, COORDINATOR)
    assert "Private concern from Mia Mentee (sender unconfirmed)" in str(told.message["Subject"])
    assert secret in told.text() and "and I feel uneasy about it." in told.text()
    assert "#1 with Otto Mentor (they are the mentee" in told.text()
    ack = one_to(sent, MENTEE)
    assert secret not in everything_in(ack), "the acknowledgement never repeats the text"
    yes = {"en": "YES", "de": "JA"}[lang]
    owned = talk.write(MENTEE, link_for(ack.text(), yes), yes, yes)
    assert "Concern 1: confirmed by Mia Mentee" in str(one_to(owned, COORDINATOR)
                                                        .message["Subject"])

    # In reply to one of our mails (a signed address bound to her), it is not unconfirmed.
    footer_reply = talk.reply(ack, MENTEE, f"{word} A second thought")
    assert "(sender unconfirmed)" not in str(one_to(footer_reply, COORDINATOR).message["Subject"])
    footer = {"en": "CONCERN <your text> to hello@", "de": "ANLIEGEN <Ihr Text> an hello@"}[lang]
    assert footer in ack.text()

    exports = {}
    for person in (MENTEE, MENTOR):
        answer = one_to(talk.write(person, HELLO, "EXPORT", "EXPORT"), person)
        [attachment] = list(answer.message.iter_attachments())
        exports[person] = json.loads(attachment.get_content())
    assert [c["text"] for c in exports[MENTEE]["concerns"]] == [
        f"{secret}\nand I feel uneasy about it.", "A second thought"]
    assert exports[MENTOR]["concerns"] == []
    assert secret not in json.dumps(exports[MENTOR], ensure_ascii=False)
    mentor_mails = to(sink.received, MENTOR)
    assert mentor_mails, "Otto got his export at least"
    for mail in mentor_mails:
        seen = everything_in(mail)
        assert secret not in seen and "second thought" not in seen


def test_a_concern_without_text_asks_for_it_and_strangers_get_the_application_form(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "en")
    asked = one_to(talk.write(MENTEE, HELLO, "CONCERN", ""), MENTEE)
    assert "write CONCERN and then your text" in asked.text()
    stranger = talk.write("eve@example.org", HELLO, "CONCERN", "CONCERN hello")
    assert [m.rcpt_tos for m in stranger] == [("eve@example.org",)]
    with app.store.reading() as session:
        assert session.scalar(select(func.count(Concern.id))) == 0


# ---------------------------------------------------------------- 6. stalled mentorships

def quiet_pair(app) -> int:
    """Mia and Otto, approved at START and quiet since; no meeting."""
    return active_pair(app, "en")


def test_two_unanswered_nudges_list_the_pair_as_stalled(app, sink, clock, receiver):
    talk = Conversation(app, sink, smtp_port=receiver)
    quiet_pair(app)
    first = at(talk, clock, START + timedelta(days=28, hours=1))
    assert len([m for m in first if "How is your mentoring" in str(m.message["Subject"])]) == 2
    digest = one_to(at(talk, clock, START + timedelta(days=29)), COORDINATOR)
    assert "Stalled mentorships" not in digest.text(), "one nudge is not stalled yet"
    second = at(talk, clock, START + timedelta(days=56, hours=2))
    assert len([m for m in second if "How is your mentoring" in str(m.message["Subject"])]) == 2
    digest = one_to(at(talk, clock, START + timedelta(days=57)), COORDINATOR)
    assert "Stalled mentorships (1) – two check-ins without an answer:" in digest.text()
    assert "#1 Mia Mentee / Otto Mentor: quiet for 57 days" in digest.text()
    assert "closes on" not in digest.text(), "closing is off by default"
    assert "Stalled mentorships (1)" in digest.html()

    nothing = at(talk, clock, START + timedelta(days=90))
    assert [m for m in nothing if m.rcpt_tos != (COORDINATOR,)
            and "closed" in str(m.message["Subject"])] == [], "never closed while it is off"
    checkin = [m for m in second if m.rcpt_tos == (MENTEE,)][0]
    talk.reply(checkin, MENTEE, "Sorry, busy weeks. We meet next month.")
    digest = one_to(at(talk, clock, START + timedelta(days=91)), COORDINATOR)
    assert "Stalled mentorships" not in digest.text(), "an answer makes it not stalled"
    with app.store.reading() as session:
        assert session.scalar(select(Mentorship.state)) == "active"


@pytest.mark.parametrize("meetings", [0, 3])
def test_a_stalled_mentorship_closes_after_a_warning_with_certificates_only_after_meetings(
        closing_app, sink, clock, receiver, meetings):
    app = closing_app
    talk = Conversation(app, sink, smtp_port=receiver)
    running_mentorship(app, meetings=meetings)  # meetings before START, quiet since START
    mentee, mentor = "zoe@example.org", "minh@example.org"
    at(talk, clock, START + timedelta(days=28, hours=1))
    at(talk, clock, START + timedelta(days=56, hours=2))
    assert not [m for m in at(talk, clock, START + timedelta(days=69))
                if "will be closed" in str(m.message["Subject"])], "14 days after the second nudge"
    warned = at(talk, clock, START + timedelta(days=70, hours=3))
    warnings = [m for m in warned if "will be closed on" in str(m.message["Subject"])]
    assert sorted(m.rcpt_tos[0] for m in warnings) == sorted([mentee, mentor])
    closes = (START + timedelta(days=84, hours=3)).date().isoformat()
    assert closes in str(warnings[0].message["Subject"])
    digest = one_to(at(talk, clock, START + timedelta(days=71)), COORDINATOR)
    assert f"warned, closes on {closes}" in digest.text()

    closed = at(talk, clock, START + timedelta(days=84, hours=4))
    with app.store.reading() as session:
        assert session.scalar(select(Mentorship.state)) == "completed"
        certificates = session.scalar(select(func.count(Certificate.id)))
    for person in (mentee, mentor):
        [mail] = [m for m in to(closed, person) if "several check-ins and a warning" in m.text()]
        pdfs = [p for p in mail.message.iter_attachments()
                if p.get_content_type() == "application/pdf"]
        if meetings:
            assert "officially complete" in mail.text()
            [pdf] = pdfs
            assert "Nguy" in "".join(page.extract_text()
                                     for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
        else:
            assert "has been closed" in str(mail.message["Subject"])
            assert "there is no certificate" in mail.text() and pdfs == []
    assert certificates == (2 if meetings else 0)
    assert [m for m in at(talk, clock, START + timedelta(days=99))
            if m.rcpt_tos != (COORDINATOR,)] == [], "closed once"


def test_an_answer_to_the_warning_keeps_the_mentorship(closing_app, sink, clock):
    talk = Conversation(closing_app, sink)
    quiet_pair(closing_app)
    at(talk, clock, START + timedelta(days=28, hours=1))
    at(talk, clock, START + timedelta(days=56, hours=2))
    warned = at(talk, clock, START + timedelta(days=70, hours=3))
    warning = [m for m in warned if m.rcpt_tos == (MENTOR,) and "will be closed" in str(
        m.message["Subject"])][0]
    passed = talk.reply(warning, MENTOR, "We are still at it, just not by mail.")
    assert "We are still at it" in one_to(passed, COORDINATOR).text()
    later = at(talk, clock, START + timedelta(days=84, hours=4))
    assert not [m for m in later if "closed" in str(m.message["Subject"])]
    with closing_app.store.reading() as session:
        assert session.scalar(select(Mentorship.state)) == "active"
