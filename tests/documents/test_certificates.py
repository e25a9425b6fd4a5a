"""Certificates and agreements as a person receives them: read back from the PDF bytes with pypdf."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import subprocess
import sys
import unicodedata
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from mailflow.outgoing.agreement_pdf import AgreementData
from mailflow.outgoing.certificate_pdf import CertificateData
from mailflow.outgoing.certificates import DocumentRenderer
from mailflow.outgoing.fonts import PlainFontFiles

CREATED = datetime(2025, 7, 1, 9, 30, tzinfo=timezone.utc)
CHECKOUT = Path(__file__).resolve().parents[2]
A4_POINTS = (595.28, 841.89)

ZOE = "Zoë Łukasiewicz-Öztürk"
KHAI = "Nguyễn Thị Minh Khai"
TOPICS = ("Berufseinstieg in der Forschung", "Promotion – ja oder nein?", "Netzwerken auf Konferenzen")
MEETINGS = (date(2025, 2, 3), date(2025, 2, 17), date(2025, 3, 10), date(2025, 4, 7), date(2025, 5, 12),
            date(2025, 6, 23))

GERMAN_MENTEE = CertificateData(
    language="de", programme="Mentoring Hochschule Nord 2025", holder_name=ZOE, holder_role="mentee",
    partner_name=KHAI, period_from=date(2025, 2, 3), period_until=date(2025, 6, 30), meeting_dates=MEETINGS,
    topics=TOPICS, issued_on=date(2025, 7, 1), verification_code="MF-7Q2K-9XHD",
    verify_address="hello@mentoring.example.org")
ENGLISH_MENTOR = dataclasses.replace(GERMAN_MENTEE, language="en", holder_name=KHAI, holder_role="mentor",
                                     partner_name=ZOE, topics=("Career paths in research", "Public speaking"))

AGREEMENT = AgreementData(
    language="de", programme="Mentoring Hochschule Nord 2025", mentee_name=ZOE, mentor_name=KHAI,
    period_from=date(2025, 2, 3), period_until=date(2025, 6, 30), meetings=6,
    contact_kind="Video und persönlich", contact_frequency="alle zwei Wochen", topics=TOPICS, version=2,
    approved_on=date(2025, 2, 10), created_at=datetime(2025, 2, 8, 14, 5))


@pytest.fixture(scope="module")
def renderer() -> DocumentRenderer:
    return DocumentRenderer()


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    """All text of all pages, NFC, with each run of white space made one space (lines may wrap anywhere)."""
    text = "\n".join(page.extract_text() for page in read(pdf).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def embedded_font_names(pdf: bytes) -> list[str]:
    """BaseFont of every font on the first page that carries its own font program."""
    fonts = read(pdf).pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        if "/FontFile2" in descendant["/FontDescriptor"]:
            names.append(str(descendant["/BaseFont"]))
    return names


def test_german_mentee_certificate_shows_everything_a_reader_checks(renderer):
    text = text_of(renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED))
    for expected in ("Teilnahmebescheinigung", "Hiermit wird bestätigt, dass", ZOE, KHAI, "als Mentee",
                     "„Mentoring Hochschule Nord 2025“", "3. Februar 2025", "30. Juni 2025",
                     "Anzahl der Treffen 6", "3.2.2025, 17.2.2025, 10.3.2025, 7.4.2025, 12.5.2025, 23.6.2025",
                     *TOPICS, "Ausgestellt am 1. Juli 2025", "Prüfcode: MF-7Q2K-9XHD",
                     "„VERIFY MF-7Q2K-9XHD“ an hello@mentoring.example.org", "ohne Unterschrift"):
        assert expected in text, expected
    assert not set(re.findall(r"\w+", text)) & {"Certificate", "Meetings", "Period", "February", "and", "on"}


def test_english_mentor_certificate_has_only_english_words(renderer):
    text = text_of(renderer.certificate_pdf(ENGLISH_MENTOR, created=CREATED))
    for expected in ("Certificate of Participation", "This is to certify that", KHAI, f"Mentee {ZOE}",
                     "as a mentor from 3 February 2025 to 30 June 2025", "Number of meetings 6",
                     "2025-02-03, 2025-02-17", "Career paths in research", "Public speaking",
                     "Issued on 1 July 2025", "Verification code: MF-7Q2K-9XHD",
                     "“VERIFY MF-7Q2K-9XHD” to hello@mentoring.example.org"):
        assert expected in text, expected
    words = set(re.findall(r"\w+", text))
    assert not words & {"Teilnahmebescheinigung", "Zeitraum", "Treffen", "Februar", "Prüfcode", "am", "und"}


def test_certificate_is_one_a4_page_with_the_font_embedded(renderer):
    pdf = renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED)
    reader = read(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == A4_POINTS
    names = embedded_font_names(pdf)
    assert len(names) == 2 and all("DejaVuSans" in name for name in names)
    assert any("Bold" in name for name in names)


def test_same_certificate_gives_the_same_bytes_and_carries_its_creation_date(renderer):
    first = renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED)
    renderer.certificate_pdf(ENGLISH_MENTOR, created=CREATED)  # another document in between changes nothing
    assert renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED) == first
    assert DocumentRenderer().certificate_pdf(GERMAN_MENTEE, created=CREATED) == first
    assert read(first).metadata.creation_date == CREATED
    later = renderer.certificate_pdf(GERMAN_MENTEE, created=datetime(2025, 7, 2, tzinfo=timezone.utc))
    assert later != first


# A fresh process (no font loaded yet) whose worker threads share one renderer and all draw their
# first certificate at the same moment; it prints each certificate's SHA-256 in thread order.
FIRST_PDFS_AT_ONCE = """
import hashlib, threading
from mailflow.outgoing.certificates import DocumentRenderer
from tests.documents.test_certificates import CREATED, ENGLISH_MENTOR, GERMAN_MENTEE
renderer, together, drawn = DocumentRenderer(), threading.Barrier(4), {}
def draw(number, data):
    together.wait()
    drawn[number] = hashlib.sha256(renderer.certificate_pdf(data, created=CREATED)).hexdigest()
