"""Meetings as calendar invitations: proposing by mail or from one's own calendar, invitations that calendar
clients read, their real answers (Google, Thunderbird, Outlook, Apple; English and German), changes, and the
feedback after the meeting, through the whole pipeline on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.jobs import scheduler as jobs
from mailflow.parsers.mime import parse_mail
from mailflow.store.models import (
    Achievement, AgreementVersion, Feedback, JobRun, Meeting, Mentorship, Person,
)

from .support.conversation import Conversation, one_to
from .support.mails import add_person
from .support.vcal import read_calendar

FIXTURES = Path(__file__).parent / "fixtures" / "meetings"
MENTEE, MENTOR = "mia@example.org", "otto@example.org"
HELLO = "hello@mentoring.test"
FORM = {
    "en": "Date: {date}\nTime: {time}\nDuration: {minutes}\nPlace: {place}\nTopic: {topic}\n",
    "de": "Datum: {date}\nUhrzeit: {time}\nDauer: {minutes}\nOrt: {place}\nThema: {topic}\n",
}
WORDS = {"en": dict(meeting="MEETING", yes="YES", cancel="CANCEL", took="Took place", rating="Rating",
                    comment="Comment", style="gmail"),
         "de": dict(meeting="TREFFEN", yes="JA", cancel="ABSAGEN", took="Fand statt", rating="Bewertung",
                    comment="Kommentar", style="de_outlook")}


# ---------------------------------------------------------------- helpers

def active_pair(app, lang: str = "en", *, start: date = date(2026, 12, 1), until: date = date(2027, 6, 30),
                meetings: int = 6) -> int:
    """Mia and Otto with an approved agreement, as the agreement flow leaves them."""
    add_person(app, MENTEE, lang, "mentee", "Mia Mentee")
    add_person(app, MENTOR, lang, "mentor", "Otto Mentor")
    return active_mentorship(app, MENTEE, MENTOR, start=start, until=until, meetings=meetings)


def active_mentorship(app, mentee_email: str, mentor_email: str, *, start: date = date(2026, 12, 1),
                      until: date = date(2027, 6, 30), meetings: int | None = 6) -> int:
    """An active mentorship between two people already there; with an approved agreement unless meetings=None."""
    now = app.clock.now()
    with app.store.transaction() as session:
        mentee = session.scalar(select(Person).where(Person.email == mentee_email))
        mentor = session.scalar(select(Person).where(Person.email == mentor_email))
        mentorship = Mentorship(mentee_id=mentee.id, mentor_id=mentor.id, state="active", requested_at=now,
                                answered_at=now, activated_at=now, last_activity_at=now)
        session.add(mentorship)
        session.flush()
        if meetings is not None:
            session.add(AgreementVersion(
                mentorship_id=mentorship.id, version=1, period_from=start, period_until=until, meetings=meetings,
                contact_kind="Video", contact_frequency="every two weeks", topics=["Career"],
                proposed_by_id=mentee.id, proposed_at=now, state="approved", approved_by_id=mentor.id,
                approved_at=now))
        return mentorship.id


def form(lang: str, day: str, time: str = "15:00", minutes: str = "60", place: str = "https://meet.example/abc",
         topic: str = "Career plan") -> str:
    return FORM[lang].format(date=day, time=time, minutes=minutes, place=place, topic=topic)


def propose(app, talk: Conversation, lang: str, day: str = "2026-12-10", **fields):
    """Mia writes MEETING to hello@ (confirmed by a signed reply), gets the form, sends it filled in."""
    words = WORDS[lang]
    asked = one_to(talk.write(MENTEE, HELLO, words["meeting"], words["meeting"]), MENTEE)
    form_mail = one_to(talk.reply(asked, MENTEE, words["yes"]), MENTEE)
    assert {"en": "\nDate / Datum:", "de": "\nDatum / Date:"}[lang] in form_mail.text()
    return talk.reply(form_mail, MENTEE, form(lang, day, **fields), style=words["style"])


def meeting_row(app) -> Meeting:
    with app.store.transaction() as session:
        return session.scalar(select(Meeting).order_by(Meeting.id.desc()).limit(1))


def calendar_of(mail) -> tuple[EmailMessage, object]:
    """The text/calendar part and the calendar read back by vobject (an independent parser)."""
    [part] = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    return part, read_calendar(part.get_content())


def organizer_address(mail) -> str:
    _, cal = calendar_of(mail)
    return cal.vevent.organizer.value.removeprefix("mailto:")


def adjusted(name: str, replacements: dict[str, str]) -> bytes:
    """A corpus file with only what must match our invitation changed (UID, addresses); folded lines that carry an
    address are unfolded first so the address can be replaced whole."""
    text = (FIXTURES / name).read_bytes().decode("utf-8")
    for fold in ("\r\n ", "\n "):
        for old in replacements:
            text = _unfold_around(text, old, fold)
    for old, new in replacements.items():
        text = re.sub(re.escape(old), new, text, flags=re.IGNORECASE)
    return text.encode("utf-8")


def adjusted_base64(name: str, replacements: dict[str, str]) -> bytes:
    """Like adjusted(), also inside base64 calendar parts (re-encoded in place, the rest byte for byte)."""
    raw = adjusted(name, replacements)
    for part in parse_mail(raw).message.walk():
        if part.get_content_type() != "text/calendar" or (part["Content-Transfer-Encoding"] or "").lower() != "base64":
            continue
        encoded = part.get_payload()
        text = base64.b64decode(encoded).decode("utf-8")
        for old, new in replacements.items():
            text = re.sub(re.escape(old), new, _unfold_all(text, old), flags=re.IGNORECASE)
        raw = raw.replace(encoded.encode(), base64.encodebytes(text.encode("utf-8")))
    return raw


def _unfold_all(text: str, word: str) -> str:
    for fold in ("\r\n ", "\n "):
        text = _unfold_around(text, word, fold)
    return text


def _unfold_around(text: str, word: str, fold: str) -> str:
    for cut in range(1, len(word)):
        text = text.replace(word[:cut] + fold + word[cut:], word)
    return text


def as_client_mail(ics: bytes, *, sender: str, to: str, subject: str, text: str) -> bytes:
    """A bare .ics as Google Calendar mails it: text, HTML and text/calendar method=REPLY in multipart/alternative,
    the same object again as invite.ics attachment."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain="calendar.example")
    message.set_content(text)
    message.add_alternative(f"<p>{text}</p>", subtype="html")
    method = re.search(rb"METHOD:(\w+)", ics).group(1).decode()
    message.add_alternative(ics, maintype="text", subtype="calendar", params={"method": method})
    message.make_mixed()
    message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return message.as_bytes()


