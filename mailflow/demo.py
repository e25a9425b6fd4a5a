"""`python run.py demo`: one whole mentorship played through the real SMTP path of a throwaway
instance (its own SQLite file, its own SMTP receiver on a free port, outgoing mail as .eml files),
printing every mail as it goes.

Import -> mentors -> request -> accept -> agreement -> approval -> meeting invitation -> acceptance
by a calendar REPLY -> feedback -> END -> YES -> certificates. The meeting steps run when the
meetings module is installed."""
from __future__ import annotations

import email
import importlib.util
import re
import smtplib
import socket
import tempfile
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid, parseaddr
from pathlib import Path

from .clock import FixedClock
from .config import load_settings

DOMAIN = "demo.localhost"
MENTEE, MENTOR, COORDINATOR = "zoe@example.org", "minh@example.org", "coordinator@example.org"
PEOPLE = ("email,name,role,language,timezone,topics,capacity\n"
          "zoe@example.org,Zoë Łukasiewicz-Öztürk,mentee,en,Europe/Berlin,"
          "Career planning;Public speaking,\n"
          "minh@example.org,Nguyễn Thị Minh Khai,mentor,en,Europe/Berlin,"
          "Career planning;Leadership,2\n")
AGREEMENT = ("Period from: 2026-12-01\nPeriod until: 2027-05-31\nNumber of meetings: 6\n"
             "Kind of contact: Video\nFrequency of contact: every three weeks\nTopic plan:\n"
             "1. Career plan\n2. Public speaking\n3. Networking\n")
MEETING = ("Date: 2026-12-10\nTime: 15:00\nDuration: 60\nPlace: https://meet.example/zoe-minh\n"
           "Topic: Looking back on the mentorship\nClosing meeting: yes\n")


class Demo:
    """A throwaway mailflow and the two people who write to it."""

    def __init__(self, folder: Path, out=print) -> None:
        self.folder, self.out = folder, out
        self.settings = load_settings({
            "MAILFLOW_HOME": str(folder), "MAILFLOW_DOMAIN": DOMAIN,
            "MAILFLOW_PROGRAMME": "Mentoring Demo",
            "MAILFLOW_SMTP_LISTEN": f"127.0.0.1:{_free_port()}",
            "MAILFLOW_COORDINATORS": COORDINATOR, "MAILFLOW_LANGUAGE": "en",
            "MAILFLOW_SECRET": "demo-secret"}, toml_path=folder / "absent.toml")
        self.clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
        from .app import build_app
        self.app = build_app(self.settings, self.clock)
        self.seen: set[Path] = set()

    def write(self, sender: str, to: str, subject: str, body: str, *,
              in_reply_to: str | None = None, attachment: tuple[str, str, bytes] | None = None,
              calendar: str | None = None) -> list:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message["Message-ID"] = make_msgid(domain="client.example")
        if in_reply_to:
            message["In-Reply-To"] = message["References"] = in_reply_to
        message.set_content(body)
        if calendar is not None:
            message.add_alternative(calendar.encode(), maintype="text", subtype="calendar",
                                    params={"method": "REPLY"})
        if attachment is not None:
            name, kind, payload = attachment
            message.add_attachment(payload, maintype=kind.split("/")[0], subtype=kind.split("/")[1],
                                   filename=name)
        first = body.strip().splitlines()[0] if body.strip() else ""
        wrote = f"  (writes: {first})" if first and first != subject else ""
        self.out(f"  -> {sender} to {to}: {subject}{wrote}")
        with smtplib.SMTP(*self.settings.smtp_host_port, timeout=20) as client:
            client.send_message(message, from_addr=sender, to_addrs=[to])
        return self.settle()

    def reply(self, mail, sender: str, body: str, subject: str | None = None) -> list:
        to = parseaddr(mail["Reply-To"] or mail["From"])[1]
        return self.write(sender, to, subject or f"Re: {mail['Subject']}", body,
                          in_reply_to=mail["Message-ID"])

    def settle(self) -> list:
        """Process what arrived, send what it caused, and show the new mails."""
        self.app.worker.drain()
        self.app.dispatcher.drain()
        new = sorted(p for p in self.settings.outbox_dir.glob("*.eml") if p not in self.seen)
        self.seen.update(new)
        mails = [email.message_from_bytes(p.read_bytes(), policy=default) for p in new]
        for mail in mails:
            attached = [p.get_filename() for p in mail.iter_attachments() if p.get_filename()]
            extra = f"  [{', '.join(attached)}]" if attached else ""
            self.out(f"  <- {parseaddr(mail['From'])[1]} to {parseaddr(mail['To'])[1]}: "
                     f"{' '.join(str(mail['Subject']).split())}{extra}")
        return mails

    def jobs(self, moment: datetime) -> list:
        from .jobs.scheduler import run_due
        self.clock.set(moment)
        self.out(f"  (time passes: {moment:%Y-%m-%d %H:%M} UTC; scheduled jobs run)")
        run_due(self.app, moment)
        return self.settle()


