"""What a person can ask about themselves (PROFILE, TOPICS, EXPORT) and DELETE, after which nothing of them is left
in any table but what checking a certificate needs."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, cast, or_, select

from mailflow.store.models import Base, Certificate, Meeting, Mentorship, Person

from .support.conversation import Conversation, one_to
from .support.running import HELLO, MENTEE, MENTEE_NAME, MENTOR, MENTOR_NAME, running_mentorship


def test_profile_lists_mentorships_meetings_achievements_and_certificates(app, sink, clock):
    talk = Conversation(app, sink)
    mentorship_id = running_mentorship(app)
    with app.store.transaction() as session:
        later = clock.now() + timedelta(days=5)
        session.add(Meeting(mentorship_id=mentorship_id, uid="next@test", starts_at=later,
                            ends_at=later + timedelta(hours=1), tzid="Europe/Berlin", state="confirmed",
                            created_at=clock.now(), closing=True))
    mail = one_to(talk.write(MENTEE, HELLO, "PROFILE", ""), MENTEE)
    text = mail.text()
    assert MENTOR_NAME in text and "active" in text and "version 1" in text
    assert "Meetings held: 3 (2026-09-15, 2026-09-29, 2026-10-13)" in text
    assert "2026-12-06, 10:00–11:00 Berlin (closing meeting)" in text, text
    assert "2026-09-01  Mentorship started" in text and "Joined the programme" in text
    assert MENTOR_NAME in mail.html() and "Mentorship started" in mail.html()


def test_profile_in_german_after_completion_names_the_certificate(app, sink):
    talk = Conversation(app, sink)
    running_mentorship(app, lang="de")
    confirm = one_to(talk.write(MENTEE, HELLO, "BEENDEN", ""), MENTEE)
    question = one_to(talk.reply(confirm, MENTEE, "JA"), MENTOR)
    talk.reply(question, MENTOR, "JA")
    text = one_to(talk.write(MENTOR, HELLO, "PROFIL", ""), MENTOR).text()
    with app.store.transaction() as session:
        code = session.scalar(select(Certificate.code).join(Person, Person.id == Certificate.person_id)
                              .where(Person.email == MENTOR))
    assert "abgeschlossen" in text and f"Prüfcode {code}" in text and "Bescheinigung ausgestellt" in text


@pytest.mark.parametrize("meetings, phase_words", [(0, "Getting started"), (2, "In the middle"),
                                                    (5, "Towards the end")])
def test_topics_follow_the_phase_of_the_mentorship(app, sink, meetings, phase_words):
    talk = Conversation(app, sink)
    running_mentorship(app, meetings=meetings)
    with app.store.transaction() as session:  # no closing meeting yet in the middle
        for meeting in session.scalars(select(Meeting)):
            meeting.closing = False
    text = one_to(talk.write(MENTOR, HELLO, "TOPICS", ""), MENTOR).text()
    assert phase_words in text and MENTEE_NAME in text and "Networking" in text


def test_topics_in_german_without_a_mentorship(app, sink):
    talk = Conversation(app, sink)
    running_mentorship(app, lang="de")
    with app.store.transaction() as session:
        session.scalar(select(Mentorship)).state = "declined"
    text = one_to(talk.write(MENTEE, HELLO, "THEMEN", ""), MENTEE).text()
    assert "Der Anfang" in text and "Kennenlernen" in text


def test_export_sends_everything_as_json(app, sink):
    talk = Conversation(app, sink)
    running_mentorship(app)
    mail = one_to(talk.write(MENTEE, HELLO, "EXPORT", ""), MENTEE)
    [part] = [p for p in mail.message.iter_attachments() if p.get_content_type() == "application/json"]
    data = json.loads(part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode())
    assert data["person"]["name"] == MENTEE_NAME and data["person"]["email"] == MENTEE
    [mentorship] = data["mentorships"]
    assert mentorship["mentor"] == MENTOR_NAME and len(mentorship["meetings"]) == 3
    assert mentorship["agreement_versions"][0]["topics"] == ["Career plan", "Presenting", "Networking"]
    assert {a["kind"] for a in data["achievements"]} == {"joined", "matched"}
    assert data["mails_from_you"], "the mail that asked for the export is listed"


def personal_strings_left(app, strings: list[str]) -> list[tuple[str, str]]:
    """Every (table.column, value) of any text or JSON column, and any raw mail, that still holds one of strings."""
    found = []
    with app.store.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, LargeBinary):
                    for (value,) in session.execute(select(column)).all():
                        if value and any(s.encode() in bytes(value) for s in strings):
                            found.append((f"{table.name}.{column.name}", bytes(value)[:80]))
                elif isinstance(column.type, (String, Text, JSON)):
                    text = cast(column, Text)
                    hit = or_(*(text.contains(form) for s in strings for form in (s, json.dumps(s)[1:-1])))
                    found += [(f"{table.name}.{column.name}", v) for (v,) in session.execute(
                        select(column).where(hit)).all()]
    return found


@pytest.mark.parametrize("lang", ["en", "de"])
def test_delete_after_confirmation_leaves_no_personal_data(app, sink, lang):
    talk = Conversation(app, sink)
    running_mentorship(app, lang=lang)
    words = {"en": ("END", "YES", "DELETE"), "de": ("BEENDEN", "JA", "LÖSCHEN")}[lang]
    confirm = one_to(talk.write(MENTEE, HELLO, words[0], "Thanks, Zoë"), MENTEE)
    talk.reply(one_to(talk.reply(confirm, MENTEE, words[1]), MENTOR), MENTOR, words[1])  # certificates issued
    with app.store.transaction() as session:
        code = session.scalar(select(Certificate.code).where(Certificate.holder_name == MENTEE_NAME))
        mentee_id = session.scalar(select(Person.id).where(Person.email == MENTEE))
    talk.write(MENTEE, HELLO, "EXPORT", "")
    secrets = [MENTEE, MENTEE_NAME, "zoe-lukasiewicz-ozturk", "Engineer in Kraków", "Zoë the team lead"]
    assert personal_strings_left(app, secrets), "the check finds the data while it is there"

    asked = one_to(talk.write(MENTEE, HELLO, words[2], ""), MENTEE)
    undone = {"en": "This cannot be undone:", "de": "Das lässt sich nicht rückgängig machen:"}
    assert undone[lang] in asked.text()
    done = talk.reply(asked, MENTEE, words[1])
    notice = one_to(done, "coord@example.org")
    assert f"Teilnehmende Person #{mentee_id} (mentee) hat die Löschung" in notice.text(), \
        "the coordinator (German) learns of a number, not a name"
    assert MENTEE_NAME not in notice.text()
    assert not [m for m in done if MENTEE in m.rcpt_tos], "after YES she hears nothing more"

    assert personal_strings_left(app, secrets) == []
    with app.store.transaction() as session:
        person = session.scalar(select(Person).where(Person.deleted_at.is_not(None)))
        assert person.name == "" and person.email.endswith("@invalid")
        assert session.scalar(select(Person).where(Person.email == MENTOR)).name == MENTOR_NAME

    stranger = "hr@employer.example"
    check = one_to(talk.write(stranger, HELLO, f"VERIFY {code}", ""), stranger).text()
    assert f"the certificate with the code {code} is genuine." in check, "VERIFY: English"
    named = one_to(talk.write(stranger, HELLO, f"VERIFY {code} {MENTEE_NAME}", ""), stranger).text()
    assert f"The name you sent, “{MENTEE_NAME}”, is the name on this certificate." in named
    again = one_to(talk.write(MENTEE, HELLO, "PROFILE", ""), MENTEE)
    assert again.message["Subject"] == "Your application to Mentoring Test", "a stranger again"
    assert "Name:" in again.text().splitlines(), "with nothing of hers in the form"
    assert personal_strings_left(app, [MENTEE_NAME, "Engineer in Kraków"]) == []


def test_delete_of_a_running_mentorship_ends_it_and_tells_the_other_side(app, sink):
    talk = Conversation(app, sink)
    running_mentorship(app)
    asked = one_to(talk.write(MENTOR, HELLO, "DELETE", ""), MENTOR)
    kept = talk.reply(asked, MENTOR, "NO")
    assert "nothing has been deleted" in one_to(kept, MENTOR).text()
    done = talk.reply(asked, MENTOR, "YES")
    assert "has ended" in one_to(done, MENTEE).message["Subject"]
    with app.store.transaction() as session:
        assert session.scalar(select(Mentorship.state)) == "completed"
        assert session.scalar(select(Certificate)) is None
    assert personal_strings_left(app, [MENTOR, MENTOR_NAME]) == []