def send_raw(app, talk: Conversation, raw: bytes, sender: str, to: str):
    talk.deliver(raw, sender, to)
    return talk.new_mail()


# Each client's real answer, with what it replaces: (file, its UID, its attendee, its organizer, wrap as mail?)
CLIENT_REPLIES = {
    "google_accepted": ("google-calendar_reply_accepted.ics", "cccc@nylas.com", "karim@example.com",
                        "test2@example.com", "ACCEPTED"),
    "google_declined": ("google-calendar_reply_declined.ics", "cccc@nylas.com", "karim@example.com",
                        "test2@example.com", "DECLINED"),
    "google_tentative": ("google-calendar_reply_tentative.ics", "cccc@nylas.com", "test1@example.com",
                         "test2@example.com", "TENTATIVE"),
    "thunderbird_accepted_de": ("thunderbird-lightning_reply_accepted_de-subject.eml",
                                "4f0162146d61cb2c06cbe2abf94636f4526abe16", "tine20admin@caldav.net",
                                "l.kneschke@caldav.org", "ACCEPTED"),
    "thunderbird_declined_de": ("thunderbird-lightning_reply_declined_de-subject.eml",
                                "4f0162146d61cb2c06cbe2abf94636f4526abe16", "tine20admin@caldav.net",
                                "l.kneschke@caldav.org", "DECLINED"),
    "outlook_accepted": ("outlook2010_via-zimbra-connector_reply_accepted.eml",
                         "5baee2a1-9064-4356-9b3c-f56b02050088", "rcpt@zimbra.com", "test@zimbra.com", "ACCEPTED"),
    "apple_ical3_accepted": ("apple-ical3_reply_accepted_qp-attachment.eml", "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C",
                             "xyzzy@example.com", "User 01 <ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@example.com>",
                             "ACCEPTED"),
    "apple_ical5_accepted": ("apple-ical5_reply_accepted_x-moz-lastack.ics",
                             "a8d10369e051094ae9322bd65e8afecac010bfc8", "mail@corneliusweiss.de",
                             "unittest@tine20.org", "ACCEPTED"),
}


def client_reply(key: str, uid: str, organizer: str, lang: str = "en", sequence: int | None = None, *,
                 attendee: str = MENTOR, sender: str = f"Otto Mentor <{MENTOR}>") -> bytes:
    """The client's real answer for our meeting, from attendee (a bare .ics mailed by sender as Google does)."""
    name, old_uid, old_attendee, old_organizer, partstat = CLIENT_REPLIES[key]
    data = adjusted(name, {old_uid: uid, old_attendee: attendee, old_organizer: organizer})
    if sequence is not None:  # the SEQUENCE of the invitation being answered
        data = re.sub(rb"\nSEQUENCE:\d+", b"\nSEQUENCE:%d" % sequence, data)
    if name.endswith(".eml"):
        return data
    subject = {"ACCEPTED": ("Accepted", "Angenommen"), "DECLINED": ("Declined", "Abgelehnt"),
               "TENTATIVE": ("Tentatively Accepted", "Mit Vorbehalt angenommen")}[partstat][lang == "de"]
    return as_client_mail(data, sender=sender, to=organizer,
                          subject=f"{subject}: Mentoring", text=f"Otto Mentor: {partstat.lower()}")


# ---------------------------------------------------------------- the whole path

