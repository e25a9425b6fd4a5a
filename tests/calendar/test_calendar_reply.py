"""Scenarios: calendar answers from real clients arrive by mail and are read as plain facts, never crashing."""
from __future__ import annotations

import email
import mailbox
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.parsers.calendar_relay import relayed_for
from mailflow.parsers.calendar_reply import (
    CalendarAnswer, find_calendar_parts, read_calendar, read_calendar_answers, read_ics,
    read_ics_reading,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imip"
ALL_FIXTURES = sorted(path.name for path in FIXTURES.iterdir() if path.name != "SOURCES.md")
UTC = timezone.utc
# How many calendar objects each real file holds, where that is not one: none in a mail without a
# calendar part, in a bounce, in a VEVENT without UID, or in an mbox read as one file.
ANSWER_COUNTS = {"apple-ical3_reply_missing-calendar-part.eml": 0,
                 "ccs_symantec-dsn_with-returned-imip-invitation.eml": 0,
                 "exchange-cdo_request_odd-tzid_byday-with-spaces.ics": 0,
                 "rfc2446-examples_all-methods_incl-COUNTER-DECLINECOUNTER.ics": 42,
                 "rfc2447-imip-mail-examples_mbox.txt": 0,
                 "tine20_request_de-subject_einladung-zum-termin.eml": 2}


def mail(name: str) -> EmailMessage:
    return email.message_from_bytes((FIXTURES / name).read_bytes(), policy=default_policy)


def answers(name: str) -> list[CalendarAnswer]:
    if name.endswith(".ics"):
        return read_ics((FIXTURES / name).read_bytes())
    return read_calendar_answers(mail(name))


def only(name: str) -> CalendarAnswer:
    found = answers(name)
    assert len(found) == 1, found
    return found[0]


def ics_mail(ics: str, content_type: str = "text/calendar; charset=UTF-8; method=REPLY") -> EmailMessage:
    raw = f"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{ics}"
    return email.message_from_bytes(raw.encode("utf-8"), policy=default_policy)


def vevent(*lines: str, method: str = "METHOD:REPLY") -> str:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"] + ([method] if method else [])
    return "\r\n".join(head + ["BEGIN:VEVENT", "UID:u-1", "DTSTAMP:20260101T000000Z", *lines,
                               "END:VEVENT", "END:VCALENDAR", ""])


# --- every real file is read without an exception -------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_real_calendar_file_is_read_without_crashing(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    reading = read_ics_reading(data) if name.endswith(".ics") else read_calendar(mail(name))
    assert len(reading.answers) == ANSWER_COUNTS.get(name, 1), reading.problems
    for answer in reading.answers:
        assert answer.uid and answer.method == answer.method.upper()
        assert all(moment is None or moment.utcoffset().total_seconds() == 0
                   for moment in (answer.start, answer.end, answer.recurrence_id))
        assert all(person.email == person.email.lower() and not person.email.startswith("mailto:")
                   for person in answer.attendees)


def test_every_imip_example_mail_in_the_rfc2447_mbox_is_found() -> None:
    box = mailbox.mbox(FIXTURES / "rfc2447-imip-mail-examples_mbox.txt", create=False)
    found = [read_calendar_answers(email.message_from_bytes(message.as_bytes(), policy=default_policy))
             for message in box]
    assert len(found) >= 3
    assert all(found), "each RFC 2447 example carries one calendar object"
    assert {answer.method for answers_of_mail in found for answer in answers_of_mail} >= {"REQUEST"}


# --- replies from the big clients -----------------------------------------------------------------------------

def test_google_calendar_reply_accepted_names_the_guest_and_the_meeting() -> None:
    answer = only("google-calendar_reply_accepted.ics")
    assert (answer.method, answer.uid, answer.sequence) == ("REPLY", "cccc@nylas.com", 0)
    assert answer.organizer == "test2@example.com"
    assert [(p.email, p.partstat, p.name) for p in answer.attendees] == [
        ("karim@example.com", "ACCEPTED", "Karim Hamidou")]
    assert answer.start == datetime(2015, 4, 1, 14, 0, tzinfo=UTC)


def test_google_calendar_reply_declined_says_declined() -> None:
    assert only("google-calendar_reply_declined.ics").attendee("Karim@Example.com").partstat == "DECLINED"


def test_google_calendar_reply_tentative_says_tentative() -> None:
    assert only("google-calendar_reply_tentative.ics").attendee("test1@example.com").partstat == "TENTATIVE"


def test_thunderbird_reply_accepted_with_german_subject() -> None:
    answer = only("thunderbird-lightning_reply_accepted_de-subject.eml")
    assert answer.method == "REPLY"
    assert answer.uid == "4f0162146d61cb2c06cbe2abf94636f4526abe16"
    assert answer.organizer == "l.kneschke@caldav.org"
    assert answer.attendee("tine20admin@caldav.net").partstat == "ACCEPTED"
    assert answer.attendee("tine20admin@caldav.net").name == "External, Caldav"


def test_thunderbird_reply_declined_with_german_subject() -> None:
    answer = only("thunderbird-lightning_reply_declined_de-subject.eml")
    assert (answer.method, answer.attendees[0].partstat) == ("REPLY", "DECLINED")


def test_apple_ical3_reply_in_a_quoted_printable_attachment_without_method_param() -> None:
    answer = only("apple-ical3_reply_accepted_qp-attachment.eml")
    assert (answer.method, answer.sequence) == ("REPLY", 7)
    assert answer.organizer == "ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@example.com"
    assert answer.attendee("xyzzy@example.com").partstat == "ACCEPTED"


def test_apple_ical5_reply_accepted_keeps_the_umlaut_in_the_name() -> None:
    answer = only("apple-ical5_reply_accepted_x-moz-lastack.ics")
    assert (answer.method, answer.sequence, answer.organizer) == ("REPLY", 1, "unittest@tine20.org")
    assert answer.attendee("mail@corneliusweiss.de").partstat == "ACCEPTED"
    assert answer.attendee("mail@corneliusweiss.de").name == "Weiß, Cornelius"


def test_outlook_reply_via_zimbra_connector_is_accepted_in_los_angeles_time() -> None:
    answer = only("outlook2010_via-zimbra-connector_reply_accepted.eml")
    assert answer.method == "REPLY"
    assert answer.organizer is None  # Outlook left ORGANIZER out of this reply
    assert answer.attendee("rcpt@zimbra.com").partstat == "ACCEPTED"
    assert answer.start == datetime(2012, 4, 24, 23, 0, tzinfo=UTC)  # 16:00 PDT
    assert answer.comment == ""  # COMMENT:\n is no comment


# --- the RFC 2446 examples: COUNTER, DECLINECOUNTER, delegation, CANCEL ---------------------------------------

def rfc2446(method: str) -> list[CalendarAnswer]:
    return [a for a in answers("rfc2446-examples_all-methods_incl-COUNTER-DECLINECOUNTER.ics") if a.method == method]


def test_rfc2446_counter_proposes_a_new_time_with_a_comment() -> None:
    counter = rfc2446("COUNTER")[0]
    assert counter.uid == "calsrv.example.com-873970198738777a@example.com"
    assert counter.start == datetime(1997, 7, 1, 16, 0, tzinfo=UTC)
    assert counter.end == datetime(1997, 7, 1, 19, 0, tzinfo=UTC)
    assert counter.location == "Green Conference Room"
    assert counter.comment.startswith("This time works much better")


def test_rfc2446_counter_for_one_occurrence_carries_its_recurrence_id() -> None:
    counter = next(a for a in rfc2446("COUNTER") if a.uid == "guid-1@host1.com")
    assert (counter.sequence, counter.recurrence_id) == (4, datetime(1997, 7, 15, 21, 0, tzinfo=UTC))


def test_rfc2446_declinecounter_is_read_with_its_comment() -> None:
    [decline] = rfc2446("DECLINECOUNTER")
    assert decline.uid == "calsrv.example.com-873970198738777@example.com"
    assert decline.organizer == "a@example.com"
    assert decline.comment == "Sorry, I cannot change this meeting time"


def test_rfc2446_delegation_names_the_delegate() -> None:
    delegated = [p for a in rfc2446("REPLY") for p in a.attendees if p.partstat == "DELEGATED"]
    assert delegated and delegated[0].email == "c@example.com"
    assert delegated[0].delegated_to == ("e@example.com",)


def test_rfc2446_file_yields_every_vevent_of_every_vcalendar() -> None:
    methods = {a.method for a in answers("rfc2446-examples_all-methods_incl-COUNTER-DECLINECOUNTER.ics")}
    assert methods >= {"PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER"}


# --- cancellations ------------------------------------------------------------------------------------------

def test_google_calendar_cancel() -> None:
    answer = only("google-calendar_cancel.ics")
    assert (answer.method, answer.uid, answer.sequence) == ("CANCEL", "c74p2nmutcd0kt69ku7rs8vu2g@google.com", 1)


def test_icloud_cancel_in_paris_time() -> None:
    answer = only("icloud-calendarserver_cancel.ics")
    assert (answer.method, answer.sequence) == ("CANCEL", 1)
    assert answer.start == datetime(2015, 3, 31, 2, 30, tzinfo=UTC)  # 04:30 Europe/Paris (CEST)


def test_tine20_cancel_with_german_subject() -> None:
    answer = only("tine20_cancel_de-subject_wurde-abgesagt.eml")
    assert answer.method == "CANCEL"
    assert answer.attendee("j.loew@caldav.org").name == "Löw, Jogi"


def test_cancel_with_invalid_quoted_printable_escapes_is_still_read() -> None:
    answer = only("cancel_single_invalid-qp-escapes.eml")
    assert (answer.method, answer.uid) == ("CANCEL", "02e79b96")
    assert answer.organizer == "sender@example.com"
    assert [(p.email, p.name, p.partstat) for p in answer.attendees][1] == (
        "receiver@example.com", "Receiver", "NEEDS-ACTION")


def test_cancel_of_a_recurring_meeting_without_dtstart_still_names_the_meeting() -> None:
    answer = only("gmail-style_cancel_recurring_missing-DTSTART-VERSION-PRODID.eml")
    assert (answer.method, answer.uid, answer.start) == ("CANCEL", "02e79b96", None)


# --- where the calendar hides, and which METHOD counts ----------------------------------------------------

def test_method_inside_the_object_wins_over_the_mime_parameter() -> None:
    assert only("meetup_content-type-request_but-METHOD-PUBLISH.eml").method == "PUBLISH"


def test_mime_method_is_used_when_the_object_has_none() -> None:
    mail_ = ics_mail(vevent("ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@example.org", method=""))
    assert read_calendar_answers(mail_)[0].method == "REPLY"


def test_no_method_anywhere_gives_an_empty_method() -> None:
    assert only("zoom_request_attachment-only_no-method.eml").method == ""


def test_text_calendar_without_method_param_uses_method_inside() -> None:
    assert only("proton-bridge_request_no-method-content-type-param.eml").method == "REQUEST"


def test_application_ics_as_the_only_calendar_part_is_found() -> None:
    assert only("google_request_only-application-ics-part.eml").uid.startswith("69d4c40b4a274636bf23517938df96")


def test_mixed_case_content_type_with_base64_is_found() -> None:
    assert only("aspnetemail_publish_mixed-case-content-type_base64.eml").summary == "Haircut"


def test_google_invitation_sent_twice_in_one_mail_is_read_once() -> None:
    message = mail("google-calendar_request_meet_qp-plus-application-ics.eml")
    assert len(find_calendar_parts(message)) == 1
    assert only("google-calendar_request_meet_qp-plus-application-ics.eml").method == "REQUEST"


def test_mail_without_calendar_part_has_no_answer() -> None:
    assert answers("apple-ical3_reply_missing-calendar-part.eml") == []


def test_calendar_inside_a_bounced_message_is_not_an_answer() -> None:
    message = mail("ccs_symantec-dsn_with-returned-imip-invitation.eml")
    assert find_calendar_parts(message) == [] and read_calendar_answers(message) == []


def test_old_exchange_calendar_with_bare_cr_line_ends_is_read() -> None:
    answer = only("exchange2003-cdo_request_8bit.eml")
    assert answer.summary == "Test cross day"
    assert answer.start == datetime(2005, 5, 20, 0, 0, tzinfo=UTC)  # 17:00 Pacific daylight time


# --- addresses ---------------------------------------------------------------------------------------------

def test_icloud_proxy_organizer_gives_the_real_address_from_email_param() -> None:
    assert only("icloud_request_full-message_french-rfc2047-subject.eml").organizer == "dontspam@khamidou.com"


def test_organizer_without_mailto_is_read() -> None:
    assert only("ios-iphone_request_organizer-without-mailto_de.eml").organizer == "unittest@tine20.org"
    assert only("google-calendar_reply_organizer-with-partstat_no-mailto.ics").organizer == "unittest@tine20.org"


def test_uppercase_mailto_is_stripped_and_lowercased() -> None:
    answer = only("exchange2010_request_windows-tzid_uppercase-MAILTO.ics")
    assert answer.organizer == "inbox.apptest2@inboxapp.onmicrosoft.com"
    assert answer.attendees[0].email == "karim@nilas.com"


def test_reply_missing_organizer_and_attendee_is_read_with_nobody() -> None:
    answer = only("apple-ical3_reply_missing-organizer-and-attendee.eml")
    assert (answer.organizer, answer.attendees) == (None, ())


def test_folded_attendee_parameters_are_read() -> None:
    ics = vevent("ATTENDEE;CN=\"Brandt, Bo\";PARTSTAT=TENT", " ATIVE;RSVP=TRUE:MailTo:Bo@Example.ORG")
    person = read_calendar_answers(ics_mail(ics))[0].attendees[0]
    assert (person.email, person.partstat, person.name) == ("bo@example.org", "TENTATIVE", "Brandt, Bo")


def test_attendee_without_partstat_needs_action() -> None:
    ics = vevent("ATTENDEE:mailto:bo@example.org")
    assert read_calendar_answers(ics_mail(ics))[0].attendees[0].partstat == "NEEDS-ACTION"


# --- times --------------------------------------------------------------------------------------------------

def test_windows_tzid_w_europe_standard_time_is_berlin() -> None:
    answer = only("outlook-com_request_base64_w-europe-standard-time.eml")
    assert answer.start == datetime(2025, 2, 26, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_windows_tzid_without_vtimezone_is_mapped() -> None:
    ics = vevent("DTSTART;TZID=W. Europe Standard Time:20260715T100000")
    assert read_calendar_answers(ics_mail(ics))[0].start == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)


def test_exchange_gmt_label_tzid_without_vtimezone_uses_the_named_city_with_dst() -> None:
    ics = vevent('DTSTART;TZID="(GMT+01.00) Sarajevo/Warsaw/Zagreb":20260715T100000',
                 'DTEND;TZID="(GMT+01.00) Sarajevo/Warsaw/Zagreb":20260115T100000')
    answer = read_calendar_answers(ics_mail(ics))[0]
    assert answer.start == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)  # summer: +02:00
    assert answer.end == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # winter: +01:00


