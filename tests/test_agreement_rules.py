"""Who may do what around a request and an agreement; amendments; replies from HTML-only clients."""
from __future__ import annotations

from sqlalchemy import select

from mailflow.store.models import Achievement, AgreementVersion, Mentorship

from .support.conversation import Conversation, one_to
from .support.mails import add_person

HELLO = "hello@mentoring.test"
MENTEE, MENTOR, OTHER = "mia@example.org", "otto@example.org", "eve@example.org"
FORM = ("Period from: 2026-12-07\nPeriod until: 2027-06-30\nNumber of meetings: {n}\nKind of contact: video\n"
        "Frequency of contact: every two weeks\nTopic plan:\n1. Career plan\n2. Presenting")


def people(app, capacity: int = 1):
    add_person(app, MENTEE, name="Mia Mentee")
    mentor = add_person(app, MENTOR, role="mentor", name="Otto Mentor")
    add_person(app, OTHER, name="Eve Other")
    with app.store.transaction() as session:
        session.merge(mentor).capacity = capacity


def request_and_accept(talk: Conversation) -> dict:
    confirm = one_to(talk.write(MENTEE, HELLO, "REQUEST otto-mentor", "REQUEST otto-mentor\nHi Otto!"), MENTEE)
    assert confirm.message["Subject"] == "Please confirm: REQUEST otto-mentor", \
        "a REQUEST typed to hello@ is confirmed through a signed reply first"
    request = one_to(talk.reply(confirm, MENTEE, "YES"), MENTOR)
    accepted = talk.reply(request, MENTOR, "ACCEPT")
    form = [m for m in accepted if m.rcpt_tos == (MENTEE,) and "Period from" in m.text()][0]
    return {"request": request, "form": form}


def test_requests_that_cannot_go_out_get_a_clear_answer(app, sink):
    people(app)
    talk = Conversation(app, sink)
    mails = request_and_accept(talk)
    full = one_to(talk.reply(one_to(talk.write(OTHER, HELLO, "REQUEST otto-mentor", "REQUEST otto-mentor"),
                                    OTHER), OTHER, "YES"), OTHER)
    assert "no free place" in full.text()
    unknown = one_to(talk.reply(one_to(talk.write(OTHER, HELLO, "x", "REQUEST nobody"), OTHER), OTHER, "YES"),
                     OTHER)
    assert 'no mentor called "nobody"' in unknown.text()
    again = one_to(talk.reply(mails["request"], MENTOR, "ACCEPT"), MENTOR)
    assert again.message["Subject"] == "This has been dealt with already"


def test_a_second_open_request_and_requesting_oneself_are_refused(app, sink):
    people(app, capacity=2)
    add_person(app, "max@example.org", role="mentor", name="Max Mentor")
    talk = Conversation(app, sink)
    listing = one_to(talk.write(MENTEE, HELLO, "MENTORS", ""), MENTEE)
    link_address = listing.message["Reply-To"].split("<")[-1].strip(">")
    talk.write(MENTEE, link_address, "REQUEST otto-mentor", "REQUEST otto-mentor")
    second = one_to(talk.write(MENTEE, link_address, "REQUEST max-mentor", "REQUEST max-mentor"), MENTEE)
    assert "already have an open request to Otto Mentor" in second.text()
    mentor_self = one_to(talk.write(MENTOR, HELLO, "MENTORS", ""), MENTOR)
    own = mentor_self.message["Reply-To"].split("<")[-1].strip(">")
    assert "only mentees" in one_to(talk.write(MENTOR, own, "REQUEST otto-mentor", "REQUEST otto-mentor"),
                                    MENTOR).text()


def test_only_the_other_side_approves_and_nobody_else_changes_anything(app, sink):
    people(app)
    talk = Conversation(app, sink)
    mails = request_and_accept(talk)
    approval = one_to(talk.reply(mails["form"], MENTEE, FORM.format(n=6)), MENTOR)

    own = one_to(talk.reply(mails["form"], MENTEE, "APPROVE"), MENTEE)
    assert "must be approved by the other side" in own.text()
    forged_sender = talk.reply(approval, OTHER, "APPROVE")
    assert forged_sender == [], "an approval from another address is not even answered"
    with app.store.transaction() as session:
        assert session.scalar(select(AgreementVersion.state)) == "proposed"
        assert session.scalar(select(Mentorship.state)) == "accepted"

    talk.reply(approval, MENTOR, "APPROVE")
    again = one_to(talk.reply(approval, MENTOR, "APPROVE"), MENTOR)
    assert again.message["Subject"] == "This has been dealt with already"


def test_an_amendment_needs_the_other_sides_approval_and_keeps_every_version(app, sink):
    people(app)
    talk = Conversation(app, sink)
    mails = request_and_accept(talk)
    talk.reply(one_to(talk.reply(mails["form"], MENTEE, FORM.format(n=6)), MENTOR), MENTOR, "APPROVE")

    confirm = one_to(talk.write(MENTOR, HELLO, "AMEND", "AMEND"), MENTOR)
    assert confirm.message["Subject"] == "Please confirm: AMEND"
    amend_form = one_to(talk.reply(confirm, MENTOR, "YES"), MENTOR)
    assert "Number of meetings / Anzahl der Treffen: 6" in amend_form.text(), "prefilled with the current version"
    approval = one_to(talk.reply(amend_form, MENTOR, FORM.format(n=10), style="outlook"), MENTEE)
    assert "  Number of meetings:  10" in approval.text().splitlines()
    with app.store.transaction() as session:
        assert [v.state for v in session.scalars(select(AgreementVersion).order_by(AgreementVersion.version))] == \
            ["approved", "proposed"], "until the other side approves, the current version holds"
    done = talk.reply(approval, MENTEE, "APPROVE")
    assert {m.rcpt_tos[0] for m in done} == {MENTEE, MENTOR}
    with app.store.transaction() as session:
        versions = session.scalars(select(AgreementVersion).order_by(AgreementVersion.version)).all()
        assert [(v.version, v.state, v.meetings) for v in versions] == [(1, "superseded", 6), (2, "approved", 10)]
        assert versions[1].proposed_by_id != versions[1].approved_by_id
        amended = session.scalars(select(Achievement.kind).where(Achievement.kind == "agreement_amended")).all()
        assert len(amended) == 2


def test_an_html_only_outlook_reply_with_the_form_is_read(app, sink):
    people(app)
    talk = Conversation(app, sink)
    mails = request_and_accept(talk)
    original = mails["form"].message
    html = ("<html><body><div>Period from: 07.12.2026<br>Period until: 30.06.2027<br>Number of meetings: 7<br>"
            "Kind of contact: phone<br>Frequency of contact: monthly<br>Topic plan:<br>1. Career plan<br>"
            "2. Presenting</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> "
            "Mentoring Test<br><b>Sent:</b> Tuesday<br><b>Subject:</b> Your mentoring agreement</div>"
            "<div>Period from:<br>Period until:<br></div></body></html>")
    reply_to = original["Reply-To"].split("<")[-1].strip(">")
    approval = one_to(talk.write(MENTEE, reply_to, "RE: " + original["Subject"], "", html=html,
                                 in_reply_to=original["Message-ID"]), MENTOR)
    assert {"  Number of meetings:  7", "  Kind of contact:     phone",
            "  Frequency:           monthly"} <= set(approval.text().splitlines())