@pytest.mark.parametrize("lang", ["en", "de"])
def test_propose_invite_accept_by_calendar_then_feedback(app, sink, clock, receiver, lang):
    """Every mail in through the real SMTP receiver, every mail out through the real SMTP sink."""
    words, talk = WORDS[lang], Conversation(app, sink, smtp_port=receiver)
    mentorship_id = active_pair(app, lang)

    sent = propose(app, talk, lang, "2026-12-10" if lang == "en" else "10.12.2026")
    invitation = one_to(sent, MENTOR)
    mentee_copy = one_to(sent, MENTEE)
    meeting = meeting_row(app)
    assert meeting.state == "proposed" and meeting.sequence == 0
    assert meeting.starts_at == datetime(2026, 12, 10, 14, 0, tzinfo=timezone.utc)  # 15:00 in Berlin
    for mail in (invitation, mentee_copy):
        outer = mail.message
        assert outer.get_content_type() == "multipart/mixed"
        [alternative] = outer.get_payload()
        assert alternative.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html",
                                                                            "text/calendar"]
        assert alternative.get_payload()[2].get_param("method") == "REQUEST"
    assert "Career plan" in invitation.text() and ("15:00" in invitation.text())
    reply_to = invitation.message["Reply-To"]
    assert "reply+meeting." in reply_to

    _, cal = calendar_of(invitation)
    assert cal.method.value == "REQUEST"
    event = cal.vevent
    assert event.uid.value == meeting.uid and int(event.sequence.value) == 0
    assert event.dtstamp.value.tzinfo is not None
    assert event.organizer.value.lower().startswith("mailto:meetings+meet.")
    assert event.organizer.params["CN"] == ["Mentoring Test"]
    attendees = {a.value.lower().removeprefix("mailto:"): a.params for a in event.attendee_list}
    assert set(attendees) == {MENTEE, MENTOR}
    assert attendees[MENTOR]["PARTSTAT"] == ["NEEDS-ACTION"] and attendees[MENTOR]["RSVP"] == ["TRUE"]
    assert attendees[MENTEE]["RSVP"] == ["TRUE"]
    assert event.dtstart.value == datetime(2026, 12, 10, 15, 0, tzinfo=event.dtstart.value.tzinfo)
    part, _ = calendar_of(invitation)
    assert "DTSTART;TZID=Europe/Berlin:20261210T150000" in part.get_content().replace("\r\n", "\n")
    assert cal.vtimezone.tzid.value == "Europe/Berlin"
    assert event.dtend.value - event.dtstart.value == timedelta(hours=1)
    assert event.location.value == "https://meet.example/abc" and event.url.value == "https://meet.example/abc"
    assert "Career plan" in event.summary.value and "Career plan" in event.description.value

    organizer = organizer_address(invitation)
    answered = send_raw(app, talk, client_reply("google_accepted", meeting.uid, organizer, lang), MENTOR, organizer)
    told = one_to(answered, MENTEE)
    assert "Otto Mentor" in told.message["Subject"]
    assert meeting_row(app).state == "confirmed"
    assert meeting_row(app).confirmed_via == "calendar", "the credential's evidence names it"

    assert jobs.run_due(app, clock.now())["meeting_feedback"] == 0, "not before the meeting has ended"
    clock.set(datetime(2026, 12, 10, 15, 5, tzinfo=timezone.utc))
    assert jobs.run_due(app, clock.now())["meeting_feedback"] == 1
    asked = talk.new_mail()
    forms = {m.rcpt_tos[0]: m for m in asked if words["took"] in m.text()}
    assert set(forms) == {MENTEE, MENTOR}
    assert jobs.run_due(app, clock.now())["meeting_feedback"] == 0
    assert not [m for m in talk.new_mail() if words["took"] in m.text()], "one feedback mail each, once"

    yes = "yes" if lang == "en" else "ja"
    rated = {"en": " with your rating {} of 5.", "de": ", mit Ihrer Bewertung {} von 5."}[lang]
    for person, rating, stars in ((MENTEE, "5", 5), (MENTOR, "4/5", 4)):
        thanks = one_to(talk.reply(forms[person], person, f"{words['took']}: {yes}\n{words['rating']}: {rating}\n"
                                   f"{words['comment']}: very useful", style=words["style"]), person)
        assert rated.format(stars) in thanks.text()
    with app.store.transaction() as session:
        feedback = {f.person_id: f for f in session.scalars(select(Feedback))}
        people = {p.email: p.id for p in session.scalars(select(Person))}
        assert feedback[people[MENTEE]].rating == 5 and feedback[people[MENTOR]].rating == 4
        assert feedback[people[MENTEE]].took_place is True and "useful" in feedback[people[MENTEE]].comment
        kinds = sorted(session.scalars(select(Achievement.kind).where(Achievement.person_id == people[MENTEE])))
        assert kinds == ["feedback_given", "first_meeting", "meeting_held"]
        assert session.get(Mentorship, mentorship_id).last_activity_at == clock.now()


# ---------------------------------------------------------------- answers from every client family