def test_gmt_offset_label_without_city_falls_back_to_the_fixed_offset() -> None:
    ics = vevent('DTSTART;TZID="(GMT-05.00) Somewhere Unknown":20260715T100000')
    assert read_calendar_answers(ics_mail(ics))[0].start == datetime(2026, 7, 15, 15, 0, tzinfo=UTC)


def test_exchange_gmt_label_with_its_vtimezone() -> None:
    assert only("exchange2003-cdo_request_gmt-label-tzid.eml").start == datetime(2012, 3, 16, 17, 0, tzinfo=UTC)


def test_unknown_tzid_without_vtimezone_is_read_in_the_callers_zone() -> None:
    data = (FIXTURES / "google-calendar_request_bad-timezone.ics").read_bytes()
    assert read_ics(data)[0].start == datetime(2019, 2, 5, 15, 0, tzinfo=UTC)
    in_sao_paulo = read_ics(data, default_tz=ZoneInfo("America/Sao_Paulo"))[0]
    assert in_sao_paulo.start == datetime(2019, 2, 5, 17, 0, tzinfo=UTC)  # BRST, -02:00 in February 2019


def test_floating_time_is_read_in_the_callers_zone() -> None:
    ics = vevent("DTSTART:20260715T100000", "DURATION:PT45M")
    answer = read_calendar_answers(ics_mail(ics), default_tz=ZoneInfo("Europe/Berlin"))[0]
    assert answer.start == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)
    assert answer.end == datetime(2026, 7, 15, 8, 45, tzinfo=UTC)