def one(mails: list, to: str, contains: str = ""):
    found = [m for m in mails if parseaddr(m["To"])[1] == to and contains in _text(m)]
    if not found:
        raise RuntimeError(f"demo: expected a mail to {to} containing {contains!r}")
    return found[0]


def play(demo: Demo) -> Path | None:
    """The whole mentorship; returns the mentee's certificate PDF."""
    step = lambda text: demo.out(f"\n{text}")  # noqa: E731
    _begin(demo, step)
    if importlib.util.find_spec("mailflow.flows.meetings") is not None:
        _meeting(demo, step)
    else:
        step("5.-7. (meetings are not installed in this version: "
             "invitation, calendar answer and feedback skipped)")
    return _end(demo, step)


def _begin(demo: Demo, step) -> None:
    """Steps 1-4: from the import of both people to the approved agreement."""
    hello, coordinators = demo.settings.hello_address, demo.settings.coordinators_address
    step("1. The coordinator imports two participants "
         "(IMPORT with a CSV, confirmed by a signed reply)")
    asked = demo.write(COORDINATOR, coordinators, "IMPORT", "IMPORT",
                       attachment=("people.csv", "text/csv", PEOPLE.encode()))
    demo.reply(one(asked, COORDINATOR), COORDINATOR, "YES")
    step("2. The mentee lists the mentors and requests one with the one-click link")
    listing = one(demo.write(MENTEE, hello, "MENTORS", "MENTORS"), MENTEE)
    request = demo.reply(listing, MENTEE,
                         "REQUEST nguyen-thi-minh-khai\nI would love to learn about leadership.",
                         subject="REQUEST nguyen-thi-minh-khai")
    step("3. The mentor accepts")
    accepted = demo.reply(one(request, MENTOR), MENTOR, "ACCEPT")
    step("4. The mentee fills in the agreement form; "
         "the mentor approves (both get the agreement PDF)")
    approval = demo.reply(one(accepted, MENTEE, "Period from"), MENTEE, AGREEMENT)
    demo.reply(one(approval, MENTOR), MENTOR, "APPROVE")


def _end(demo: Demo, step) -> Path:
    """Steps 8-10: END, the other side's YES, and a stranger verifying the certificate; returns
    where the mentee's certificate was saved."""
    hello = demo.settings.hello_address
    step("8. The mentee asks to end the mentorship (END to hello@, confirmed by a signed reply)")
    confirm = one(demo.write(MENTEE, hello, "END", "END\nThank you for these months!"), MENTEE)
    question = one(demo.reply(confirm, MENTEE, "YES"), MENTOR)
    step("9. The mentor agrees: the mentorship is complete and both get their certificate")
    completed = demo.reply(question, MENTOR, "YES")
    pdf = next(p for p in one(completed, MENTEE).iter_attachments()
               if p.get_content_type() == "application/pdf")
    target = demo.folder / pdf.get_filename()
    target.write_bytes(pdf.get_content())
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", pdf.get_filename()).group(0)
    step("10. Anyone can check the certificate")
    demo.write("hr@employer.example", hello, f"VERIFY {code}", f"VERIFY {code}")
    return target


