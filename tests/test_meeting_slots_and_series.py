"""Meetings as people schedule them: up to three slots offered at once (the mentor picks one in
the calendar or by replying its number, the other slots are cancelled at once) and recurring
series (one invitation with an RRULE, each occurrence answered, moved, held and counted on its
own). Through the real SMTP receiver and sink, on SQLite and PostgreSQL; our calendar objects are
read back with vobject."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from mailflow.domain.completion import held_meetings
from mailflow.jobs import scheduler as jobs
from mailflow.store.models import Meeting, Mentorship

from .support.conversation import Conversation, one_to
from .test_meetings import (
    CLIENT_REPLIES, MENTEE, MENTOR, WORDS, active_pair, adjusted, as_client_mail, calendar_of,
    client_reply, organizer_address, propose, send_raw,
)

SLOT_DAYS = {"en": "2026-12-10; 2026-12-17; 2027-01-07", "de": "10.12.2026; 17.12.2026; 7.1.2027"}
SLOT_STARTS = [datetime(2026, 12, 10, 14, tzinfo=timezone.utc),
               datetime(2026, 12, 17, 14, tzinfo=timezone.utc),
               datetime(2027, 1, 7, 14, tzinfo=timezone.utc)]
SERIES_FORM = {
    "en": "Date: 2026-12-10\nTime: 15:00\nDuration: 60\nRepeat: every 2 weeks, 6 times\n"
          "Place: https://meet.example/abc\nTopic: Career plan\n",
    "de": "Datum: 10.12.2026\nUhrzeit: 15 Uhr\nDauer: 60\nWiederholung: alle 2 Wochen, 6 mal\n"
          "Ort: https://meet.example/abc\nThema: Karriereplan\n",
}
# 15:00 in Berlin every second Thursday from 10 December 2026
SERIES_STARTS = [datetime(2026, 12, 10, 14, tzinfo=timezone.utc) + timedelta(weeks=2 * n)
                 for n in range(6)]


def meetings_of(app) -> list[Meeting]:
    with app.store.transaction() as session:
        return list(session.scalars(select(Meeting).order_by(Meeting.starts_at, Meeting.id)))


def calendars(mails) -> list:
    return [calendar_of(mail)[1] for mail in mails]


def offer_slots(app, talk: Conversation, lang: str):
    """Mia proposes three dates at 15:00; returns the three mails to Otto in slot order."""
    sent = propose(app, talk, lang, SLOT_DAYS[lang])
    to_mentor = sorted((m for m in sent if m.rcpt_tos == (MENTOR,)),
                       key=lambda m: calendar_of(m)[1].vevent.dtstart.value)
    overview = one_to([m for m in sent if m.rcpt_tos == (MENTEE,)], MENTEE)
    assert not [p for p in overview.message.walk() if p.get_content_type() == "text/calendar"], \
        "the proposer gets no calendar entry before a slot is chosen"
    return to_mentor, overview


def assert_chosen(app, sent, slot_mails, chosen: int):
    """The chosen slot is confirmed in both calendars; the others are cancelled in Otto's."""
    rows = meetings_of(app)
    assert [m.state for m in rows] == ["confirmed" if n == chosen else "cancelled"
                                       for n in (1, 2, 3)]
    uids = [calendar_of(m)[1].vevent.uid.value for m in slot_mails]
    cancels = [cal for cal in calendars(m for m in sent if m.rcpt_tos == (MENTOR,))
               if cal.method.value == "CANCEL"]
    assert sorted(c.vevent.uid.value for c in cancels) == sorted(
        uid for n, uid in enumerate(uids, start=1) if n != chosen)
    assert {int(c.vevent.sequence.value) for c in cancels} == {1}
    assert {c.vevent.status.value for c in cancels} == {"CANCELLED"}
    [to_mentee] = [m for m in sent if m.rcpt_tos == (MENTEE,)]
    _, cal = calendar_of(to_mentee)
    assert cal.method.value == "REQUEST" and cal.vevent.uid.value == uids[chosen - 1]
    assert cal.vevent.dtstart.value.astimezone(timezone.utc) == SLOT_STARTS[chosen - 1]
    partstats = {a.value.lower(): a.params["PARTSTAT"] for a in cal.vevent.attendee_list}
    assert partstats == {f"mailto:{MENTEE}": ["ACCEPTED"], f"mailto:{MENTOR}": ["ACCEPTED"]}
    assert cal.vevent.status.value == "CONFIRMED"


