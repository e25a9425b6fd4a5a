"""Meeting times in both zones: Mia lives in Berlin, Otto in New York. Every mail that names their
meeting's time (invitation, decline, move, confirmation, profile, feedback request, cancellation)
names it first in the reader's zone and then in the other's, in the subject where the subject names
it, in the text and in the HTML, in English and German. A pair in one zone sees one time. Every
REQUEST and CANCEL these mails carry passes libical's RFC 5546 restriction check."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from mailflow.jobs import scheduler as jobs
from mailflow.outgoing.compose import Templates
from mailflow.outgoing.meeting_times import MeetingTime
from mailflow.store.models import Person

from .support.conversation import Conversation, one_to
from .support.libical import libical_errors
from .test_meetings import (
    HELLO, MENTEE, MENTOR, WORDS, active_pair, calendar_of, client_reply, form, meeting_row,
    organizer_address, propose, send_raw,
)

DAY = {"en": ("2026-12-10", "2026-12-17", "2027-01-14"),
       "de": ("10.12.2026", "17.12.2026", "14.1.2027")}
# 14:00 UTC on the first day, 15:00 UTC on the second and 14:00 UTC on the third, as each reads it
SHOWN = {
    "en": {MENTEE: ("2026-12-10, 15:00–16:00 Berlin / 09:00–10:00 New York",
                    "2026-12-17, 16:00–17:00 Berlin / 10:00–11:00 New York",
                    "2027-01-14, 15:00–16:00 Berlin / 09:00–10:00 New York"),
           MENTOR: ("2026-12-10, 09:00–10:00 New York / 15:00–16:00 Berlin",
                    "2026-12-17, 10:00–11:00 New York / 16:00–17:00 Berlin",
                    "2027-01-14, 09:00–10:00 New York / 15:00–16:00 Berlin")},
    "de": {MENTEE: ("10.12.2026, 15:00–16:00 Uhr Berlin / 09:00–10:00 Uhr New York",
                    "17.12.2026, 16:00–17:00 Uhr Berlin / 10:00–11:00 Uhr New York",
                    "14.1.2027, 15:00–16:00 Uhr Berlin / 09:00–10:00 Uhr New York"),
           MENTOR: ("10.12.2026, 09:00–10:00 Uhr New York / 15:00–16:00 Uhr Berlin",
                    "17.12.2026, 10:00–11:00 Uhr New York / 16:00–17:00 Uhr Berlin",
                    "14.1.2027, 09:00–10:00 Uhr New York / 15:00–16:00 Uhr Berlin")},
}


def lives_in(app, address: str, tzid: str) -> None:
    with app.store.transaction() as session:
        session.scalar(select(Person).where(Person.email == address)).timezone = tzid


def shows(mail, expected: str, *, in_subject: bool) -> None:
    assert expected in mail.text(), mail.text()
    assert expected in mail.html(), mail.html()
    subject = " ".join(mail.message["Subject"].split())
    assert (expected in subject) is in_subject, subject


def each_shows(mails, meeting: int, lang: str, *, in_subject: bool = True) -> None:
    for person in (MENTEE, MENTOR):
        shows(one_to(mails, person), SHOWN[lang][person][meeting], in_subject=in_subject)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_berlin_new_york_pair_reads_every_meeting_time_in_both_zones(app, sink, clock, receiver,
                                                                         lang):
    talk = Conversation(app, sink, smtp_port=receiver)
    active_pair(app, lang)
    lives_in(app, MENTOR, "America/New_York")
    first, second, third = DAY[lang]

    invited = propose(app, talk, lang, first)
    each_shows(invited, 0, lang)
    organizer = organizer_address(one_to(invited, MENTOR))
    declined = one_to(send_raw(app, talk, client_reply("google_declined", meeting_row(app).uid,
                                                       organizer, lang), MENTOR, organizer), MENTEE)
    shows(declined, SHOWN[lang][MENTEE][0], in_subject=True)

    moved = talk.reply(declined, MENTEE, form(lang, second, "16:00"), style=WORDS[lang]["style"])
    each_shows(moved, 1, lang)
    confirmed = talk.reply(one_to(moved, MENTOR), MENTOR, WORDS[lang]["yes"])
    shows(one_to(confirmed, MENTEE), SHOWN[lang][MENTEE][1], in_subject=True)
    profile = one_to(talk.write(MENTEE, HELLO, "PROFILE" if lang == "en" else "PROFIL", ""), MENTEE)
    shows(profile, SHOWN[lang][MENTEE][1], in_subject=False)

    clock.set(datetime(2026, 12, 17, 16, 5, tzinfo=timezone.utc))
    assert jobs.run_due(app, clock.now())["meeting_feedback"] == 1
    each_shows(talk.new_mail(), 1, lang, in_subject=False)

    invited = propose(app, talk, lang, third)
    each_shows(invited, 2, lang)
    cancelled = talk.reply(one_to(invited, MENTOR), MENTOR, WORDS[lang]["cancel"])
    each_shows(cancelled, 2, lang)
    assert meeting_row(app).state == "cancelled"

    sent = {method: [ics for mail in sink.received if (ics := _calendar(mail, method))]
            for method in ("REQUEST", "CANCEL")}
    assert len(sent["REQUEST"]) == 6 and len(sent["CANCEL"]) == 2
    for ics in sent["REQUEST"] + sent["CANCEL"]:
        assert libical_errors(ics) == []


def _calendar(mail, method: str) -> bytes | None:
    parts = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    if not parts or parts[0].get_param("method") != method:
        return None
    calendar_of(mail)  # vobject reads it too
    return parts[0].get_content().encode("utf-8")


@pytest.mark.parametrize(("lang", "line"), [
    ("en", "When: 2026-12-10, 15:00–16:00 Berlin (60 minutes)"),
    ("de", "Wann: 10.12.2026, 15:00–16:00 Uhr Berlin (60 Minuten)"),
])
def test_a_pair_in_one_zone_reads_one_time(app, sink, lang, line):
    talk = Conversation(app, sink)
    active_pair(app, lang)
    invited = propose(app, talk, lang, DAY[lang][0])
    for person in (MENTEE, MENTOR):
        mail = one_to(invited, person)
        assert line in mail.text().splitlines()
        assert line.split(": ", 1)[1] in mail.html() and " / " not in mail.message["Subject"]


# the counter proposal's mails, which the scenario above does not reach
@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(("name", "in_subject"), [("meeting_counter", 1),  # the proposed time
                                                  ("meeting_counter_declined", 0)])  # the kept one
def test_a_counter_proposal_names_both_times_in_both_zones(name, in_subject, lang):
    start = datetime(2026, 12, 10, 14, tzinfo=timezone.utc)
    when = MeetingTime(start, start + timedelta(hours=1), ("Europe/Berlin", "America/New_York"))
    proposed = MeetingTime(start + timedelta(days=7, hours=1), start + timedelta(days=7, hours=2),
                           ("Europe/Berlin", "America/New_York"))
    values = dict(programme="Mentoring Test", hello=HELLO, domain="mentoring.test", lang=lang,
                  name="Mia", when=when, proposed=proposed, minutes=60, place="Café",
                  topic="Career", closing=False, other="Otto", proposer="Mia", countered_by="Otto",
                  comment="", accept="mailto:a", decline="mailto:d", sequence=0)
    subject, text, html = Templates().render(name, lang, values)
    for shown in (SHOWN[lang][MENTEE][0], SHOWN[lang][MENTEE][1]):
        assert shown in text and shown in html
    assert SHOWN[lang][MENTEE][in_subject] in subject
