"""The coordinators' digest: attention first, every item with its one-click command, HTML with inlined CSS and
an inline chart that a browser shows, a text part, a fixed number of queries whatever the programme's size."""
from __future__ import annotations

import email
import io
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from email.policy import default

import pytest
from PIL import Image
from sqlalchemy import event

from mailflow.jobs import digest
from mailflow.store.models import (
    AgreementVersion, Feedback, InboundMessage, Meeting, Mentorship, OutboundMessage, Person,
)

from .conftest import make_settings
from .support.mails import process

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def seed(session, prefix: str = "", count: int = 1) -> None:
    """count copies of a small programme: one of each thing the digest shows."""
    def person(name: str, role: str, **extra) -> Person:
        p = Person(email=f"{prefix}{name.lower().replace(' ', '.')}@example.org", name=name, role=role,
                   language="en", timezone="Europe/Berlin", topics=[], capacity=2, about="", created_at=NOW,
                   bounce_reason="", handle=f"{prefix}{name.lower().replace(' ', '-')}", **extra)
        session.add(p)
        return p

    for n in range(count):
        tag = f"{n}" if count > 1 else ""
        mia, ben, eva = person(f"Mia{tag}", "mentee"), person(f"Ben{tag}", "mentee"), person(f"Eva{tag}", "mentee")
        otto = person(f"Otto{tag}", "mentor")
        lea = person(f"Lea{tag}", "mentor", bounced_at=NOW - timedelta(days=2))
        lea.bounce_reason = "5.1.1 user unknown"
        session.flush()
        waiting = Mentorship(mentee_id=mia.id, mentor_id=lea.id, state="requested", requested_at=NOW - timedelta(days=5),
                             request_note="", last_activity_at=NOW - timedelta(days=5))
        quiet = Mentorship(mentee_id=ben.id, mentor_id=otto.id, state="active", requested_at=NOW - timedelta(days=90),
                           request_note="", answered_at=NOW - timedelta(days=80), activated_at=NOW - timedelta(days=70),
                           last_activity_at=NOW - timedelta(days=40))
        done = Mentorship(mentee_id=eva.id, mentor_id=otto.id, state="completed", request_note="",
                          requested_at=NOW - timedelta(days=200), activated_at=NOW - timedelta(days=60),
                          completed_at=NOW - timedelta(hours=5), last_activity_at=NOW - timedelta(hours=5))
        agreeing = Mentorship(mentee_id=eva.id, mentor_id=otto.id, state="accepted", request_note="",
                              requested_at=NOW - timedelta(days=6), answered_at=NOW - timedelta(days=4),
                              last_activity_at=NOW - timedelta(days=2))
        session.add_all([waiting, quiet, done, agreeing])
        session.flush()
        session.add(AgreementVersion(mentorship_id=agreeing.id, version=1, period_from=NOW.date(),
                                     period_until=NOW.date() + timedelta(days=100), meetings=6, contact_kind="Video",
                                     contact_frequency="monthly", topics=["Career"], proposed_by_id=eva.id,
                                     proposed_at=NOW - timedelta(days=2), state="proposed"))
        held = Meeting(mentorship_id=done.id, uid=f"{prefix}{n}-held@x", starts_at=NOW - timedelta(days=10),
                       ends_at=NOW - timedelta(days=10, hours=-1), tzid="Europe/Berlin", state="confirmed",
                       created_at=NOW - timedelta(days=20))
        coming = Meeting(mentorship_id=agreeing.id, uid=f"{prefix}{n}-coming@x", starts_at=NOW + timedelta(days=2),
                         ends_at=NOW + timedelta(days=2, hours=1), tzid="Europe/Berlin", state="confirmed",
                         topic="Career plan", created_at=NOW - timedelta(days=1))
        session.add_all([held, coming])
        session.flush()
        session.add(Feedback(meeting_id=held.id, person_id=eva.id, took_place=True, rating=2,
                             comment="Too short", created_at=NOW - timedelta(hours=3)))
        session.add(InboundMessage(dedup_key=f"{prefix}{n}-failed", message_id=None, envelope_from="odd@example.org",
                                   envelope_to=["hello@mentoring.test"], source="test", raw=b"x",
                                   received_at=NOW - timedelta(hours=2), state="failed", not_before=NOW,
                                   attempts=3, outcome="gave up", error="ValueError: broken"))
        session.add(OutboundMessage(message_id=f"<{prefix}{n}-lost@x>", recipient="coord@elsewhere.example",
                                    template="checkin_answer", raw=b"x", state="failed", attempts=1,
                                    next_attempt_at=NOW, created_at=NOW - timedelta(hours=1),
                                    last_error="550 5.1.1 no such user"))