# ---------------------------------------------------------------- slots

@pytest.mark.parametrize("lang", ["en", "de"])
def test_three_slots_the_mentors_calendar_accepts_the_second_the_others_are_cancelled(
        app, sink, receiver, lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, lang)
    slot_mails, overview = offer_slots(app, talk, lang)
    assert len(slot_mails) == 3
    cals = calendars(slot_mails)
    assert len({cal.vevent.uid.value for cal in cals}) == 3, "each slot its own UID"
    for cal, start in zip(cals, SLOT_STARTS):
        assert cal.method.value == "REQUEST" and cal.vevent.status.value == "TENTATIVE"
        assert cal.vevent.dtstart.value.astimezone(timezone.utc) == start
        assert cal.vevent.dtstamp.value.tzinfo is not None and cal.vevent.sequence.value == "0"
        assert cal.vtimezone.tzid.value == "Europe/Berlin"
        assert cal.vevent.organizer.value.lower().startswith("mailto:meetings+meet.")
        mentor = next(a for a in cal.vevent.attendee_list if a.value.lower() == f"mailto:{MENTOR}")
        assert mentor.params["PARTSTAT"] == ["NEEDS-ACTION"] and mentor.params["RSVP"] == ["TRUE"]
    assert {"en": "2. 2026-12-17, 15:00–16:00", "de": "2. 17.12.2026, 15:00–16:00 Uhr"}[lang] \
        in slot_mails[0].text()
    assert {"en": "2026-12-17", "de": "17.12.2026"}[lang] in overview.text()

    second = slot_mails[1]
    organizer = organizer_address(second)
    reply = client_reply("google_accepted", calendar_of(second)[1].vevent.uid.value, organizer,
                         lang)
    sent = send_raw(app, talk, reply, MENTOR, organizer)
    assert_chosen(app, sent, slot_mails, chosen=2)


def test_the_mentor_picks_a_slot_by_replying_its_number(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "de")
    slot_mails, _ = offer_slots(app, talk, "de")
    sent = talk.reply(slot_mails[0], MENTOR, "2", style="de_outlook")
    assert_chosen(app, sent, slot_mails, chosen=2)

    again = one_to(talk.reply(slot_mails[2], MENTOR, "3"), MENTOR)
    assert "schon gewählt" in again.text(), "a second pick is refused politely"
    assert [m.state for m in meetings_of(app)] == ["cancelled", "confirmed", "cancelled"]


def test_the_one_click_link_picks_its_slot(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "en")
    slot_mails, _ = offer_slots(app, talk, "en")
    links = re.findall(r"^  (\d)\. .*: mailto:([^?\s]+)\?subject=(\d)", slot_mails[1].text(),
                       re.MULTILINE)
    assert [(number, word) for number, _, word in links] == [("1", "1"), ("2", "2"), ("3", "3")]
    sent = talk.write(MENTOR, links[2][1], "3", "3")  # what a mail client sends for the link
    assert_chosen(app, sent, slot_mails, chosen=3)


def test_more_than_three_slots_or_a_series_of_several_slots_are_explained(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "en")
    answer = one_to(propose(app, talk, "en", "2026-12-10; 2026-12-11; 2026-12-14; 2026-12-15"),
                    MENTEE)
    assert "At most three options are possible." in answer.text()
    assert meetings_of(app) == []


# ---------------------------------------------------------------- series

def propose_series(app, talk: Conversation, lang: str):
    words = WORDS[lang]
    asked = one_to(talk.write(MENTEE, "hello@mentoring.test", words["meeting"],
                              words["meeting"]), MENTEE)
    form_mail = one_to(talk.reply(asked, MENTEE, words["yes"]), MENTEE)
    assert {"en": "\nRepeat / Wiederholung:", "de": "\nWiederholung / Repeat:"}[lang] \
        in form_mail.text()
    return talk.reply(form_mail, MENTEE, SERIES_FORM[lang], style=words["style"])


