"""The certificate anyone can verify: the Open Badges 3.0 credential each participant gets at
completion, read only with other people's code: PyJWT against the JWKS that KEY sends (and that is
written for the web server), the standard's own JSON schema, Pillow for the baked badge, pypdf for
the PDF's attachment, pdftoppm + zbarimg for the QR code, urllib.parse for the LinkedIn link. Then
a coordinator's REVOKE, and what VERIFY says afterwards."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import jwt
import png
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mailflow.jobs.scheduler import run_due
from mailflow.store.models import Certificate, Feedback, Meeting, Person

from .support.conversation import Conversation, one_to
from .support.real_parts import missing
from .support.running import (
    HELLO, MENTEE, MENTEE_NAME, MENTOR, pdf_text, pdfs_of, running_mentorship,
)

# The standard's schema, from 1EdTech/openbadges-specification (branch gh-pages,
# docs/schema/achievementcredential.json, commit c73e9663afcdbe009a224f7be061ac895168a5b8; published
# as https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json)
SCHEMA_FILE = Path(__file__).parent / "fixtures" / "ob3" / "achievementcredential.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())
COORDINATOR, COORDINATORS = "coord@example.org", "coordinators@mentoring.test"
VERIFIER = "hr@employer.example"
WORDS = {"en": dict(end="END", yes="YES", hours="Hours 2.5", key="KEY", both="confirmed by both",
                    one="confirmed by one", meeting="Meeting on"),
         "de": dict(end="BEENDEN", yes="JA", hours="Stunden 2,5", key="SCHLÜSSEL",
                    both="von beiden bestätigt", one="von einer Seite bestätigt",
                    meeting="Treffen am")}


def held_as_the_test_says(app) -> list[tuple[str, int]]:
    """Of the three meetings: the first accepted in the mentor's calendar and both said it took
    place (60 min), the second 90 minutes and one said so, the third one side said did NOT take
    place. Returns the (date, minutes) of the meetings that took place."""
    with app.store.transaction() as session:
        first, second, third = session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
        mentee, mentor = (session.scalar(select(Person).where(Person.email == address))
                          for address in (MENTEE, MENTOR))
        first.confirmed_via = "calendar"
        second.ends_at = second.starts_at + timedelta(minutes=90)
        said = ((first, mentee, True), (first, mentor, True), (second, mentor, True),
                (third, mentee, False))
        for meeting, person, took_place in said:
            session.add(Feedback(meeting_id=meeting.id, person_id=person.id, took_place=took_place,
                                 rating=5, created_at=meeting.ends_at))
        return [(first.starts_at.date().isoformat(), 60),
                (second.starts_at.date().isoformat(), 90)]


def completed(app, sink, lang: str):
    """The mentee asks to end, the mentor says yes: the mentee's completion mail."""
    talk = Conversation(app, sink)
    running_mentorship(app, lang=lang)
    held = held_as_the_test_says(app)
    words = WORDS[lang]
    confirm = one_to(talk.write(MENTEE, HELLO, words["end"], words["end"]), MENTEE)
    question = one_to(talk.reply(confirm, MENTEE, words["yes"]), MENTOR)
    mail = one_to(talk.reply(question, MENTOR, words["yes"]), MENTEE)
    return talk, mail, held


def mentee_code(app) -> str:
    with app.store.transaction() as session:
        return session.scalar(select(Certificate.code)
                              .where(Certificate.holder_name == MENTEE_NAME))


def attachment(mail, content_type: str) -> bytes:
    [payload] = [part.get_content() for part in mail.message.iter_attachments()
                 if part.get_content_type() == content_type]
    return payload.encode() if isinstance(payload, str) else payload


def baked(badge: bytes) -> str:
    """The credential baked into a PNG, read with pypng: the text of its one iTXt chunk whose
    keyword is openbadgecredential (uncompressed, no language tag, OB 3.0 baking)."""
    texts = [data for kind, data in png.Reader(bytes=badge).chunks() if kind == b"iTXt"]
    [text] = [data for data in texts if data.startswith(b"openbadgecredential\0")]
    keyword, rest = text.split(b"\0", 1)
    flags, language, translated, credential = rest[:2], *rest[2:].split(b"\0", 2)
    assert (keyword, flags, language, translated) == (b"openbadgecredential", b"\0\0", b"", b"")
    return credential.decode("utf-8")