@pytest.mark.parametrize("client", sorted(CLIENT_REPLIES))
def test_real_client_replies_are_understood(app, sink, client):
    talk = Conversation(app, sink)
    lang = "de" if client.endswith("_de") else "en"
    active_pair(app, lang)
    invitation = one_to(propose(app, talk, lang, "2026-12-10" if lang == "en" else "10.12.2026"), MENTOR)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    answered = send_raw(app, talk, client_reply(client, meeting.uid, organizer, lang), MENTOR, organizer)
    partstat = CLIENT_REPLIES[client][4]
    expected = {"ACCEPTED": "confirmed", "DECLINED": "declined", "TENTATIVE": "tentative"}[partstat]
    assert meeting_row(app).state == expected
    told = one_to(answered, MENTEE)
    if partstat == "DECLINED":
        asks = {"en": "Please propose another date",
                "de": "Bitte schlagen Sie einen anderen Termin vor"}
        assert asks[lang] in told.text(), "asks for another date"
    assert not [m for m in answered if m.rcpt_tos == (MENTOR,)], "a calendar answer is not answered"


def test_a_plain_yes_to_the_invitation_mail_confirms(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "de")
    invitation = one_to(propose(app, talk, "de", "10.12.2026"), MENTOR)
    told = one_to(talk.reply(invitation, MENTOR, "JA", style="de_apple"), MENTEE)
    assert "angenommen" in told.message["Subject"]
    assert meeting_row(app).state == "confirmed"
    assert meeting_row(app).confirmed_via == "reply"


def test_only_an_attendee_answering_for_themselves_counts(app, sink):
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    # a stranger sends the mentor's acceptance
    forged = client_reply("google_accepted", meeting.uid, organizer).replace(
        f"From: Otto Mentor <{MENTOR}>".encode(), b"From: Eve <eve@example.net>")
    assert send_raw(app, talk, forged, "eve@example.net", organizer) == []
    # the mentee sends a reply that speaks for the mentor
    for_other = client_reply("google_accepted", meeting.uid, organizer).replace(
        f"From: Otto Mentor <{MENTOR}>".encode(), f"From: Mia <{MENTEE}>".encode())
    assert send_raw(app, talk, for_other, MENTEE, organizer) == []
    assert meeting_row(app).state == "proposed"


def test_an_answer_to_an_older_sequence_is_ignored(app, sink):
    talk = Conversation(app, sink)
    active_pair(app)
    first = one_to(propose(app, talk, "en"), MENTEE)
    moved = talk.reply(first, MENTEE, "MEETING\n" + form("en", "2026-12-11", "10:00"))
    update = one_to(moved, MENTOR)
    assert "Updated" in update.message["Subject"]
    _, cal = calendar_of(update)
    assert int(cal.vevent.sequence.value) == 1
    meeting = meeting_row(app)
    assert meeting.sequence == 1 and meeting.state == "proposed"
    organizer = organizer_address(update)
    old = client_reply("google_accepted", meeting.uid, organizer)  # SEQUENCE:0 as the client last saw it
    assert send_raw(app, talk, old, MENTOR, organizer) == []
    assert meeting_row(app).state == "proposed"
    current = client_reply("google_accepted", meeting.uid, organizer, sequence=1)
    one_to(send_raw(app, talk, current, MENTOR, organizer), MENTEE)
    assert meeting_row(app).state == "confirmed"


# ---------------------------------------------------------------- counter proposals

def _rfc_block(method: str) -> str:
    text = (FIXTURES / "rfc2446-examples_all-methods_incl-COUNTER-DECLINECOUNTER.ics").read_text()
    blocks = re.findall(r"BEGIN:VCALENDAR.*?END:VCALENDAR", text, flags=re.DOTALL)
    return next(b for b in blocks if f"METHOD:{method}" in b and "873970198738777a" in b)


@pytest.mark.parametrize("take", [True, False])
def test_counter_goes_to_the_mentee_who_takes_or_declines_it(app, sink, clock, take):
    clock.set(datetime(1997, 6, 12, 9, 0, tzinfo=timezone.utc))  # the RFC example's own time
    talk = Conversation(app, sink)
    active_pair(app, start=date(1997, 6, 1), until=date(1997, 12, 31))
    invitation = one_to(propose(app, talk, "en", "1997-07-01", time="22:00", minutes="60"), MENTOR)  # 20:00Z
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    ics = _rfc_block("COUNTER").replace("calsrv.example.com-873970198738777a@example.com", meeting.uid)
    ics = ics.replace("Mailto:A@example.com", f"mailto:{organizer}").replace("Mailto:B@example.com",
                                                                             f"mailto:{MENTOR}")
    raw = as_client_mail(ics.encode(), sender=MENTOR, to=organizer, subject="New time proposed: Mentoring",
                         text="Otto proposes a new time")
    counter = one_to(send_raw(app, talk, raw, MENTOR, organizer), MENTEE)
    assert "1997-07-01, 18:00–21:00" in counter.text() and "big conference" in counter.text()
    with app.store.transaction() as session:
        assert session.scalar(select(Meeting)).counter_starts_at == datetime(1997, 7, 1, 16, tzinfo=timezone.utc)
    answer = talk.reply(counter, MENTEE, "ACCEPT" if take else "DECLINE")
    meeting = meeting_row(app)
    if take:
        assert meeting.sequence == 1 and meeting.state == "confirmed"
        assert meeting.confirmed_via == "counter"
        assert meeting.starts_at == datetime(1997, 7, 1, 16, tzinfo=timezone.utc)
        for person in (MENTEE, MENTOR):
            _, cal = calendar_of(one_to(answer, person))
            assert cal.method.value == "REQUEST" and int(cal.vevent.sequence.value) == 1
    else:
        assert meeting.sequence == 0 and meeting.counter_starts_at is None
        part, cal = calendar_of(one_to(answer, MENTOR))
        assert part.get_param("method") == "DECLINECOUNTER" and cal.method.value == "DECLINECOUNTER"
        assert cal.vevent.uid.value == meeting.uid