def occurrence_reply(invitation, partstat: str, recurrence: datetime) -> bytes:
    """Google Calendar's REPLY for one occurrence of our series: its RECURRENCE-ID in UTC."""
    _, cal = calendar_of(invitation)
    name, old_uid, old_attendee, old_organizer, _ = CLIENT_REPLIES[
        {"DECLINED": "google_declined", "ACCEPTED": "google_accepted"}[partstat]]
    organizer = organizer_address(invitation)
    ics = adjusted(name, {old_uid: cal.vevent.uid.value, old_attendee: MENTOR,
                          old_organizer: organizer})
    ics = re.sub(rb"\r?\nSEQUENCE:0", f"\r\nRECURRENCE-ID:{recurrence:%Y%m%dT%H%M%SZ}"
                 "\r\nSEQUENCE:0".encode(), ics, count=1)
    assert b"RECURRENCE-ID:" in ics
    return as_client_mail(ics, sender=f"Otto Mentor <{MENTOR}>", to=organizer,
                          subject=f"{partstat.title()}: Mentoring", text=partstat.lower())


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_series_of_six_with_one_occurrence_declined_counts_five(app, sink, clock, receiver,
                                                                  lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    mentorship_id = active_pair(app, lang)
    sent = propose_series(app, talk, lang)
    invitation = one_to(sent, MENTOR)
    _, cal = calendar_of(invitation)
    assert cal.method.value == "REQUEST" and "RRULE" not in invitation.text()
    rule = dict(part.split("=") for part in cal.vevent.rrule.value.split(";"))
    assert rule == {"FREQ": "WEEKLY", "INTERVAL": "2", "COUNT": "6"}
    expanded = [moment.astimezone(timezone.utc) for moment in cal.vevent.getrruleset()]
    assert expanded == SERIES_STARTS
    assert {"en": "every 2 weeks, 6 times", "de": "alle 2 Wochen, 6 Mal"}[lang] \
        in invitation.message["Subject"]
    assert [m.starts_at for m in meetings_of(app)] == SERIES_STARTS

    organizer = organizer_address(invitation)
    assert organizer.startswith("meetings+series.")
    told = one_to(send_raw(app, talk, client_reply("google_accepted", cal.vevent.uid.value,
                                                   organizer, lang), MENTOR, organizer), MENTEE)
    assert "6" in told.text() and told.message["Subject"].startswith("Otto Mentor")
    assert {m.state for m in meetings_of(app)} == {"confirmed"}

    declined = send_raw(app, talk, occurrence_reply(invitation, "DECLINED", SERIES_STARTS[2]),
                        MENTOR, organizer)
    one_to(declined, MENTEE)
    assert [m.state for m in meetings_of(app)] == ["confirmed"] * 2 + ["declined"] + \
        ["confirmed"] * 3

    asked = []
    for start in SERIES_STARTS:
        clock.set(start + timedelta(hours=1, minutes=5))
        jobs.run_due(app, clock.now())
        asked += [m for m in talk.new_mail() if WORDS[lang]["took"] in m.text()]
    assert sorted(m.rcpt_tos[0] for m in asked) == sorted([MENTEE, MENTOR] * 5), \
        "each held occurrence its own feedback mail, to both"
    with app.store.transaction() as session:
        mentorship = session.get(Mentorship, mentorship_id)
        held = held_meetings(session, mentorship, clock.now())
        assert [m.starts_at for m in held] == SERIES_STARTS[:2] + SERIES_STARTS[3:]


def test_moving_one_occurrence_sends_a_request_for_that_recurrence_id(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "en")
    invitation = one_to(propose_series(app, talk, "en"), MENTOR)
    uid = calendar_of(invitation)[1].vevent.uid.value
    organizer = organizer_address(invitation)
    asks = one_to(send_raw(app, talk, occurrence_reply(invitation, "DECLINED", SERIES_STARTS[2]),
                           MENTOR, organizer), MENTEE)
    assert "Please propose another date" in asks.text() and "2027-01-07" in asks.text()

    moved = talk.reply(asks, MENTEE, "Date: 2027-01-08\nTime: 15:00\nDuration: 60\n"
                       "Place: https://meet.example/abc\nTopic: Career plan\n")
    for person in (MENTEE, MENTOR):
        part, cal = calendar_of(one_to(moved, person))
        event = cal.vevent
        assert cal.method.value == "REQUEST" and event.uid.value == uid
        assert "RECURRENCE-ID;TZID=Europe/Berlin:20270107T150000" in \
            part.get_content().replace("\r\n", "\n")
        assert event.dtstart.value.astimezone(timezone.utc) == datetime(2027, 1, 8, 14,
                                                                         tzinfo=timezone.utc)
        assert int(event.sequence.value) == 1 and not hasattr(event, "rrule")
    rows = meetings_of(app)
    assert [m.state for m in rows].count("proposed") == 6
    assert sorted(m.recurrence_id for m in rows) == SERIES_STARTS, "each keeps its RECURRENCE-ID"


def test_a_reply_without_the_moved_occurrences_recurrence_id_answers_that_one_alone(app, sink):
    """A client that answers a moved occurrence's invitation without its RECURRENCE-ID, to the
    organizer address, still speaks for that occurrence only: only its invitation carried the
    higher SEQUENCE. Read as the whole series' answer, it would decline the other five."""
    talk = Conversation(app, sink)
    active_pair(app, "en")
    invitation = one_to(propose_series(app, talk, "en"), MENTOR)
    organizer = organizer_address(invitation)
    asks = one_to(send_raw(app, talk, occurrence_reply(invitation, "DECLINED", SERIES_STARTS[2]),
                           MENTOR, organizer), MENTEE)
    talk.reply(asks, MENTEE, "Date: 2027-01-08\nTime: 15:00\nDuration: 60\n"
               "Place: https://meet.example/abc\nTopic: Career plan\n")
    name, old_uid, old_attendee, old_organizer, _ = CLIENT_REPLIES["google_declined"]
    ics = adjusted(name, {old_uid: calendar_of(invitation)[1].vevent.uid.value,
                          old_attendee: MENTOR, old_organizer: organizer})
    ics = re.sub(rb"\r?\nSEQUENCE:0", b"\r\nSEQUENCE:1", ics, count=1)
    assert b"SEQUENCE:1" in ics and b"RECURRENCE-ID" not in ics
    send_raw(app, talk, as_client_mail(ics, sender=f"Otto Mentor <{MENTOR}>", to=organizer,
                                       subject="Declined: Mentoring", text="declined"),
             MENTOR, organizer)
    states = [m.state for m in sorted(meetings_of(app), key=lambda m: m.recurrence_id)]
    assert states == ["proposed"] * 2 + ["declined"] + ["proposed"] * 3


def test_cancelling_one_occurrence_sends_a_cancel_for_that_recurrence_id(app, sink):
    talk = Conversation(app, sink)
    active_pair(app, "de")
    invitation = one_to(propose_series(app, talk, "de"), MENTOR)
    link = re.search(r"^  4\. .*: mailto:(\S+?)\?", invitation.text(), re.MULTILINE).group(1)
    assert link.startswith("reply+meeting.")
    cancelled = talk.write(MENTOR, link, "ABSAGEN", "ABSAGEN")
    for person in (MENTEE, MENTOR):
        part, cal = calendar_of(one_to(cancelled, person))
        assert cal.method.value == "CANCEL" and int(cal.vevent.sequence.value) == 1
        assert "RECURRENCE-ID;TZID=Europe/Berlin:20270121T150000" in \
            part.get_content().replace("\r\n", "\n")
    assert [m.state for m in meetings_of(app)] == ["proposed"] * 3 + ["cancelled"] + \
        ["proposed"] * 2


@pytest.mark.parametrize("repeat, count", [("wöchentlich bis 31.12.2026", 4),
                                           ("monthly, 3 times", 3)])
def test_weekly_until_a_date_and_monthly_series(app, sink, repeat, count):
    talk = Conversation(app, sink)
    active_pair(app, "en")
    talk_form = SERIES_FORM["en"].replace("every 2 weeks, 6 times", repeat)
    words = WORDS["en"]
    asked = one_to(talk.write(MENTEE, "hello@mentoring.test", words["meeting"],
                              words["meeting"]), MENTEE)
    form_mail = one_to(talk.reply(asked, MENTEE, words["yes"]), MENTEE)
    invitation = one_to(talk.reply(form_mail, MENTEE, talk_form), MENTOR)
    _, cal = calendar_of(invitation)
    assert len(list(cal.vevent.getrruleset())) == count == len(meetings_of(app))
