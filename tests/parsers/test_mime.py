"""The MIME layer: real and broken mail becomes sender, subject and readable text, and never an exception."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from mailflow.parsers.mime import parse_mail
from mailflow.parsers.mime_headers import header_text

FIXTURES = Path(__file__).parent.parent / "fixtures"
EVERY_FIXTURE = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.name != "SOURCES.md")


def read(folder: str, name: str):
    return parse_mail((FIXTURES / folder / name).read_bytes())


@pytest.mark.parametrize("path", EVERY_FIXTURE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_parses_into_plain_facts(path: Path):
    mail = parse_mail(path.read_bytes())
    assert "\r" not in mail.text and "\x00" not in mail.text
    assert "\x00" not in mail.subject and "\n" not in mail.subject
    assert mail.sender is None or (mail.sender == mail.sender.lower() and "@" in mail.sender)
    assert all(address == address.lower() for address in mail.to + mail.cc)
    assert mail.date is None or mail.date.utcoffset().total_seconds() == 0
    assert mail.message_id is None or (mail.message_id.startswith("<") and mail.message_id.endswith(">"))


@pytest.mark.parametrize("raw", [
    b"", b"\x00\x00\x00", b"\r\r\r", b"\n\n\n", b"garbage without headers", b"From: \n\n",
    b"Content-Type: multipart/mixed\n\n--x\n", b"Subject: =?bogus?Q?x?=\n\n\xff\xfe",
    b"Content-Type: text/plain; charset=\"\xff\"\nContent-Transfer-Encoding: base64\n\n!!!notbase64",
    b"Content-Type: message/rfc822\n\nnot a message", b" \t\n\x01\x02",
    b"From: a@b.c\nContent-Type: multipart/alternative; boundary=\"\"\n\n--\n\n----\n",
], ids=lambda raw: repr(raw[:24]))
def test_hostile_bytes_never_raise(raw: bytes):
    mail = parse_mail(raw)
    assert isinstance(mail.text, str) and isinstance(mail.subject, str)


def test_utf8_text_declared_as_windows_1252_reads_as_japanese():
    mail = read("malformed", "thunderbird-testdata_declared-windows-1252_actually-utf8.eml")
    assert mail.text.startswith("メールを簡単に。")
    assert any("read as utf-8" in note for note in mail.defects)


def test_utf8_text_declared_as_us_ascii_keeps_its_symbols():
    mail = read("malformed", "enmime_utf8-bytes-declared-us-ascii.eml")
    assert "∮ E⋅da = Q" in mail.text


def test_undeclared_windows_1252_bytes_read_as_spanish():
    mail = read("malformed", "thunderbird-testdata_no-charset_windows-1252-bytes.eml")
    assert mail.text.startswith("Aquí tenemos texto en español:\n")


def test_raw_8bit_subject_and_sender_name_in_windows_1252():
    mail = read("malformed", "mailgem_raw-8bit-windows-1252-subject.eml")
    assert mail.subject == "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro"
    assert (mail.sender_name, mail.sender) == ("Formação Frenetikpolis", "info@formacaofrenetik.info")


def test_nul_byte_in_subject_is_dropped_and_noted():
    mail = read("malformed", "zimbra_nul-byte-in-subject.eml")
    assert mail.subject == "NUL byte 0[0,00]= in the subject baby"
    assert mail.text == "but a reasonable body\n"
    assert "NUL bytes in headers removed" in mail.defects


def test_unknown_charsets_fall_back_instead_of_failing():
    assert read("malformed", "mailgem_rfc2047-unknown-charset-NONE.eml").subject == "TEST"
    assert read("malformed", "enmime_unknown-charset-fakescii.eml").text.startswith("A text section")


def test_koi8_r_outlook_mail_with_nul_bytes():
    mail = read("malformed", "freescout_outlook16_koi8-r_null-bytes.eml")
    assert mail.subject == "активизация виндойс"
    assert mail.text.startswith("Уважаемые системные администраторы")
    assert [a.filename for a in mail.attachments] == ["image001.png"]


def test_missing_close_boundary_still_gives_body_and_attachment():
    mail = read("malformed", "thunderbird-testdata_multipart-missing-close-boundary.eml")
    assert mail.text.strip() == "Message body."
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("test-attachment.bin", "application/octet-stream")]
    assert any("close boundary" in note for note in mail.defects)


def test_broken_boundary_parameter_is_recovered_from_the_body():
    mail = read("malformed", "tine20_broken-content-type-boundary-param.eml")
    assert mail.text.strip() == "Ich verspäte mich."
    assert [a.content_type for a in mail.attachments] == ["image/jpeg"]
    assert mail.attachments[0].payload.startswith(b"\xff\xd8")  # a real JPEG, base64-decoded


def test_cr_only_line_endings_are_read_as_lines():
    mail = read("malformed", "sisimai_exim-01_CR-only-line-endings.eml")
    assert mail.sender == "mailer-daemon@e1.example.org"
    assert mail.subject == "Mail delivery failed: returning message to sender"
    assert "  kijitora@example.ed.jp\n" in mail.text


def test_message_indented_as_a_whole_is_read():
    mail = read("malformed", "tine20_exchange65_every-line-indented.eml")
    assert mail.sender == "someone@domain.org"
    assert mail.subject == "Ihre jajajaja über die xxxx einer stillen gefolgschaft"


def test_rfc2047_subject_split_mid_word_joins_back():
    mail = read("malformed", "freescout_de_rfc2047-iso-8859-1-subject-split-mid-word_no-text-part.eml")
    assert mail.subject.startswith("386 - 400021804 - 19., Heiligenstädter Straße 80 - 0819306")
    assert mail.attachments[0].filename == "2021_Mängelliste_0819306.xlsx"


def test_missing_and_broken_dates():
    assert read("malformed", "tine20_empty-date-header.eml").date is None
    assert read("malformed", "tine20_invalid-date-ut.eml").date == datetime(2009, 3, 16, 19, 51, 23,
                                                                            tzinfo=timezone.utc)


def test_mail_without_from_has_no_sender():
    mail = read("malformed", "tine20_no-from-header_spam-report-in-headers.eml")
    assert mail.sender is None
    assert mail.subject == "MMCOMPUTER EMAIL DEAL - HIER IST IHR SONDER-PREIS"


def test_unparseable_from_gives_no_sender_rather_than_a_wrong_one():
    assert read("malformed", "flufl_bounce_broken-from-header.eml").sender is None


def test_empty_in_reply_to_is_none():
    assert read("malformed", "mailgem_empty-in-reply-to.eml").in_reply_to is None


def test_gmx_html_only_reply_quotes_the_old_mail():
    mail = read("mime", "eerp_de_gmx-webmail_html-only_gesendet-quote-div.eml")
    lines = mail.text.split("\n")
    assert lines[:2] == ["Lieber S,", "lieber Joachim,"]
    assert "Jonathan ClzM12" in lines
    quoted = lines[lines.index("Jonathan ClzM12") + 1:]
    assert any(line.startswith("> Gesendet: Montag, 14. November 2016") for line in quoted)
    assert all(line.startswith(">") for line in quoted if line)
    assert mail.html and "<div name=\"quote\"" in mail.html


def test_web_de_html_only_reply_has_umlauts_from_entities():
    mail = read("mime", "eerp_de_web-de_aw-antwort_html-only.eml")
    assert mail.text.startswith("Lieber ConPhil F,\n\nvielen Dank für die Rückmeldung")
    assert mail.subject.startswith("Aw: Antwort: ich kann leider keine neue Ausgabe")


def test_empty_text_part_falls_back_to_the_html_part():
    mail = read("mime", "redmine_apple-mail_empty-text-part_html-has-content.eml")
    assert mail.text == "The html part.\n"


def test_text_part_wins_over_html_part_when_it_has_content():
    mail = read("mime", "redmine_apple-mail_text-and-html-parts-differ.eml")
    assert mail.text.startswith("The text part.")
    assert "The html part" in (mail.html or "")


def test_format_flowed_paragraph_is_one_line():
    mail = read("mime", "thunderbird-testdata_windows-1252_format-flowed.eml")
    first = mail.text.split("\n")[0]
    assert first.startswith("first first") and "last last" in first


def test_threading_headers_are_normalised():
    mail = read("malformed", "tine20_empty-date-header.eml")
    assert mail.message_id == "<49E32E51.60204@hartwork.org>"
    assert mail.in_reply_to == "<20090404151730.55b89242@gentoo.org>"
    assert mail.references[-1] == "<20090404151730.55b89242@gentoo.org>" and len(mail.references) == 3


def test_attached_message_is_an_attachment_not_the_text():
    mail = read("malformed", "flanker_enclosed-message_bad-encoding.eml")
    assert mail.text.strip() == "Hello"
    assert [(a.filename, a.content_type) for a in mail.attachments] == [("thanks.eml", "message/rfc822")]
    assert b"Subject:" in mail.attachments[0].payload


def test_a_written_mail_with_csv_attachment_and_auth_results():
    raw = (b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.ORG>\r\n"
           b"To: a@x.org, \"Doe, Jane\" <JANE@x.org>\r\nCc: c@x.org\r\nReply-To: other@x.org\r\n"
           b"Subject: =?iso-8859-1?q?Teilnehmer_f=FCr?=\r\n =?iso-8859-1?q?_M=E4rz?=\r\n"
           b"Message-ID: 1234@host\r\nReferences: <a@b> <c@d>\r\nDate: Tue, 3 Mar 2026 15:00:00 +0100\r\n"
           b"Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\r\n"
           b"Authentication-Results: other.host; spf=fail\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Hallo,=0D=0Ahier die Liste f=C3=BCr M=C3=A4rz.\r\n--b1\r\n"
           b"Content-Type: text/csv; name=\"people.csv\"\r\nContent-Disposition: attachment; filename=people.csv"
           b"\r\nContent-Transfer-Encoding: base64\r\n\r\nZW1haWwsbmFtZQphQHguZGUsQQo=\r\n--b1--\r\n")
    mail = parse_mail(raw)
    assert (mail.sender, mail.sender_name, mail.reply_to) == ("juergen@example.org", "Jürgen Müller", "other@x.org")
    assert mail.to == ("a@x.org", "jane@x.org") and mail.cc == ("c@x.org",)
    assert mail.subject == "Teilnehmer für März"
    assert mail.message_id == "<1234@host>" and mail.references == ("<a@b>", "<c@d>")
    assert mail.date == datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)
    assert mail.text == "Hallo,\nhier die Liste für März.\n"
    assert mail.auth_results == ("mx.example.org; dmarc=pass header.from=example.org", "other.host; spf=fail")
    assert mail.attachments[0].filename == "people.csv"
    assert (mail.attachments[0].content_type, mail.attachments[0].payload) == ("text/csv", b"email,name\na@x.de,A\n")
    assert header_text(mail.message, "subject") == "Teilnehmer für März"
    assert header_text(mail.message, "X-Missing") == ""


def test_utf8_body_with_a_latin1_signature_keeps_both():
    raw = ("Content-Type: text/plain; charset=utf-8\n\nGrüße\n-- \n".encode() + "Gießen\n".encode("latin-1"))
    mail = parse_mail(raw)
    assert mail.text == "Grüße\n-- \nGießen\n"
    assert any("utf-8" in note for note in mail.defects)