# ---------------------------------------------------------------- changes

@pytest.mark.parametrize("lang", ["en", "de"])
def test_cancel_sends_method_cancel_to_both(app, sink, lang):
    talk = Conversation(app, sink)
    active_pair(app, lang)
    invitation = one_to(propose(app, talk, lang, "2026-12-10" if lang == "en" else "10.12.2026"), MENTEE)
    cancelled = talk.reply(invitation, MENTEE, WORDS[lang]["cancel"])
    for person in (MENTEE, MENTOR):
        part, cal = calendar_of(one_to(cancelled, person))
        assert part.get_param("method") == "CANCEL" and cal.method.value == "CANCEL"
        assert int(cal.vevent.sequence.value) == 1 and cal.vevent.status.value == "CANCELLED"
    assert meeting_row(app).state == "cancelled"


def test_an_invitation_from_the_mentees_own_calendar_becomes_a_meeting(app, sink, clock):
    clock.set(datetime(2025, 2, 1, 9, 0, tzinfo=timezone.utc))
    talk = Conversation(app, sink)
    active_pair(app, start=date(2025, 1, 1), until=date(2025, 12, 31))
    form_mail = one_to(propose_form_only(app, talk), MENTEE)
    plan = re.search(r"(meetings\+plan\.[^\s]+@mentoring\.test)", form_mail.text()).group(1)
    raw = adjusted("google-calendar_request_europe-berlin_folded-subject.eml",
                   {"alice@example.org": MENTEE, "bob@example.org": MENTOR, "john@example.org": plan})
    sent = send_raw(app, talk, raw, MENTEE, plan)
    invitation = one_to(sent, MENTOR)
    _, cal = calendar_of(invitation)
    assert cal.vevent.dtstart.value.hour == 19 and cal.vevent.organizer.value.lower().startswith("mailto:meetings+")
    meeting = meeting_row(app)
    assert meeting.source_uid == "69d4c40b4a274636bf23517938df9673@example.org" and meeting.uid != meeting.source_uid
    cancel = adjusted("google-calendar_cancel.ics", {"c74p2nmutcd0kt69ku7rs8vu2g@google.com": meeting.source_uid,
                                                     "inboxapptest.french@gmail.com": MENTEE, "karim@nilas.com": plan})
    gone = send_raw(app, talk, as_client_mail(cancel, sender=MENTEE, to=plan, subject="Canceled event: Imip Testing",
                                              text="This event has been canceled."), MENTEE, plan)
    assert {m.rcpt_tos[0] for m in gone} == {MENTEE, MENTOR}
    assert meeting_row(app).state == "cancelled"


def invitation_to_hello() -> bytes:
    """Google Calendar's invitation from Mia to Otto, with hello@ invited too (instead of her plan address)."""
    return adjusted("google-calendar_request_europe-berlin_folded-subject.eml",
                    {"alice@example.org": MENTEE, "bob@example.org": MENTOR, "john@example.org": HELLO})


def propose_form_only(app, talk):
    asked = one_to(talk.write(MENTEE, HELLO, "MEETING", "MEETING"), MENTEE)
    return talk.reply(asked, MENTEE, "YES")


# ---------------------------------------------------------------- clear answers

@pytest.mark.parametrize("lang", ["en", "de"])
def test_past_dates_and_impossible_durations_get_a_clear_answer(app, sink, lang):
    talk = Conversation(app, sink)
    active_pair(app, lang)
    past = one_to(propose(app, talk, lang, "2026-11-30" if lang == "en" else "30.11.2026"), MENTEE)
    assert ("past" in past.text()) if lang == "en" else ("Vergangenheit" in past.text())
    long = one_to(talk.reply(past, MENTEE, form(lang, "2026-12-10", minutes="600")), MENTEE)
    assert "480" in long.text()
    assert meeting_row(app) is None


def test_no_active_agreement_gets_a_clear_answer(app, sink):
    talk = Conversation(app, sink)
    active_pair(app)
    with app.store.transaction() as session:  # accepted, the agreement not yet approved
        session.scalar(select(Mentorship)).state = "accepted"
        session.scalar(select(AgreementVersion)).state = "proposed"
    asked = one_to(talk.write(MENTEE, HELLO, "MEETING", "MEETING"), MENTEE)
    answer = one_to(talk.reply(asked, MENTEE, "YES"), MENTEE)
    assert "agreement is approved" in answer.text() and meeting_row(app) is None


# ---------------------------------------------------------------- keeping to the agreement

