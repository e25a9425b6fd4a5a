"""Mail built to hold a worker (thousands of parts, megabytes of one-line HTML or of invalid UTF-8, a huge
calendar) is read up to the parsers' caps: the person gets an answer, never a failed row. How long each
takes is printed by bench/hostile_mail.py, not asserted here."""
from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from mailflow.parsers.calendar_reply import read_calendar
from mailflow.parsers.mime import parse_mail
from mailflow.store.models import InboundMessage

from .support.mails import process, store_mail

HELLO = "hello@mentoring.test"


def mail(sender: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, HELLO, subject
    return message


def outcome(app) -> tuple[str, str]:
    with app.store.reading() as session:
        row = session.scalar(select(InboundMessage).order_by(InboundMessage.id.desc()))
        return row.state, row.outcome


def test_a_mail_of_thousands_of_parts_is_not_read_and_its_sender_is_told_so(app, sink):
    message = mail("ann@example.org", "HELP")
    message.set_content("HELP")
    for number in range(1_200):
        message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{number}")
    store_mail(app, message)
    process(app)
    [answer] = sink.wait_for(1)
    assert answer.rcpt_tos == ("ann@example.org",)
    assert "more parts than we read in one mail" in answer.text()
    assert outcome(app)[0] == "done" and "not read" in outcome(app)[1]


def test_megabytes_of_one_line_html_are_read_from_the_top(app, sink):
    message = mail("ben@example.org", "Question")
    message.set_content("<p>HELP</p>" + "<b>x</b>" * 400_000, subtype="html")
    store_mail(app, message)
    process(app)
    [answer] = sink.wait_for(1)
    assert answer.rcpt_tos == ("ben@example.org",) and "MENTORS" in answer.text()
    assert outcome(app)[0] == "done" and "help" in outcome(app)[1]


def test_megabytes_of_invalid_utf8_are_read_as_windows_1252(app, sink):
    message = mail("cem@example.org", "HELP")
    message.set_content(b"Gr\xfc\xdfe\n" + b"\xff\xfe" * 1_500_000, maintype="text", subtype="plain",
                        cte="8bit", params={"charset": "utf-8"})
    store_mail(app, message)
    process(app)
    [answer] = sink.wait_for(1)
    assert answer.rcpt_tos == ("cem@example.org",) and "MENTORS" in answer.text()
    assert outcome(app)[0] == "done"


def test_a_calendar_object_over_the_cap_is_skipped_not_parsed(app, sink):
    message = mail("dan@example.org", "HELP")
    message.set_content("HELP")
    huge = "BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\nX:y\r\n" * 20_000
    message.add_attachment(huge.encode(), maintype="text", subtype="calendar", filename="invite.ics")
    reading = read_calendar(parse_mail(message.as_bytes()).message)
    assert reading.answers == () and "not read (the most is 200,000)" in reading.problems[0]
    store_mail(app, message)
    process(app)
    assert outcome(app)[0] == "done"
    assert [m.rcpt_tos for m in sink.wait_for(1)] == [("dan@example.org",)]