def _meeting(demo: Demo, step) -> None:
    hello = demo.settings.hello_address
    step("5. The mentee proposes the closing meeting (MEETING, confirmed, then the meeting form)")
    asked = one(demo.write(MENTEE, hello, "MEETING", "MEETING"), MENTEE)
    form = one(demo.reply(asked, MENTEE, "YES"), MENTEE)
    invitations = demo.reply(form, MENTEE, MEETING)
    step("6. The mentor's calendar accepts the invitation "
         "(an iCalendar REPLY to the organizer address)")
    invitation = one(invitations, MENTOR)
    demo.write(MENTOR, _organizer(invitation), "Accepted: Looking back on the mentorship",
               "Accepted", calendar=_calendar_reply(invitation, MENTOR, demo.clock.now()))
    step("7. After the meeting both are asked for feedback, and answer")
    forms = demo.jobs(datetime(2026, 12, 10, 15, 5, tzinfo=timezone.utc))
    for person, rating in ((MENTEE, 5), (MENTOR, 4)):
        demo.reply(one(forms, person), person,
                   f"Took place: yes\nRating: {rating}\nComment: a good ending")
    demo.clock.set(datetime(2026, 12, 11, 9, 0, tzinfo=timezone.utc))


def _calendar_part(mail) -> str:
    return next(p for p in mail.walk() if p.get_content_type() == "text/calendar").get_content()


def _organizer(mail) -> str:
    return re.search(r"ORGANIZER[^:\r\n]*:mailto:([^\s]+)", _unfold(_calendar_part(mail)),
                     re.I).group(1)


def _calendar_reply(invitation, attendee: str, now: datetime) -> str:
    """What a calendar client sends when its user clicks "accept": METHOD:REPLY, same UID and
    SEQUENCE."""
    from icalendar import Calendar, Event, vCalAddress
    event = next(c for c in Calendar.from_ical(_calendar_part(invitation)).walk("VEVENT"))
    reply, answer = Calendar(), Event()
    reply.add("prodid", "-//mailflow demo//calendar client//EN")
    reply.add("version", "2.0")
    reply.add("method", "REPLY")
    for name in ("uid", "sequence", "dtstart", "dtend", "organizer", "summary"):
        if name in event:
            answer[name] = event[name]
    answer.add("dtstamp", now)
    person = vCalAddress(f"mailto:{attendee}")
    person.params["PARTSTAT"] = "ACCEPTED"
    answer.add("attendee", person)
    reply.add_component(answer)
    return reply.to_ical().decode()


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", text)


def _text(mail) -> str:
    body = mail.get_body(("plain",))
    return body.get_content() if body else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_demo(folder: str | None = None, out=print) -> int:
    """Play the demo in folder (a new temporary one by default); 0 when every step worked."""
    from .receive.smtp import smtp_controller
    place = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="mailflow-demo-"))
    place.mkdir(parents=True, exist_ok=True)
    demo = Demo(place, out)
    controller, handler = smtp_controller(demo.settings, demo.app.ingest)
    controller.start()
    out(f"mailflow demo: a throwaway instance in {place}, "
        f"SMTP receiver on {demo.settings.smtp_listen}")
    try:
        certificate = play(demo)
    finally:
        controller.stop()
        handler.close()
        demo.app.store.dispose()
    out(f"\nDone. The mails lie in {demo.settings.outbox_dir} (one .eml file each),")
    out(f"the mentee's certificate in {certificate}.")
    return 0