def test_all_day_event_starts_at_midnight_utc_and_says_so() -> None:
    answer = only("blackberry-bis_request_all-day.ics")
    assert answer.all_day
    assert answer.start == datetime(2012, 8, 14, tzinfo=UTC)


# --- broken input -------------------------------------------------------------------------------------------

def test_absurd_13_digit_sequence_is_clamped() -> None:
    assert only("google-calendar_request_bogus-13-digit-sequence.ics").sequence == 2**31 - 1


def test_non_numeric_sequence_counts_as_zero() -> None:
    assert read_calendar_answers(ics_mail(vevent("SEQUENCE:abc")))[0].sequence == 0


def test_vevent_without_uid_is_skipped_and_named_as_a_problem() -> None:
    reading = read_ics_reading((FIXTURES / "exchange-cdo_request_odd-tzid_byday-with-spaces.ics").read_bytes())
    assert reading.answers == ()
    assert any("UID" in problem for problem in reading.problems)


def test_garbage_calendar_part_gives_a_problem_not_an_exception() -> None:
    reading = read_calendar(ics_mail("BEGIN:VCALENDAR\r\n\x00\x01 nonsense ;;; \r\nBEGIN:VEVENT\r\n"))
    assert reading.answers == ()
    assert reading.problems


def test_one_broken_vcalendar_does_not_hide_the_next_one() -> None:
    broken = "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nthis line is not a content line\r\n"
    good = vevent("ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@example.org")
    found = read_ics((broken + "END:VEVENT\r\nEND:VCALENDAR\r\n" + good).encode())
    assert [a.attendees[0].partstat for a in found] == ["ACCEPTED"]


