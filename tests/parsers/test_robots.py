"""Loop protection: robots are never answered, people always are; bounces name the address that failed."""
from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.parsers.bounce_reports import bounce_report
from mailflow.parsers.mime import parse_mail
from mailflow.parsers.robots import classify

FIXTURES = Path(__file__).parent.parent / "fixtures"
AUTOREPLIES = sorted((FIXTURES / "autoreplies").glob("*.eml"))
BOUNCES = sorted((FIXTURES / "bounces").glob("*.eml"))
REPLIES = sorted((FIXTURES / "mime").glob("*.eml"))
# Human replies that reached their recipient through a mailing list: the list headers are on the mail we would
# receive, and RFC 3834 says a list is never answered, whoever wrote the post.
VIA_MAILING_LIST = {
    "zimbra_eudora_at-time-wrote_original-message-in-quote.eml", "zimbra_groupwise_triple-angle-quote-header_qp.eml",
    "zimbra_lotus-notes5_reply.eml", "zimbra_outlook-express6_reply_iso-8859-1.eml",
    "zimbra_ximian-evolution_on-date-wrote.eml",
}
SENDER = "someone@example.org"


def mail_from(folder: str, name: str):
    return parse_mail((FIXTURES / folder / name).read_bytes())


def written(headers: str, body: str = "Hallo,\nich komme gern.\n") -> bytes:
    base = "From: Anna <anna@example.org>\nTo: reply+abc@mentoring.example\nSubject: Re: Treffen\n"
    return (base + headers + "\n" + body).encode()


@pytest.mark.parametrize("path", AUTOREPLIES + BOUNCES, ids=lambda p: p.name)
def test_no_auto_reply_or_bounce_is_taken_for_a_person(path: Path):
    automation = classify(parse_mail(path.read_bytes()), SENDER)
    assert automation.kind is not None, automation.reason


@pytest.mark.parametrize("path", [p for p in REPLIES if p.name not in VIA_MAILING_LIST], ids=lambda p: p.name)
def test_every_human_reply_is_answered(path: Path):
    automation = classify(parse_mail(path.read_bytes()), SENDER)
    assert automation.kind is None, automation.reason


@pytest.mark.parametrize("name", sorted(VIA_MAILING_LIST))
def test_a_human_post_delivered_by_a_mailing_list_is_not_answered(name: str):
    assert classify(mail_from("mime", name), SENDER).kind == "list"


@pytest.mark.parametrize("name, kind", [
    ("sisimai_rfc3834-01_away_auto-submitted.eml", "auto-reply"),
    ("sisimai_rfc3834-02_exchange_automatic-reply_no-auto-submitted.eml", "auto-reply"),
    ("sisimai_rfc3834-03_icloud_vacation_x-apple-action.eml", "auto-reply"),
    ("bounceparser_wp-pl_automatyczna-odpowiedz_iso-8859-2.eml", "bulk"),
    ("flanker_mdn_read-receipt_disposition-notification.eml", "read-receipt"),
    ("bounceparser_bluebottle_challenge-response.eml", "challenge"),
    ("bounceparser_boxbe_challenge-response_as-multipart-report.eml", "challenge"),
])
def test_kind_of_auto_reply(name: str, kind: str):
    assert classify(mail_from("autoreplies", name), SENDER).kind == kind


@pytest.mark.parametrize("name, kind", [
    ("flanker_arf-complaint_yahoo.eml", "complaint"),
    ("phpbh_hotmail_complaint_non-arf.eml", "complaint"),
    ("sisimai_postfix-01_dsn.eml", "bounce"),
    ("sisimai_qmail-02_failure-notice.eml", "bounce"),
    ("flufl_symantec-av_base64-utf8-subject.eml", "bounce"),
])
def test_kind_of_bounce_or_report(name: str, kind: str):
    assert classify(mail_from("bounces", name), SENDER).kind == kind


