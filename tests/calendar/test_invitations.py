"""Scenarios: the invitations we send are read back, field by field, by an independent parser (vobject)."""
from __future__ import annotations

import base64
import email
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest

from mailflow.outgoing.calendar import (
    Attendee, Invitation, build_cancel, build_decline_counter, build_request, imip_mime_part,
)
from mailflow.parsers.calendar_reply import read_calendar_answers, read_ics

from ..support.vcal import read_calendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc
MENTEE = Attendee(email="mia.mentee@example.org", name="Mia Müller")
MENTOR = Attendee(email="max.mentor@example.com", name="Brandt, Max")


def invitation(**changes) -> Invitation:
    base = Invitation(
        uid="meeting-42@mentoring.example.org",
        sequence=0,
        stamp=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        start=datetime(2026, 4, 14, 17, 0, tzinfo=BERLIN),
        end=datetime(2026, 4, 14, 18, 0, tzinfo=BERLIN),
        tzid="Europe/Berlin",
        summary="Mentoring: Mia & Max – Treffen 2",
        description="Thema: Bewerbungsgespräche üben\nBitte Lebenslauf mitbringen.",
        location="Café Ölmühle, Hauptstraße 1",
        url=None,
        organizer_email="meetings+t0k3n@mentoring.example.org",
        organizer_name="Mentoring-Programm",
        attendees=(MENTEE, MENTOR),
    )
    return replace(base, **changes)


def read_back(ics: bytes):
    return read_calendar(ics)


def attendees_by_address(event) -> dict:
    return {line.value.lower(): line.params for line in event.attendee_list}


# --- REQUEST, field by field ----------------------------------------------------------------------------------

def test_request_read_back_by_vobject_has_every_field_a_client_needs() -> None:
    calendar = read_back(build_request(invitation()))
    event = calendar.vevent
    assert calendar.method.value == "REQUEST"
    assert calendar.version.value == "2.0"
    assert "mailflow" in calendar.prodid.value
    assert event.uid.value == "meeting-42@mentoring.example.org"
    assert int(event.sequence.value) == 0
    assert event.dtstamp.value == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert event.summary.value == "Mentoring: Mia & Max – Treffen 2"
    assert event.description.value == "Thema: Bewerbungsgespräche üben\nBitte Lebenslauf mitbringen."
    assert event.location.value == "Café Ölmühle, Hauptstraße 1"
    assert event.status.value == "CONFIRMED"
    assert event.transp.value == "OPAQUE"


def test_request_organizer_is_the_meetings_address_with_a_name() -> None:
    organizer = read_back(build_request(invitation())).vevent.organizer
    assert organizer.value == "mailto:meetings+t0k3n@mentoring.example.org"
    assert organizer.params["CN"] == ["Mentoring-Programm"]


def test_request_invites_both_attendees_with_rsvp_and_needs_action() -> None:
    people = attendees_by_address(read_back(build_request(invitation())).vevent)
    assert set(people) == {"mailto:mia.mentee@example.org", "mailto:max.mentor@example.com"}
    for params in people.values():
        assert params["RSVP"] == ["TRUE"]
        assert params["PARTSTAT"] == ["NEEDS-ACTION"]
        assert params["ROLE"] == ["REQ-PARTICIPANT"]
    assert people["mailto:mia.mentee@example.org"]["CN"] == ["Mia Müller"]
    assert people["mailto:max.mentor@example.com"]["CN"] == ["Brandt, Max"]


def test_request_carries_a_vtimezone_for_its_tzid_and_the_intended_local_time() -> None:
    calendar = read_back(build_request(invitation()))
    assert calendar.vtimezone.tzid.value == "Europe/Berlin"
    start = calendar.vevent.dtstart.value
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2026, 4, 14, 17, 0)
    assert start.utcoffset() == timedelta(hours=2)  # computed by vobject from our VTIMEZONE (CEST)
    assert calendar.vevent.dtend.value.astimezone(UTC) == datetime(2026, 4, 14, 16, 0, tzinfo=UTC)


