"""What a person is told about a form they sent back: each error under its field's label, and the
note that no filled-in form was found. Shared by the application, agreement, meeting and
feedback forms."""
from __future__ import annotations

from ..parsers.form_fields import FormResult, explain, field_label


def form_errors(result: FormResult, language: str) -> list[str]:
    """Each error of result as "Field: what is wrong, and what is expected"."""
    return [field_error(e.field, explain(e, language), language) for e in result.errors]


def field_error(field: str, text: str, language: str) -> str:
    return f"{field_label(field, language)}: {text}"


def no_form(language: str) -> str:
    if language == "de":
        return ("Wir haben in Ihrer Antwort kein ausgefülltes Formular gefunden. "
                "Bitte füllen Sie das Formular unten aus.")
    return "We found no filled-in form in your reply. Please fill in the form below."