def published_jwks(talk: Conversation, words: dict) -> dict:
    """What KEY answers a stranger: the JWKS attached."""
    answer = one_to(talk.write(VERIFIER, HELLO, words["key"], ""), VERIFIER)
    [jwks] = [json.loads(p.get_content()) for p in answer.message.iter_attachments()
              if p.get_filename() == "jwks.json"]
    return jwks


def verified(token: str, jwks: dict) -> dict:
    """The credential's claims, verified with PyJWT by the key its header names."""
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid]
    return jwt.decode(token, key.key, algorithms=[key.algorithm_name])


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_credential_verifies_with_the_published_key_and_lists_the_meetings_held(app, sink,
                                                                                   lang):
    words = WORDS[lang]
    talk, mail, held = completed(app, sink, lang)
    [pdf] = pdfs_of(mail)
    token = PdfReader(io.BytesIO(pdf)).attachments["credential.jwt"][0].decode("ascii")
    assert baked(attachment(mail, "image/png")) == token, "the badge carries the same credential"

    jwks = published_jwks(talk, words)
    served = json.loads((app.settings.home / "public/.well-known/jwks.json").read_text())
    assert served == jwks, "the file for the web server is the key set KEY sends"
    claims = verified(token, jwks)
    jsonschema.Draft201909Validator(SCHEMA).validate(claims)
    assert "OpenBadgeCredential" in claims["type"] and claims["iss"] == claims["issuer"]["id"]
    subject = claims["credentialSubject"]
    names = {i["identityType"]: i["identityHash"] for i in subject["identifier"]}
    assert names["name"] == MENTEE_NAME

    meetings = [e for e in claims["evidence"] if e["genre"] == "Meeting"]
    shown = [(re.search(r"\d{4}-\d\d-\d\d", e["name"]).group(),
              int(e["description"].split()[0])) for e in meetings]
    assert shown == held, "one per meeting that took place, with its length; not the 'no' one"
    assert "iMIP REPLY" in meetings[0]["description"]
    assert words["both"] in meetings[0]["description"]
    assert words["one"] in meetings[1]["description"] and words["meeting"] in meetings[1]["name"]
    [agreement] = [e for e in claims["evidence"] if e["genre"] == "Agreement"]
    assert "2026-09-01" in agreement["description"] and "6" in agreement["description"]
    assert subject["result"][0]["value"] == "2.5"
    assert words["hours"] in " ".join(pdf_text(pdf).split())


def test_a_tampered_credential_fails_verification(app, sink):
    talk, mail, _ = completed(app, sink, "en")
    header, payload, signature = baked(attachment(mail, "image/png")).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["credentialSubject"]["result"][0]["value"] = "250"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    jwks = published_jwks(talk, WORDS["en"])
    genuine = verified(f"{header}.{payload}.{signature}", jwks)
    assert genuine["credentialSubject"]["result"][0]["value"] == "2.5"
    with pytest.raises(jwt.InvalidSignatureError):
        verified(f"{header}.{forged}.{signature}", jwks)


def test_the_qr_code_on_the_pdf_and_the_badge_prefills_verify_with_the_code(app, sink, tmp_path):
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        missing("pdftoppm (poppler-utils) and zbarimg (zbar-tools) read the QR code")
    _, mail, _ = completed(app, sink, "en")
    [pdf] = pdfs_of(mail)
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "120", "-singlefile",
                    str(tmp_path / "certificate.pdf"), str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    code = mentee_code(app)
    assert decoded == f"mailto:{HELLO}?subject=VERIFY%20{code}"
    (tmp_path / "badge.png").write_bytes(attachment(mail, "image/png"))
    on_badge = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "badge.png")],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert on_badge == decoded, "the badge shows the same QR code"


def test_the_completion_mail_links_to_linkedin_with_the_certification(app, sink):
    _, mail, _ = completed(app, sink, "en")
    [link] = re.findall(r"https://www\.linkedin\.com/profile/add\?\S+", mail.text())
    params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    with app.store.transaction() as session:
        certificate = session.scalar(select(Certificate)
                                     .where(Certificate.holder_name == MENTEE_NAME))
        assert params == {"startTask": "CERTIFICATION_NAME", "name": "Mentee – Mentoring Test",
                          "organizationName": "Mentoring Test",
                          "issueYear": str(certificate.issued_at.year),
                          "issueMonth": str(certificate.issued_at.month),
                          "certId": certificate.code}


