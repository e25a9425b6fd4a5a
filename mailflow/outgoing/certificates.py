"""The PDF documents a person keeps, the certificate of participation and the mentoring agreement,
built by one renderer per process.

Both are drawn with fpdf2 in the shipped Unicode font, in German or English. The creation date is
passed in, so the same input gives the same bytes (golden tests, resending a stored certificate).
The renderer is built once per process and costs nothing to build: the parsed font, which is the
expensive part, is loaded with the first document (see mailflow.outgoing.fonts), and fpdf2 is
imported then too. A certificate with a credential carries it as an embedded file
(credential.jwt, PDF 1.7 section 7.11.4), so the PDF alone can be checked by machine. What each
document draws is in certificate_pdf and agreement_pdf, their words in pdf_wording, the shared page
and text helpers in pdf_layout.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .agreement_pdf import AgreementData, agreement_strings, draw_agreement
from .certificate_pdf import CertificateData, certificate_strings, draw_certificate
from .fonts import FontSource
from .issuer_key import IssuerKey
from .pdf_layout import INK, MARGIN
from .pdf_wording import wording_for
from .report_pdf import LABELS, ReportData, draw_report, report_strings

if TYPE_CHECKING:
    from fpdf import FPDF

CREDENTIAL_FILE = "credential.jwt"


class DocumentRenderer:
    """Builds the PDFs; create one per process and reuse it."""

    def __init__(self, fonts: FontSource | None = None, issuer: IssuerKey | None = None):
        self._fonts = fonts  # None: the process's shared font set, loaded with the first PDF
        self.issuer = issuer  # signs the certificates' credentials; None: PDFs alone

    @property
    def fonts(self) -> FontSource:
        if self._fonts is not None:
            return self._fonts
        # imported here: fontTools and fpdf2 wait for the process's first PDF (most draw none)
        from .fonts.faces import shared_font_set
        return shared_font_set()

    def certificate_pdf(self, data: CertificateData, *, created: datetime) -> bytes:
        """One A4 page: title, programme, holder, partner, period, meetings, topics, verification
        code."""
        words = wording_for(data.language)
        if data.holder_role not in words.role_names:
            raise ValueError(f"unknown role {data.holder_role!r}")
        pdf = self._new_pdf(data.language, created, words.certificate_title,
                            certificate_strings(data, words))
        draw_certificate(pdf, data, words)
        if data.credential:
            pdf.embed_file(bytes=data.credential.encode("ascii"), basename=CREDENTIAL_FILE,
                           modification_date=pdf.creation_date, mime_type="application/vc+jwt",
                           desc="Open Badges 3.0 credential (VC-JWT)")
        return bytes(pdf.output())

    def agreement_pdf(self, data: AgreementData, *, created: datetime) -> bytes:
        """The agreed (or proposed) fields of one version of a mentoring agreement."""
        words = wording_for(data.language)
        pdf = self._new_pdf(data.language, created, words.agreement_title,
                            agreement_strings(data, words))
        draw_agreement(pdf, data, words)
        return bytes(pdf.output())

    def report_pdf(self, data: ReportData, *, created: datetime) -> bytes:
        """The sponsor report: one page of figures (and the first pairs, with NAMES)."""
        pdf = self._new_pdf(data.language, created, LABELS[data.language]["title"],
                            report_strings(data))
        draw_report(pdf, data)
        return bytes(pdf.output())

    def _new_pdf(self, language: str, created: datetime, title: str, strings: list[str]) -> FPDF:
        """An empty A4 document with its metadata, margins and the font cut that has every
        character of `strings`."""
        from fpdf import FPDF  # here: a process that draws no PDF does not import fpdf2
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_creation_date(created if created.tzinfo else created.replace(tzinfo=timezone.utc))
        pdf.set_lang(language)
        pdf.set_title(title)
        pdf.set_creator("mailflow")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.fonts.attach(pdf, "".join(strings))
        pdf.set_text_color(*INK)
        return pdf