def test_meetings_beyond_the_agreement_ask_both_to_amend_once(app, sink, clock):
    talk = Conversation(app, sink)
    active_pair(app, meetings=1, until=date(2026, 12, 31))
    first = one_to(propose(app, talk, "en", "2026-12-10"), MENTEE)
    talk.reply(first, MENTEE, "MEETING\n" + form("en", "2027-01-15"))  # moves it outside the period
    # a second meeting: more than the one agreed
    asked = one_to(talk.write(MENTEE, HELLO, "MEETING", "MEETING"), MENTEE)
    form_mail = one_to(talk.reply(asked, MENTEE, "YES"), MENTEE)
    talk.reply(form_mail, MENTEE, form("en", "2026-12-20"))
    assert jobs.run_due(app, clock.now())["agreement_deviations"] == 2  # over, outside
    mails = talk.new_mail()
    for person in (MENTEE, MENTOR):
        asks = [m for m in mails if m.rcpt_tos == (person,)]
        assert len(asks) == 2 and all("AMEND" in m.text() for m in asks)
    assert jobs.run_due(app, clock.now())["agreement_deviations"] == 0
    clock.set(datetime(2027, 1, 2, 9, tzinfo=timezone.utc))
    jobs.run_due(app, clock.now())
    with app.store.transaction() as session:
        keys = sorted(session.scalars(select(JobRun.key).where(JobRun.job == "agreement_deviations")))
    assert [k.split(":")[0] for k in keys] == ["left", "outside", "over"], "the period is over, none held"


def test_many_mentorships_are_all_checked_against_their_agreements(app, sink, monkeypatch):
    """The check pages through every active mentorship, not just the first batch."""
    monkeypatch.setattr("mailflow.jobs.meetings.BATCH", 2)
    now = app.clock.now()
    pairs = [(f"mentee{n}@example.org", f"mentor{n}@example.org") for n in range(5)]
    for mentee_email, mentor_email in pairs:
        add_person(app, mentee_email, "en", "mentee")
        add_person(app, mentor_email, "en", "mentor")
        mentorship = active_mentorship(app, mentee_email, mentor_email, meetings=1)
        with app.store.transaction() as session:
            for day in (10, 20):  # two meetings where one was agreed
                start = datetime(2026, 12, day, 14, tzinfo=timezone.utc)
                session.add(Meeting(mentorship_id=mentorship, uid=f"m{mentorship}-{day}@mentoring.test",
                                    sequence=0, starts_at=start, ends_at=start + timedelta(hours=1),
                                    tzid="Europe/Berlin", place="Video", topic="Career", closing=False,
                                    state="confirmed", created_at=now))
    assert jobs.run_due(app, now)["agreement_deviations"] == 5
    asked = {m.rcpt_tos[0] for m in Conversation(app, sink).new_mail() if "AMEND" in m.text()}
    assert asked == {email for pair in pairs for email in pair}


@pytest.mark.parametrize("answer", [None, "google_tentative"])
def test_no_feedback_is_asked_for_a_meeting_that_was_never_confirmed(app, sink, clock, answer):
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    meeting = meeting_row(app)
    if answer is not None:
        organizer = organizer_address(invitation)
        send_raw(app, talk, client_reply(answer, meeting.uid, organizer), MENTOR, organizer)
        assert meeting_row(app).state == "tentative"
    clock.set(datetime(2026, 12, 10, 15, 5, tzinfo=timezone.utc))  # after its end
    assert jobs.run_due(app, clock.now())["meeting_feedback"] == 0
    assert not [m for m in talk.new_mail() if "Took place" in m.text()]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_an_invitation_sent_to_hello_is_confirmed_then_becomes_a_meeting(app, sink, clock, lang):
    """The mentee invites hello@ instead of their personal address; she has two mentors, and the invitation's
    attendees say which mentorship it is for."""
    clock.set(datetime(2025, 2, 1, 9, 0, tzinfo=timezone.utc))
    talk = Conversation(app, sink)
    active_pair(app, lang, start=date(2025, 1, 1), until=date(2025, 12, 31))
    add_person(app, "ute@example.org", lang, "mentor", "Ute Mentor")
    active_mentorship(app, MENTEE, "ute@example.org", meetings=None)
    raw = invitation_to_hello()
    asked = one_to(send_raw(app, talk, raw, MENTEE, HELLO), MENTEE)
    assert meeting_row(app) is None, "a From: alone proves nothing: first the signed confirmation"
    sent = talk.reply(asked, MENTEE, WORDS[lang]["yes"])
    invitation = one_to(sent, MENTOR)
    assert not [m for m in sent if m.rcpt_tos == ("ute@example.org",)]
    # her calendar invited Otto directly too: both are told which invitation counts
    counts = "Please answer this one" if lang == "en" else "Sie diese hier: nur ihre Antwort erreicht uns"
    assert counts in invitation.text()
    assert ("Your calendar invited Otto Mentor directly" if lang == "en"
            else "Ihr Kalender hat Otto Mentor auch direkt eingeladen") in one_to(sent, MENTEE).text()
    _, cal = calendar_of(invitation)
    assert cal.method.value == "REQUEST" and cal.vevent.organizer.value.lower().startswith("mailto:meetings+")
    meeting = meeting_row(app)
    with app.store.transaction() as session:
        mentorship = session.get(Mentorship, meeting.mentorship_id)
        assert session.get(Person, mentorship.mentor_id).email == MENTOR
    assert meeting.source_uid == "69d4c40b4a274636bf23517938df9673@example.org" and meeting.state == "proposed"