@pytest.fixture
def english(tmp_path, database_url, sink, clock):
    from mailflow.app import build_app
    app = build_app(make_settings(tmp_path, database_url, relay=sink.url, language="en"), clock, migrate=False)
    yield app
    app.store.dispose()


def sent_digest(app, sink):
    with app.store.transaction() as session:
        seed(session)
    assert digest.send_digest(app, NOW) == 1
    assert digest.send_digest(app, NOW) == 0, "one digest a day"
    process(app)
    [mail] = sink.received
    return email.message_from_bytes(mail.raw, policy=default)


def test_the_digest_puts_attention_first_with_a_command_for_each_item(english, sink):
    message = sent_digest(english, sink)
    assert message["To"] == "coord@example.org"
    assert "daily digest 2026-12-01 – 7 things need attention" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    order = ["NEEDS ATTENTION", "Unanswered requests (1)", "Agreements waiting (1)", "Inactive mentorships (1)",
             "Low ratings (1)", "Bouncing addresses (1)", "Failed messages (1)", "Undelivered mail (1)",
             "UPCOMING MEETINGS",
             "COMPLETED", "PROGRAMME"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "#1 Mia asked Lea 5 days ago. Remind: mailto:reply+coord." in text
    assert "subject=REMIND%202" in text and "subject=RESEND%20lea%40example.org" in text
    assert "5.1.1 user unknown" in text and "ValueError: broken" in text and '"Too short"' in text
    assert "Career plan" in text and "#3 Eva / Otto on 2026-12-01. Certificates again:" in text
    assert "- coord@elsewhere.example (checkin_answer, 2026-12-01): 550 5.1.1 no such user" in text
    assert "Mentorships: 1 active, 1 starting, 1 requested, 0 ending, 1 completed" in text


def test_the_digest_html_has_inline_css_and_an_inline_chart(english, sink, tmp_path):
    message = sent_digest(english, sink)
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    html_part, image = related.get_payload()
    html = html_part.get_content()
    assert "<style" not in html and 'style="' in html, "mail clients drop <style>: the CSS is inlined"
    assert 'src="cid:chart"' in html and image["Content-ID"] == "<chart>"
    chart = Image.open(io.BytesIO(image.get_content()))
    assert chart.size == (560, 160) and len(chart.convert("RGB").getcolors()) >= 3
    for command in ("REMIND%201", "REMIND%202", "RESEND%20lea%40example.org", "STATS", "EXPORT"):
        assert f"subject={command}" in html
    screenshot(html.replace("cid:chart", _saved(tmp_path, image.get_content())), tmp_path)


def _saved(folder, png: bytes) -> str:
    path = folder / "chart.png"
    path.write_bytes(png)
    return path.as_uri()


def screenshot(html: str, folder) -> None:
    """Open the HTML in headless Chromium (Debian's `chromium`) and check the captured PNG is not blank."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is needed in CI (apt package: chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    page, shot = folder / "digest.html", folder / "digest.png"
    page.write_text(html, "utf-8")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=700,1600", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    picture = Image.open(shot).convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 20) or []
    assert picture.size == (700, 1600) and len(colours) > 50, "the digest renders as more than a blank page"
    green = sum(count for count, rgb in colours if rgb == (45, 106, 79))
    assert green > 500, "the command buttons and the chart's bars are drawn"


def test_building_the_digest_takes_the_same_queries_for_a_larger_programme(english):
    def queries_for(count: int, prefix: str) -> int:
        with english.store.transaction() as session:
            seed(session, prefix, count)
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(english.store.engine, "before_cursor_execute", listener)
        try:
            with english.store.reading() as session:
                digest.build(session, english.settings, english.signer, NOW)
        finally:
            event.remove(english.store.engine, "before_cursor_execute", listener)
        return len(seen)

    assert queries_for(1, "a") == queries_for(30, "b")


def test_weekly_digest_comes_once_a_week_at_the_set_local_time(tmp_path):
    from mailflow.config import load_settings
    settings = load_settings({"MAILFLOW_HOME": str(tmp_path), "MAILFLOW_COORDINATORS": "c@x.org",
                              "MAILFLOW_DIGEST_FREQUENCY": "weekly", "MAILFLOW_DIGEST_WEEKDAY": "friday",
                              "MAILFLOW_DIGEST_TIME": "16:30"}, toml_path=tmp_path / "none.toml")
    friday = datetime(2026, 12, 4, 15, 29, tzinfo=timezone.utc)  # 16:29 in Berlin
    assert digest.due_key(settings, friday) is None
    assert digest.due_key(settings, friday + timedelta(minutes=1)) == "2026-W49"
    assert digest.due_key(settings, friday + timedelta(days=2)) == "2026-W49"
    assert digest.due_key(settings, friday + timedelta(days=3)) is None  # Monday of the next week