@pytest.mark.parametrize("headers, kind", [
    ("Auto-Submitted: auto-replied\n", "auto-reply"),
    ("Auto-Submitted: auto-generated\n", "auto-reply"),
    ("Precedence: bulk\n", "bulk"),
    ("Precedence: junk\n", "bulk"),
    ("Precedence: list\nList-Unsubscribe: <mailto:leave@lists.example>\n", "list"),
    ("List-Id: Mentoring <mentoring.lists.example>\n", "list"),
    ("X-Autoreply: yes\n", "auto-reply"),
    ("X-Autorespond: Abwesend\n", "auto-reply"),
    ("X-Auto-Response-Suppress: OOF\n", "auto-reply"),
    ("X-Apple-Action: VACATION/abc\n", "auto-reply"),
])
def test_robot_headers_are_never_answered(headers: str, kind: str):
    assert classify(parse_mail(written(headers)), SENDER).kind == kind


@pytest.mark.parametrize("subject", [
    "Automatic reply: Treffen", "Automatische Antwort: Treffen", "Abwesenheitsnotiz: Re: Treffen",
    "Out of Office: Treffen", "Out of Office AutoReply: Treffen", "Re: Treffen (Automatic Response)",
    "[Automatische Antwort] Treffen",
])
def test_auto_reply_subjects_are_never_answered(subject: str):
    raw = written("").replace(b"Subject: Re: Treffen", f"Subject: {subject}".encode())
    assert classify(parse_mail(raw), SENDER).kind == "auto-reply"


@pytest.mark.parametrize("subject", ["Re: Out of office next week?", "Treffen am Montag", "Re: automatic replies"])
def test_people_talking_about_absence_are_answered(subject: str):
    raw = written("").replace(b"Subject: Re: Treffen", f"Subject: {subject}".encode())
    assert classify(parse_mail(raw), SENDER).kind is None


def test_auto_submitted_no_is_a_person():
    assert classify(parse_mail(written("Auto-Submitted: no\n")), SENDER).kind is None


@pytest.mark.parametrize("envelope_from", ["", "<>"])
def test_empty_envelope_sender_is_never_answered(envelope_from: str):
    assert classify(parse_mail(written("")), envelope_from).kind == "bounce"


def test_return_path_stands_in_for_an_unknown_envelope():
    assert classify(parse_mail(written("Return-Path: <>\n")), None).kind == "bounce"
    assert classify(parse_mail(written("Return-Path: <anna@example.org>\n")), None).kind is None


def test_calendar_server_marking_does_not_silence_a_calendar_answer():
    mail = mail_from("mime", "eerp_apple-mail_multipart-alternative.eml")
    assert classify(mail, SENDER).kind is None
    raw = written("Precedence: bulk\nMIME-Version: 1.0\nContent-Type: text/calendar; method=REPLY\n",
                  "BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n")
    assert classify(parse_mail(raw), SENDER).kind is None


@pytest.mark.parametrize("name, recipients, permanent, status", [
    ("sisimai_postfix-01_dsn.eml", ("r@p351355.pool.example.ne.jp",), True, "5.1.1"),
    ("sisimai_sendmail-01_dsn.eml", ("userunknown@bouncehammer.jp",), True, "5.1.1"),
    ("sisimai_exchange2007-01_dsn.eml", ("mikeneko@example.co.jp",), True, "5.1.1"),
    ("flanker_office365-ndr_auto-submitted_huge-headers.eml", ("noname@example.com",), True, "5.1.10"),
    ("sisimai_icloud-rhost-01_dsn.eml", ("kijitora@example.jp",), True, "5.1.6"),
    ("bounceparser_exchange-dsn_charset-unicode-1-1-utf-7.eml", ("example@example.com",), True, "5.1.1"),
    ("flanker_no-mx.eml", ("user@example.com",), False, "4.4.4"),
    ("sisimai_sendmail-29_delayed-warning.eml",
     ("this-local-part-does-not-exist-on-the-system@y-mobile.ne.jp",), False, "4.5.0"),
    ("sisimai_rfc3464-07_delayed_via-mailing-list.eml", ("kijitora@example.net",), False, "4.4.0"),
    ("flufl_postfix-delayed-warning_via-mailman-list.eml", ("news-list.zope@localhost.bln.innominate.de",), False,
     "4.0.0"),
])
def test_rfc3464_delivery_status_names_the_failed_recipient(name, recipients, permanent, status):
    report = bounce_report(mail_from("bounces", name))
    assert (report.failed_recipients, report.permanent, report.status) == (recipients, permanent, status)