def test_request_written_in_the_meeting_zone_even_when_given_in_utc() -> None:
    ics = build_request(invitation(start=datetime(2026, 4, 14, 15, 0, tzinfo=UTC),
                                   end=datetime(2026, 4, 14, 16, 0, tzinfo=UTC)))
    assert b"DTSTART;TZID=Europe/Berlin:20260414T170000" in ics


def test_online_meeting_puts_the_link_in_url_and_location() -> None:
    event = read_back(build_request(invitation(location=None, url="https://meet.example.org/mia-max"))).vevent
    assert event.url.value == "https://meet.example.org/mia-max"
    assert event.location.value == "https://meet.example.org/mia-max"  # Outlook and Google show only LOCATION


def test_meeting_in_person_has_no_url() -> None:
    assert not hasattr(read_back(build_request(invitation())).vevent, "url")


# --- time zones -----------------------------------------------------------------------------------------------

def test_berlin_meeting_across_the_march_dst_change_keeps_the_wall_clock() -> None:
    before = read_back(build_request(invitation(start=datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN),
                                                end=datetime(2026, 3, 28, 11, 0, tzinfo=BERLIN))))
    after = read_back(build_request(invitation(start=datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN),
                                               end=datetime(2026, 3, 30, 11, 0, tzinfo=BERLIN))))
    assert before.vevent.dtstart.value.hour == after.vevent.dtstart.value.hour == 10
    assert before.vevent.dtstart.value.astimezone(UTC).hour == 9  # CET
    assert after.vevent.dtstart.value.astimezone(UTC).hour == 8  # CEST


def test_meeting_spanning_the_night_of_the_dst_change_lasts_one_real_hour() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # 01:30 CET
    end = datetime(2026, 3, 29, 1, 30, tzinfo=UTC).astimezone(BERLIN)  # 03:30 CEST, one real hour later
    event = read_back(build_request(invitation(start=start, end=end))).vevent
    assert (event.dtstart.value.hour, event.dtend.value.hour) == (1, 3)
    assert event.dtend.value.astimezone(UTC) - event.dtstart.value.astimezone(UTC) == timedelta(hours=1)


def test_new_york_meeting_has_its_own_vtimezone_and_local_time() -> None:
    ics = build_request(invitation(tzid="America/New_York",
                                   start=datetime(2026, 11, 2, 9, 0, tzinfo=NEW_YORK),
                                   end=datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK)))
    calendar = read_back(ics)
    assert calendar.vtimezone.tzid.value == "America/New_York"
    assert b"DTSTART;TZID=America/New_York:20261102T090000" in ics
    assert calendar.vevent.dtstart.value.astimezone(UTC) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # EST


def test_every_tzid_used_has_a_vtimezone() -> None:
    calendar = read_back(build_request(invitation()))
    used = {calendar.vevent.dtstart.params.get("X-VOBJ-ORIGINAL-TZID", [None])[0]}
    assert used <= {tz.tzid.value for tz in calendar.vtimezone_list}


# --- CANCEL and DECLINECOUNTER -----------------------------------------------------------------------------

def test_cancel_has_the_same_uid_a_higher_sequence_and_status_cancelled() -> None:
    calendar = read_back(build_cancel(invitation(sequence=1)))
    assert calendar.method.value == "CANCEL"
    assert calendar.vevent.uid.value == "meeting-42@mentoring.example.org"
    assert int(calendar.vevent.sequence.value) == 1
    assert calendar.vevent.status.value == "CANCELLED"
    assert len(calendar.vevent.attendee_list) == 2


def test_decline_counter_names_only_the_proposer_and_says_why() -> None:
    ics = build_decline_counter(invitation(sequence=3), "MAX.MENTOR@example.com", "Leider passt nur Dienstag.")
    event = read_back(ics).vevent
    assert read_back(ics).method.value == "DECLINECOUNTER"
    assert (event.uid.value, int(event.sequence.value)) == ("meeting-42@mentoring.example.org", 3)
    assert [line.value for line in event.attendee_list] == ["mailto:max.mentor@example.com"]
    assert event.organizer.value == "mailto:meetings+t0k3n@mentoring.example.org"
    assert event.comment.value == "Leider passt nur Dienstag."
    assert not hasattr(event, "dtstart")


