"""Joining: the CSV import (command line and by mail) and the application form for strangers."""
from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from mailflow.store.models import Achievement, Person

from .support.conversation import Conversation, one_to
from .support.processes import ROOT, environment

HELLO, COORDINATORS = "hello@mentoring.test", "coordinators@mentoring.test"
GOOD_AND_BAD = """email,name,role,language,timezone,topics,capacity
anna@example.org,Anna Schmidt,mentor,de,Europe/Berlin,Karriere;Führung,2
not-an-address,Bad Row,mentee,de,,,
bob@example.org,Bob Baker,mentee,en,America/New_York,Python;Public speaking,
carl@example.org,,boss,fr,Mars/Base,,99
"""


def run_import(tmp_path, app, content: str) -> subprocess.CompletedProcess:
    path = tmp_path / "people.csv"
    path.write_text(content, encoding="utf-8")
    env = environment(app.clock.now(), home=str(tmp_path / "home"), database_url=app.settings.database_url,
                      secret="s")
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "import", str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_import_command_takes_good_rows_names_bad_ones_and_updates_on_a_second_run(tmp_path, app):
    first = run_import(tmp_path, app, GOOD_AND_BAD)
    assert first.returncode == 1, "bad rows make the command fail, after importing the good ones"
    assert "2 created, 0 updated" in first.stdout and "2 rows with errors" in first.stdout
    assert "line 3, email: not an email address: 'not-an-address'" in first.stdout
    assert "line 5, name: missing" in first.stdout and "line 5, role" in first.stdout
    assert "line 5, timezone" in first.stdout and "line 5, capacity" in first.stdout
    assert "importing" in first.stderr, "a progress bar is shown"

    again = run_import(tmp_path, app, GOOD_AND_BAD.replace("Karriere;Führung,2", "Karriere,3"))
    assert "0 created, 1 updated, 1 unchanged" in again.stdout
    with app.store.transaction() as session:
        people = {p.email: p for p in session.scalars(select(Person))}
        assert set(people) == {"anna@example.org", "bob@example.org"}
        assert people["anna@example.org"].capacity == 3 and people["anna@example.org"].topics == ["Karriere"]
        assert people["bob@example.org"].timezone == "America/New_York"
        assert session.scalar(select(func.count(Achievement.id)).where(Achievement.kind == "joined")) == 2


def test_a_coordinator_imports_by_mail_after_confirming(app, sink):
    talk = Conversation(app, sink)
    sent = talk.write("coord@example.org", COORDINATORS, "IMPORT", "IMPORT\n",
                      attachments=(("people.csv", "text/csv", GOOD_AND_BAD.encode()),))
    confirm = one_to(sent, "coord@example.org")
    assert confirm.message["Subject"] == "Please confirm: IMPORT"
    summary = one_to(talk.reply(confirm, "coord@example.org", "YES"), "coord@example.org")
    assert summary.message["Subject"] == "Import: 2 new, 0 updated"
    assert "line 3, field email" in summary.text() and "line 5, field role" in summary.text()
    assert one_to(talk.reply(confirm, "coord@example.org", "YES"), "coord@example.org").message["Subject"] \
        .startswith("This has been dealt with"), "a second YES does not import again"


def test_import_from_someone_who_is_no_coordinator_changes_nothing(app, sink):
    talk = Conversation(app, sink)
    assert talk.write("mallory@example.net", COORDINATORS, "IMPORT", "IMPORT\n",
                      attachments=(("people.csv", "text/csv", GOOD_AND_BAD.encode()),)) == []
    with app.store.transaction() as session:
        assert session.scalar(select(func.count(Person.id))) == 0


def test_a_stranger_applies_through_the_form_fixing_what_was_wrong(app, sink):
    talk = Conversation(app, sink)
    form_mail = one_to(talk.write("Zoë Łukasiewicz <zoe@example.org>", HELLO, "Hello", "I'd like to join."),
                       "zoe@example.org")
    wrong = talk.reply(form_mail, "zoe@example.org", "Role: boss\nName: Zoë Łukasiewicz\nLanguage: en\n"
                                                     "Topics: Career; Data science")
    errors = one_to(wrong, "zoe@example.org")
    assert "mentee or mentor" in errors.text() and "Data science" in errors.text()
    welcome = one_to(talk.reply(errors, "zoe@example.org", "Role: mentee\nName: Zoë Łukasiewicz\nLanguage: en\n"
                                                           "Topics: Career; Data science"), "zoe@example.org")
    assert "Welcome" in welcome.message["Subject"]
    with app.store.transaction() as session:
        person = session.scalar(select(Person))
        assert (person.name, person.role, person.topics) == ("Zoë Łukasiewicz", "mentee", ["Career", "Data science"])
        assert session.scalar(select(Achievement.kind)) == "joined"


def test_the_import_refuses_names_with_a_line_break_so_no_mail_to_them_can_fail(tmp_path, app, sink):
    content = ('email,name,role\n"eve@example.org","Eve\r\nBcc: everyone@example.org",mentor\n'
               'fred@example.org,Fred\tFox,mentee\ngina@example.org,Gina Good,mentee\n')
    done = run_import(tmp_path, app, content)
    assert done.returncode == 1 and "1 created" in done.stdout
    assert "name: contains a line break or another control character" in done.stdout
    assert done.stdout.count("control character") == 2, "the tab is refused too"
    with app.store.transaction() as session:
        assert set(session.scalars(select(Person.email))) == {"gina@example.org"}