def test_an_invitation_to_hello_from_someone_without_a_mentorship_gets_a_clear_answer(app, sink, clock):
    clock.set(datetime(2025, 2, 1, 9, 0, tzinfo=timezone.utc))
    talk = Conversation(app, sink)
    add_person(app, MENTEE, "en", "mentee", "Mia Mentee")
    raw = invitation_to_hello()
    asked = one_to(send_raw(app, talk, raw, MENTEE, HELLO), MENTEE)
    answer = one_to(talk.reply(asked, MENTEE, "YES"), MENTEE)
    assert "no running mentorship" in answer.text() and meeting_row(app) is None


# An invitation from each calendar family's own client, sent to the mentee's personal meetings address: what must
# match is only the sender (the mentee); (file, its sender, when it starts in UTC).
OWN_CALENDARS = {
    "outlook.com, base64, W. Europe Standard Time": (
        "outlook-com_request_base64_w-europe-standard-time.eml", "alice@example.org", datetime(2025, 2, 26, 7, 0)),
    "Exchange 2007, base64, German subject": (
        "exchange2007_request_base64_de-subject.eml", "user@telekom.ch", datetime(2012, 11, 18, 8, 0)),
    "Exchange 2010 Outlook, Finnish": (
        "exchange2010_outlook_request_base64_finnish.eml", "marge@example.org", datetime(2021, 11, 27, 7, 0)),
    "Thunderbird Lightning": (
        "thunderbird-lightning_request_organizer-with-partstat-role.eml", "pwulf@tine20.org",
        datetime(2011, 11, 1, 8, 0)),
    "Apple iCal 5, windows-1252 attachment without method": (
        "apple-ical5_request_de-subject_windows-1252_attachment-no-method-param.eml", "pwulf@tine20.org",
        datetime(2011, 11, 29, 6, 15)),
    "iPhone, German, organizer without mailto": (
        "ios-iphone_request_organizer-without-mailto_de.eml", "unittest@tine20.org", datetime(2013, 9, 8, 8, 0)),
    "Zoom, attachment only, no METHOD": (
        "zoom_request_attachment-only_no-method.eml", "two@some.de", datetime(2021, 4, 22, 13, 50)),
    "iCloud, from its own noreply address, the organizer behind a proxy": (
        "icloud_request_full-message_french-rfc2047-subject.eml", "dontspam@khamidou.com",
        datetime(2015, 3, 16, 5, 0)),
    "Tine 2.0, German, Precedence: bulk": (
        "tine20_request_de-subject_einladung-zum-termin.eml", "l.kneschke@caldav.org", datetime(2111, 11, 21, 12, 0)),
    "Proton Bridge, no method parameter": (
        "proton-bridge_request_no-method-content-type-param.eml", "alice@example.org", datetime(2025, 2, 20, 18, 0)),
}


@pytest.mark.parametrize("client", sorted(OWN_CALENDARS))
def test_invitations_from_every_calendar_family_become_meetings(app, sink, clock, client):
    name, sender, starts = OWN_CALENDARS[client]
    starts = starts.replace(tzinfo=timezone.utc)
    clock.set(starts - timedelta(days=2))
    talk = Conversation(app, sink)
    active_pair(app, start=starts.date() - timedelta(days=30), until=starts.date() + timedelta(days=30))
    form_mail = one_to(propose_form_only(app, talk), MENTEE)
    plan = re.search(r"(meetings\+plan\.[^\s]+@mentoring\.test)", form_mail.text()).group(1)
    raw = adjusted_base64(f"../imip/{name}", {sender: MENTEE})
    invitation = one_to(send_raw(app, talk, raw, MENTEE, plan), MENTOR)
    _, cal = calendar_of(invitation)
    assert cal.method.value == "REQUEST"
    assert cal.vevent.dtstart.value.astimezone(timezone.utc) == starts
    meeting = meeting_row(app)
    assert meeting.starts_at == starts and meeting.state == "proposed" and meeting.source_uid


ICLOUD = "noreply@insideicloud.icloud.com"  # where iCloud sends its users' calendar mail from


def test_an_acceptance_relayed_by_icloud_counts_for_the_attendee_it_names(app, sink):
    """iCloud sends its users' calendar answers from its own noreply address: the answer is the attendee's."""
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    raw = client_reply("apple_ical5_accepted", meeting.uid, organizer, sender=f"Otto Mentor <{ICLOUD}>")
    told = one_to(send_raw(app, talk, raw, ICLOUD, organizer), MENTEE)
    assert "Otto Mentor" in told.message["Subject"] and meeting_row(app).state == "confirmed"