def test_windows_1252_calendar_bytes_are_decoded() -> None:
    data = vevent("SUMMARY:Gespräch").encode("cp1252")
    assert read_ics(data)[0].summary == "Gespräch"


@pytest.mark.parametrize("name", [name for name in ALL_FIXTURES if name.endswith((".ics", ".eml"))])
def test_calendar_cut_off_in_transit_is_read_without_crashing(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    for cut in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        read_ics_reading(data[:cut])
        read_calendar(email.message_from_bytes(data[:cut], policy=default_policy))
    assert read_ics_reading(b"").answers == () and read_ics_reading(b"").problems


# --- whom a calendar service's mail speaks for --------------------------------------------------------------

ICLOUD = "noreply@insideicloud.icloud.com"


def test_the_icloud_invitation_speaks_for_its_organizer_behind_the_proxy() -> None:
    invitation = mail("icloud_request_full-message_french-rfc2047-subject.eml")
    assert relayed_for(ICLOUD, invitation) == "dontspam@khamidou.com"


def test_a_relayed_answer_speaks_for_its_one_attendee() -> None:
    answer = ics_mail(vevent("ATTENDEE;PARTSTAT=ACCEPTED:mailto:Otto@Example.org"))
    assert relayed_for(ICLOUD, answer) == "otto@example.org"


def test_a_relayed_answer_naming_two_attendees_speaks_for_nobody() -> None:
    answer = ics_mail(vevent("ATTENDEE;PARTSTAT=ACCEPTED:mailto:otto@example.org",
                             "ATTENDEE;PARTSTAT=ACCEPTED:mailto:eve@example.net"))
    assert relayed_for(ICLOUD, answer) is None


def test_only_known_calendar_services_speak_for_someone_else() -> None:
    answer = ics_mail(vevent("ATTENDEE;PARTSTAT=ACCEPTED:mailto:otto@example.org"))
    assert relayed_for("noreply@calendar.example", answer) is None
    assert relayed_for(None, answer) is None