# --- stable output and validation ------------------------------------------------------------------------------

def test_same_invitation_gives_the_same_bytes() -> None:
    assert build_request(invitation()) == build_request(invitation())
    assert build_request(invitation(sequence=1)) != build_request(invitation())


def test_lines_end_in_crlf_and_are_folded_at_75_octets() -> None:
    ics = build_request(invitation(description="Ä" * 200))
    lines = ics.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75


def test_quotes_in_names_do_not_reach_the_cn_parameter() -> None:
    ics = build_request(invitation(attendees=(Attendee("a@example.org", 'Anna "Ani" Alt'),)))
    assert read_back(ics).vevent.attendee.params["CN"] == ["Anna 'Ani' Alt"]


@pytest.mark.parametrize("changes", [
    {"start": datetime(2026, 4, 14, 17, 0)},
    {"end": datetime(2026, 4, 14, 16, 0, tzinfo=BERLIN)},
    {"tzid": "Mars/Olympus_Mons"},
    {"sequence": -1},
    {"uid": " "},
])
def test_impossible_invitations_are_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        invitation(**changes)


# --- the MIME part and a whole mail ----------------------------------------------------------------------

def test_mime_part_says_text_calendar_utf8_and_the_method_unquoted() -> None:
    part = imip_mime_part(build_request(invitation()), "request")
    assert b"\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\n" in part.as_bytes()
    assert part.get_param("method") == "REQUEST" and part.get_content_charset() == "utf-8"
    assert part.get_content_type() == "text/calendar"
    assert part["Content-Disposition"] is None
    assert part["MIME-Version"] is None


def test_mime_part_carries_the_exact_bytes() -> None:
    ics = build_request(invitation())
    part = imip_mime_part(ics, "REQUEST")
    assert part["Content-Transfer-Encoding"] == "base64"
    assert base64.b64decode(part.get_payload()) == ics


def test_mime_method_must_match_the_method_inside() -> None:
    with pytest.raises(ValueError):
        imip_mime_part(build_cancel(invitation(sequence=1)), "REQUEST")


def test_invitation_mail_in_multipart_alternative_is_read_back_by_our_own_parser() -> None:
    message = EmailMessage(policy=default_policy)
    message["Subject"] = "Einladung: Treffen 2"
    message.set_content("Treffen am 14.4.2026 um 17 Uhr.")
    message.add_alternative("<p>Treffen am 14.4.2026 um 17 Uhr.</p>", subtype="html")
    message.attach(imip_mime_part(build_request(invitation()), "REQUEST"))
    wire = message.as_bytes(policy=SMTP)
    assert b"Content-Type: text/calendar; charset=UTF-8; method=REQUEST\r\n" in wire
    sent = email.message_from_bytes(wire, policy=default_policy)
    assert [part.get_content_type() for part in sent.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    [answer] = read_calendar_answers(sent)
    assert (answer.method, answer.uid, answer.sequence) == ("REQUEST", "meeting-42@mentoring.example.org", 0)
    assert answer.start == datetime(2026, 4, 14, 15, 0, tzinfo=UTC)
    assert {person.email for person in answer.attendees} == {"mia.mentee@example.org", "max.mentor@example.com"}


def test_our_cancel_is_read_back_by_our_own_parser() -> None:
    [answer] = read_ics(build_cancel(invitation(sequence=1)))
    assert (answer.method, answer.sequence) == ("CANCEL", 1)
    assert answer.organizer == "meetings+t0k3n@mentoring.example.org"


def test_decline_counter_without_comment_has_no_comment_line() -> None:
    ics = build_decline_counter(invitation(), "mia.mentee@example.org", "")
    assert b"COMMENT" not in ics
    assert read_back(ics).vevent.attendee.params["CN"] == ["Mia Müller"]