def test_a_relay_address_speaks_for_nobody_when_the_answer_names_someone_outside(app, sink):
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    raw = client_reply("apple_ical5_accepted", meeting.uid, organizer, attendee="eve@example.net",
                       sender=f"Eve <{ICLOUD}>")
    assert send_raw(app, talk, raw, ICLOUD, organizer) == []
    assert meeting_row(app).state == "proposed"


def test_an_invitation_to_hello_before_the_agreement_is_approved_says_so(app, sink, clock):
    clock.set(datetime(2025, 2, 1, 9, 0, tzinfo=timezone.utc))
    talk = Conversation(app, sink)
    active_pair(app, start=date(2025, 1, 1), until=date(2025, 12, 31))
    with app.store.transaction() as session:  # accepted, the agreement not yet approved
        session.scalar(select(Mentorship)).state = "accepted"
        session.scalar(select(AgreementVersion)).state = "proposed"
    raw = invitation_to_hello()
    asked = one_to(send_raw(app, talk, raw, MENTEE, HELLO), MENTEE)
    answer = one_to(talk.reply(asked, MENTEE, "YES"), MENTEE)
    assert "agreement is approved" in answer.text() and meeting_row(app) is None


def test_the_proposer_declining_in_her_own_calendar_cancels_the_meeting_for_both(app, sink):
    """Mia deletes the meeting she proposed from her calendar; Google sends DECLINED for her. Otto must not wait
    for her alone: both get METHOD:CANCEL."""
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTEE)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    raw = client_reply("google_declined", meeting.uid, organizer, attendee=MENTEE, sender=f"Mia Mentee <{MENTEE}>")
    cancelled = send_raw(app, talk, raw, MENTEE, organizer)
    for person in (MENTEE, MENTOR):
        part, cal = calendar_of(one_to(cancelled, person))
        assert cal.method.value == "CANCEL" and int(cal.vevent.sequence.value) == 1
    assert meeting_row(app).state == "cancelled"


def test_a_new_date_after_a_decline_moves_the_same_meeting(app, sink):
    """The form in the 'declined' mail moves the declined meeting (same UID, SEQUENCE+1), so the entry in the
    mentee's calendar follows the new date instead of staying behind as a ghost."""
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    declined = one_to(send_raw(app, talk, client_reply("google_declined", meeting.uid, organizer), MENTOR,
                               organizer), MENTEE)
    assert meeting_row(app).state == "declined"
    moved = talk.reply(declined, MENTEE, form("en", "2026-12-17", "11:00"))
    for person in (MENTEE, MENTOR):
        _, cal = calendar_of(one_to(moved, person))
        assert cal.method.value == "REQUEST" and cal.vevent.uid.value == meeting.uid
        assert int(cal.vevent.sequence.value) == 1
    again = meeting_row(app)
    assert again.id == meeting.id and again.state == "proposed"
    assert again.starts_at == datetime(2026, 12, 17, 10, 0, tzinfo=timezone.utc)


def test_the_mentee_cannot_accept_for_the_mentor_through_her_own_organizer_address(app, sink):
    """Each attendee's copy names its own ORGANIZER address, bound to them: the mentee, holding only
    hers, sends the mentor's acceptance with the mentor's From (or through the iCloud relay): refused."""
    talk = Conversation(app, sink)
    active_pair(app)
    sent = propose(app, talk, "en")
    meeting = meeting_row(app)
    hers, his = organizer_address(one_to(sent, MENTEE)), organizer_address(one_to(sent, MENTOR))
    assert hers != his
    forged = client_reply("google_accepted", meeting.uid, hers)
    assert send_raw(app, talk, forged, MENTOR, hers) == []
    relayed = client_reply("apple_ical5_accepted", meeting.uid, hers, sender=f"Otto <{ICLOUD}>")
    assert send_raw(app, talk, relayed, ICLOUD, hers) == []
    assert meeting_row(app).state == "proposed"


@pytest.mark.parametrize("results", [None, "mx.mentoring.test; dkim=fail header.d=icloud.com"])
def test_behind_a_trusted_mta_a_relay_is_believed_only_with_its_dkim_pass(trusting_mta_app, sink,
                                                                          results):
    app = trusting_mta_app
    talk = Conversation(app, sink)
    active_pair(app)
    invitation = one_to(propose(app, talk, "en"), MENTOR)
    meeting = meeting_row(app)
    organizer = organizer_address(invitation)
    raw = client_reply("apple_ical5_accepted", meeting.uid, organizer, sender=f"Otto <{ICLOUD}>")
    if results:
        raw = f"Authentication-Results: {results}\r\n".encode() + raw
    assert send_raw(app, talk, raw, ICLOUD, organizer) == []
    assert meeting_row(app).state == "proposed"
    signed = (b"Authentication-Results: mx.mentoring.test; dkim=pass header.d=icloud.com;"
              b" dmarc=pass header.from=insideicloud.icloud.com\r\n" + raw)
    told = one_to(send_raw(app, talk, signed.replace(b"Message-ID: <", b"Message-ID: <2"), ICLOUD,
                           organizer), MENTEE)
    assert "Otto Mentor" in told.message["Subject"] and meeting_row(app).state == "confirmed"