def test_certificate_again_resends_the_pdf_and_the_badge(app, sink):
    talk, mail, _ = completed(app, sink, "en")
    again = one_to(talk.write(MENTEE, HELLO, "CERTIFICATE", ""), MENTEE)
    assert pdfs_of(again) == pdfs_of(mail)
    assert attachment(again, "image/png") == attachment(mail, "image/png")


def test_revoked_certificates_say_so_to_verify_and_on_the_revocation_list(app, sink):
    talk, mail, _ = completed(app, sink, "en")
    code = mentee_code(app)
    token = PdfReader(io.BytesIO(pdfs_of(mail)[0])).attachments["credential.jwt"][0].decode()
    before = one_to(talk.write(VERIFIER, HELLO, f"VERIFY {code}", ""), VERIFIER)
    assert "is genuine" in before.message["Subject"]
    assert attachment(before, "application/vc+jwt").decode() == token, "VERIFY attaches it"

    revoke = f"REVOKE {code} issued for the wrong programme"
    confirm = one_to(talk.write(COORDINATOR, COORDINATORS, revoke, ""), COORDINATOR)
    with app.store.transaction() as session:
        revoked_at = select(Certificate.revoked_at).where(Certificate.code == code)
        assert session.scalar(revoked_at) is None, "not before the coordinator confirmed"
    done = one_to(talk.reply(confirm, COORDINATOR, "YES"), COORDINATOR)
    assert f"Certificate {code} revoked" in done.message["Subject"]

    after = one_to(talk.write(VERIFIER, HELLO, f"VERIFY {code}", ""), VERIFIER)
    assert "revoked" in after.message["Subject"]
    assert "issued for the wrong programme" in after.text()
    claims = verified(token, published_jwks(talk, WORDS["en"]))
    answer = one_to(talk.write(VERIFIER, HELLO, "KEY", ""), VERIFIER)
    [revocations] = [json.loads(p.get_content()) for p in answer.message.iter_attachments()
                     if p.get_filename() == "revocations.json"]
    served = json.loads((app.settings.home / "public" / "revocations.json").read_text())
    assert revocations == served and claims["credentialStatus"]["id"] == revocations["id"]
    assert revocations["revokedCredentials"] == [
        {"id": claims["id"], "revocationReason": "issued for the wrong programme"}]
    again = one_to(talk.write(COORDINATOR, COORDINATORS, f"REVOKE {code} twice", ""), COORDINATOR)
    told = one_to(talk.reply(again, COORDINATOR, "YES"), COORDINATOR)
    assert "revoked already" in told.text()


def test_export_shows_the_hours_of_the_meetings_that_took_place(app, sink):
    talk = Conversation(app, sink)
    running_mentorship(app)
    held_as_the_test_says(app)
    answer = one_to(talk.write(COORDINATOR, COORDINATORS, "EXPORT", ""), COORDINATOR)
    [rows] = [list(csv.DictReader(io.StringIO(part.get_content())))
              for part in answer.message.iter_attachments()]
    assert [row["hours_held"] for row in rows] == ["2.5"], "60 + 90 minutes; not the 'no' one"


def test_a_pass_of_the_jobs_mends_a_served_list_out_of_step_with_the_store(app, sink):
    """A revocation the served file missed (its REVOKE's commit failed after the write, or another
    host took it) is listed after the next pass of the jobs."""
    _, mail, _ = completed(app, sink, "en")
    code = mentee_code(app)
    token = PdfReader(io.BytesIO(pdfs_of(mail)[0])).attachments["credential.jwt"][0].decode()
    served = app.settings.home / "public" / "revocations.json"
    with app.store.transaction() as session:
        certificate = session.scalar(select(Certificate).where(Certificate.code == code))
        certificate.revoked_at, certificate.revoked_reason = app.clock.now(), "stored elsewhere"
    assert json.loads(served.read_text())["revokedCredentials"] == []
    assert run_due(app, app.clock.now())["published_credentials"] == 1
    [listed] = json.loads(served.read_text())["revokedCredentials"]
    assert listed == {"id": jwt.decode(token, options={"verify_signature": False})["id"],
                      "revocationReason": "stored elsewhere"}
    assert run_due(app, app.clock.now())["published_credentials"] == 0, "unchanged: not rewritten"
