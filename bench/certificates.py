"""Benchmark: milliseconds per certificate, fpdf2's plain `add_font` for every document against mailflow's font
parsed once per process (mailflow.outgoing.fonts), and what issuing costs with the Open Badges credential: signing
it (ES256), the QR code on the PDF, the embedded credential.jwt and the baked PNG badge.
Run: python bench/certificates.py [--count 200]"""
from __future__ import annotations

import argparse
import importlib
import itertools
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout, as the other benches

from mailflow.outgoing.badge_png import badge_png  # noqa: E402
from mailflow.outgoing.certificate_pdf import CertificateData  # noqa: E402
from mailflow.outgoing.certificates import DocumentRenderer  # noqa: E402
from mailflow.outgoing.credential import (  # noqa: E402
    CredentialFacts, MeetingEvidence, signed_credential,
)
from mailflow.outgoing.fonts import PlainFontFiles  # noqa: E402
from mailflow.outgoing.issuer_key import IssuerKey  # noqa: E402

FIRST_NAMES = ("Zoë", "Nguyễn Thị", "Łucja", "Şükrü", "Đặng", "Ångström", "Jiří", "Ștefan", "Aoife", "Björn",
               "Ișık", "Kristýna", "Ludmiła", "Renée", "Ōtani", "Çağla", "Gráinne", "Hüseyin")
LAST_NAMES = ("Łukasiewicz-Öztürk", "Minh Khai", "Dvořák", "Ødegård", "Țiriac", "Nuñez", "Grünewald", "Ağaoğlu",
              "Thủy Tiên", "Ó Súilleabháin", "Müller-Lüdenscheidt", "Kowalczyk", "Brontë", "Żurawski")
CREATED = datetime(2025, 7, 1, 9, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Timing:
    label: str
    mean_ms: float
    p95_ms: float
    min_ms: float


def varied_certificates(count: int) -> list[CertificateData]:
    """`count` certificates with different names, languages, roles, meetings and topics."""
    names = itertools.cycle(f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES)
    start = date(2025, 2, 3)
    return [CertificateData(
        language=("de", "en")[number % 2], programme="Mentoring Hochschule Nord 2025", holder_name=next(names),
        holder_role=("mentee", "mentor")[number % 3 == 0], partner_name=next(names), period_from=start,
        period_until=start + timedelta(days=150),
        meeting_dates=tuple(start + timedelta(days=14 * week) for week in range(3 + number % 9)),
        topics=tuple(f"Thema {topic}: Berufseinstieg und Netzwerke" for topic in range(1 + number % 5)),
        issued_on=date(2025, 7, 1), verification_code=f"MF-{number:04d}-9XHD",
        verify_address="hello@mentoring.example.org") for number in range(count)]


def with_credential(renderer: DocumentRenderer, data: CertificateData) -> bytes:
    """What completion does per person: sign the credential, bake the badge, draw the PDF with QR and
    attachment."""
    facts = CredentialFacts(
        language=data.language, code=data.verification_code, issuer_id="https://mentoring.example.org/issuer.json",
        issuer_name=data.programme, issuer_email=data.verify_address,
        status_url="https://mentoring.example.org/revocations.json", holder_name=data.holder_name,
        holder_email="someone@example.org", role=data.holder_role, programme=data.programme,
        period_from=data.period_from, period_until=data.period_until,
        agreed_period=(data.period_from, data.period_until), meetings_agreed=6,
        meetings=tuple(MeetingEvidence(day, 60, "calendar", 2) for day in data.meeting_dates), issued_at=CREATED)
    credential = signed_credential(facts, renderer.issuer)
    link = f"mailto:{data.verify_address}?subject=VERIFY%20{data.verification_code}"
    badge_png(credential, link)
    return renderer.certificate_pdf(replace(data, minutes=60 * len(data.meeting_dates), qr_link=link,
                                            credential=credential), created=CREATED)


def measure(label: str, renderer: DocumentRenderer, certificates: list[CertificateData], *,
            credential: bool = False) -> Timing:
    def issue(data: CertificateData) -> None:
        if credential:
            with_credential(renderer, data)
        else:
            renderer.certificate_pdf(data, created=CREATED)

    issue(replace(certificates[0], holder_name="Warm Up"))
    times = []
    for data in certificates:
        start = time.perf_counter()
        issue(data)
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    return Timing(label, statistics.fmean(times), p95, min(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200, help="certificates per way (default 200)")
    count = parser.parse_args().count
    certificates = varied_certificates(count)
    # what a process's first PDF waits for, once: importing fontTools and fpdf2, then cutting the faces
    start = time.perf_counter()
    faces = importlib.import_module("mailflow.outgoing.fonts.faces")
    imported = time.perf_counter()
    fonts = faces.shared_font_set()
    print(f"font set loaded once per process in {(time.perf_counter() - imported) * 1000:.0f} ms "
          f"(fontTools and fpdf2 imported first: {(imported - start) * 1000:.0f} ms)")
    cached = DocumentRenderer(fonts)
    signing = DocumentRenderer(fonts, issuer=IssuerKey(ec.generate_private_key(ec.SECP256R1())))
    results = [measure("naive: add_font per document", DocumentRenderer(PlainFontFiles()), certificates),
               measure("mailflow: font parsed once", cached, certificates),
               measure("+ credential, QR, badge", signing, certificates, credential=True)]
    print(f"{count} certificates with varied names, ms per certificate:")
    for timing in results:
        print(f"  {timing.label:32} mean {timing.mean_ms:6.1f}   p95 {timing.p95_ms:6.1f}   min {timing.min_ms:6.1f}")
    print(f"  speed-up (mean): {results[0].mean_ms / results[1].mean_ms:.1f}x")
    print(f"  the credential adds (mean): {results[2].mean_ms - results[1].mean_ms:.1f} ms")


if __name__ == "__main__":
    main()