def test_a_dsn_for_several_recipients_lists_them_all():
    report = bounce_report(mail_from("bounces", "mailgem_postfix-dsn_multiple-recipients.eml"))
    assert len(report.failed_recipients) > 1 and report.permanent


@pytest.mark.parametrize("name, recipient, permanent", [
    ("sisimai_exim-01_plain.eml", "kijitora@example.ed.jp", True),
    ("sisimai_gmail-01_text-plain-iso-8859-1.eml", "userunknown@example.jp", True),
    ("sisimai_qmail-02_failure-notice.eml", "userunknown@example.jp", True),
    ("flufl_qmail-01_failure-notice.eml", "psadisc@wwwmail.n-h.de", True),
    ("sisimai_gmx-01_mailbox-full.eml", "shironeko@example.jp", True),
    ("sisimai_1und1-02_mailbox-size.eml", "kijitora@example.org", True),
    ("flufl_1und1-kundenserver_mail-delivery-failed.eml", "severin.xxx@t-online.de", True),
    ("sisimai_exchange2003-01_undeliverable.eml", "kijitora@example.jp", True),
    ("flufl_exchange55_undeliverable.eml", "djbennett@ikon.com", True),
    ("bounceparser_lotus-domino_user-unknown.eml", "recipient@example.net", True),
    ("sisimai_domino-01_text-plain-8bit.eml", "kijitora@example.jp", True),
    ("sisimai_office365-02_text-plain.eml", "kijitora@example.onmicrosoft.com", True),
    ("sisimai_opensmtpd-01.eml", "apdugoaidugoaidugoaeiudggadi@gmail.com", True),
    ("sisimai_yahoo-01_failure-notice.eml", "kijitora@example.org", True),
    ("sisimai_zoho-01.eml", "kijitora@example.co.jp", True),
    ("flanker_postmaster_undeliverable_inline-original.eml", "info@example.net", True),
    ("flufl_smtp32_undeliverable-mail.eml", "oliver@pcworld.com.ph", True),
    ("bounceparser_novell-groupwise_message-status-undeliverable.eml", "recipient@example.net", True),
    ("flufl_symantec-av_base64-utf8-subject.eml", "rlipton@prev.org", True),
    ("flufl_gmail_delay-dsn_via-list.eml", "luis.hiam@gmail.com", False),
    ("phpbh_exim_warning-delayed-72-hours.eml", "carla@towebs.com", False),
    ("flufl_yahoo_failure-delivery.eml", "subscribe.motorcycles@listsociety.com", False),  # 4.4.1: no connection
])
def test_non_standard_bounce_texts_name_the_failed_recipient(name: str, recipient: str, permanent: bool):
    report = bounce_report(mail_from("bounces", name))
    assert report.failed_recipients[0] == recipient
    assert report.permanent is permanent


def test_bounce_diagnostic_says_why():
    report = bounce_report(mail_from("bounces", "sisimai_1und1-02_mailbox-size.eml"))
    assert report.diagnostic.startswith("Mail size limit exceeded")
    report = bounce_report(mail_from("bounces", "sisimai_exchange2003-01_undeliverable.eml"))
    assert report.diagnostic == "The recipient name is not recognized"


@pytest.mark.parametrize("folder, name", [
    ("autoreplies", "sisimai_rfc3834-01_away_auto-submitted.eml"),
    ("autoreplies", "bounceparser_boxbe_challenge-response_as-multipart-report.eml"),
    ("bounces", "flanker_arf-complaint_yahoo.eml"),
    ("mime", "talon_gmail_multipart.eml"),
])
def test_an_auto_reply_complaint_or_person_is_no_bounce(folder: str, name: str):
    assert bounce_report(mail_from(folder, name)) is None