threads = [threading.Thread(target=draw, args=item)
           for item in enumerate((GERMAN_MENTEE, ENGLISH_MENTOR) * 2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(" ".join(drawn.get(number, "none") for number in range(4)))
"""


def test_certificates_drawn_by_several_workers_as_a_process_starts_are_whole(renderer):
    """The font is loaded with a process's first document: workers drawing at once all wait for
    it and each mails the certificate a lone renderer draws."""
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, (str(CHECKOUT), os.environ.get("PYTHONPATH"))))}
    done = subprocess.run([sys.executable, "-c", FIRST_PDFS_AT_ONCE], cwd=CHECKOUT, env=environ,
                          capture_output=True, text=True, timeout=120, check=True)
    alone = [hashlib.sha256(renderer.certificate_pdf(data, created=CREATED)).hexdigest()
             for data in (GERMAN_MENTEE, ENGLISH_MENTOR) * 2]
    assert done.stdout.split() == alone, done.stderr


def test_a_creation_time_without_zone_counts_as_utc(renderer):
    naive = renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED.replace(tzinfo=None))
    assert naive == renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED)


@pytest.mark.parametrize("name", [KHAI, "Олена Шевченко"])
def test_certificate_embeds_only_the_glyphs_it_uses_so_it_stays_small_to_mail(renderer, name):
    data = dataclasses.replace(GERMAN_MENTEE, holder_name=name)
    assert len(renderer.certificate_pdf(data, created=CREATED)) < 40_000


def test_certificate_metadata_names_title_and_language(renderer):
    reader = read(renderer.certificate_pdf(ENGLISH_MENTOR, created=CREATED))
    assert reader.metadata.title == "Certificate of Participation"
    assert reader.trailer["/Root"]["/Lang"] == "en"


@pytest.mark.parametrize("name", [
    "Zoë Łukasiewicz-Öztürk", "Nguyễn Thị Minh Khai", "Şükrü Ağaoğlu", "Đặng Thủy Tiên", "Ångström Ødegård",
    "Jiří Dvořák", "Ștefan Țiriac", "Ioánna Ἀθανασίου", "Ελένη Παπαδοπούλου", "Олена Шевченко"])
def test_every_character_of_any_name_is_drawn_and_readable(renderer, name, caplog):
    data = dataclasses.replace(GERMAN_MENTEE, holder_name=name, partner_name=name)
    text = text_of(renderer.certificate_pdf(data, created=CREATED))
    assert text.count(name) == 2
    assert "missing" not in caplog.text


def test_decomposed_accents_come_out_as_the_composed_letters(renderer):
    data = dataclasses.replace(GERMAN_MENTEE, holder_name=unicodedata.normalize("NFD", ZOE))
    assert ZOE in text_of(renderer.certificate_pdf(data, created=CREATED))


def test_long_programme_many_meetings_and_topics_still_fit_one_page(renderer):
    meetings = tuple(date(2024, 1, 1).fromordinal(date(2024, 1, 1).toordinal() + 7 * week) for week in range(40))
    topics = tuple(f"Thema {number}: wie man eine lange Liste von Themen lesbar hält" for number in range(1, 16))
    data = dataclasses.replace(
        GERMAN_MENTEE, programme="Interdisziplinäres Mentoring-Programm für Nachwuchswissenschaftlerinnen " * 2,
        holder_name="Maria-Magdalena Łukasiewicz-Öztürk von Hohenzollern-Sigmaringen", meeting_dates=meetings,
        topics=topics, period_from=meetings[0], period_until=meetings[-1])
    pdf = renderer.certificate_pdf(data, created=CREATED)
    text = text_of(pdf)
    assert len(read(pdf).pages) == 1
    assert "Anzahl der Treffen 40" in text
    assert all(topic in text for topic in topics)
    assert "Prüfcode: MF-7Q2K-9XHD" in text
    assert data.holder_name in text


def test_certificate_without_meetings_or_topics_says_zero_meetings(renderer):
    data = dataclasses.replace(ENGLISH_MENTOR, meeting_dates=(), topics=())
    text = text_of(renderer.certificate_pdf(data, created=CREATED))
    assert "Number of meetings 0" in text
    assert "Meeting dates" not in text and "Topics" not in text


@pytest.mark.parametrize("change", [{"language": "fr"}, {"holder_role": "coordinator"}])
def test_unknown_language_or_role_is_refused(renderer, change):
    with pytest.raises(ValueError):
        renderer.certificate_pdf(dataclasses.replace(GERMAN_MENTEE, **change), created=CREATED)


def test_german_agreement_shows_its_fields_with_the_form_labels(renderer):
    pdf = renderer.agreement_pdf(AGREEMENT, created=CREATED)
    text = text_of(pdf)
    for expected in ("Mentoring-Vereinbarung", "Fassung 2", f"Mentee {ZOE}", f"Mentorin/Mentor {KHAI}",
                     "Zeitraum von 3. Februar 2025", "Zeitraum bis 30. Juni 2025", "Anzahl der Treffen 6",
                     "Art der Kontaktaufnahme Video und persönlich", "Häufigkeit der Kontaktaufnahme alle zwei Wochen",
                     "Themenplan 1. Berufseinstieg in der Forschung 2. Promotion – ja oder nein? 3. Netzwerken",
                     "Beide Seiten haben am 10. Februar 2025 zugestimmt.", "am 8. Februar 2025, 14:05 erstellt"):
        assert expected in text, expected
    assert len(embedded_font_names(pdf)) == 2
    assert renderer.agreement_pdf(AGREEMENT, created=CREATED) == pdf


def test_english_draft_agreement_says_it_is_not_yet_approved(renderer):
    draft = dataclasses.replace(AGREEMENT, language="en", approved_on=None, version=1,
                                contact_kind="video calls", contact_frequency="every two weeks")
    text = text_of(renderer.agreement_pdf(draft, created=CREATED))
    for expected in ("Mentoring Agreement", "Version 1", "Period from 3 February 2025", "Period until 30 June 2025",
                     "Number of meetings 6", "Kind of contact video calls", "Frequency of contact every two weeks",
                     "Topic plan 1.", "Draft: not yet approved by both sides."):
        assert expected in text, expected
    assert "Both sides approved" not in text


def test_agreement_with_a_long_topic_plan_continues_on_a_second_page(renderer):
    topics = tuple(f"Thema {number}: Ziele, Fragen und was bis zum nächsten Treffen zu tun ist" for number in range(40))
    pdf = renderer.agreement_pdf(dataclasses.replace(AGREEMENT, topics=topics), created=CREATED)
    assert len(read(pdf).pages) >= 2
    text = text_of(pdf)
    assert all(topic in text for topic in topics)
    last_page = read(pdf).pages[-1].extract_text()
    assert "Beide Seiten haben am 10. Februar 2025 zugestimmt." in last_page


def _naive_certificate(data: CertificateData) -> bytes:
    return DocumentRenderer(PlainFontFiles()).certificate_pdf(data, created=CREATED)


def test_reusing_the_parsed_font_gives_the_same_certificate(renderer):
    """How much faster it is: bench/certificates.py prints it."""
    naive_text = text_of(_naive_certificate(GERMAN_MENTEE))
    assert naive_text == text_of(renderer.certificate_pdf(GERMAN_MENTEE, created=CREATED))
