"""The fields of the forms we send and read back, in one table, and what we tell people about them.

Each form (application, agreement, meeting, feedback) is a tuple of fields with an English and a
German label; alongside stand what each field accepts and how each problem is worded, in both
languages. The table is one, not one per form, because a label of any form ends the value above it
when a reply is read, and because the readers, the writer and the messages to the person must all
agree on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field: ``problem`` is a key of PROBLEM_TEXT,
    ``value`` what the person wrote."""

    field: str
    problem: str
    value: str


@dataclass(frozen=True)
class FormResult:
    """What a reader found: typed values that are valid,
    the raw text per field (to send back prefilled), errors.

    ``found_any`` tells "no form here" from "a bad form"; ``found_unquoted`` tells whether any label
    appeared in the person's own text rather than only in the quoted original (or below an Outlook
    "From:" block)."""

    values: dict[str, object]
    raw: dict[str, str | list[str]]
    errors: tuple[FieldError, ...]
    found_any: bool
    found_unquoted: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Field:
    """A form field: its canonical name, its labels, and how its value runs on below the label line.

    kind "line": one value, continued only where a client re-wrapped it; "text": free text up to a
    blank line; "list": numbered (or bulleted) lines, or one line split at ``separators``."""

    name: str
    en: str
    de: str
    kind: str = "line"
    aliases: tuple[str, ...] = ()
    separators: str = ";"


FORMS: Mapping[str, tuple[Field, ...]] = MappingProxyType({
    "application": (
        Field("role", "Role", "Rolle"),
        Field("name", "Name", "Name"),
        Field("language", "Language", "Sprache"),
        Field("time_zone", "Time zone", "Zeitzone", aliases=("timezone",)),
        Field("topics", "Topics", "Themen", kind="list", separators=";,"),
        Field("capacity", "Capacity", "Kapazität"),
        Field("about", "About me", "Über mich", kind="text"),
    ),
    "agreement": (
        Field("period_from", "Period from", "Zeitraum von"),
        Field("period_until", "Period until", "Zeitraum bis", aliases=("period to",)),
        Field("number_of_meetings", "Number of meetings", "Anzahl der Treffen",
              aliases=("anzahl treffen",)),
        Field("kind_of_contact", "Kind of contact", "Art der Kontaktaufnahme"),
        Field("frequency_of_contact", "Frequency of contact", "Häufigkeit der Kontaktaufnahme"),
        Field("topic_plan", "Topic plan", "Themenplan", kind="list"),
    ),
    "meeting": (
        Field("date", "Date", "Datum"),
        Field("time", "Time", "Uhrzeit"),
        Field("duration_minutes", "Duration", "Dauer"),
        Field("repeat", "Repeat", "Wiederholung", aliases=("recurrence",)),
        Field("place", "Place", "Ort", aliases=("link", "location")),
        Field("topic", "Topic", "Thema"),
        Field("closing_meeting", "Closing meeting", "Abschlusstreffen"),
    ),
    "feedback": (
        Field("took_place", "Took place", "Fand statt"),
        Field("rating", "Rating", "Bewertung"),
        Field("comment", "Comment", "Kommentar", kind="text"),
    ),
})
# The first feedback form of a mentorship asks one more thing: whether the pair fits. Its reader
# reads every feedback form (the question is optional), so a reply is read the same whichever
# form it answers.
_GOOD_FIT = Field("good_fit", "Good fit", "Passt es", aliases=("good fit?", "passt es?", "fit"))
FORMS = MappingProxyType({**FORMS, "first_feedback": (*FORMS["feedback"], _GOOD_FIT)})

FORM_FIELDS: dict[str, tuple[str, ...]] = {
    form: tuple(f.name for f in fields) for form, fields in FORMS.items()
}
FIELD_LABELS: dict[str, dict[str, str]] = {
    f.name: {"en": f.en, "de": f.de} for fields in FORMS.values() for f in fields
}

FIELD_ACCEPTS: dict[str, dict[str, str]] = {
    "role": {"en": "mentee or mentor", "de": "mentee oder mentor"},
    "name": {"en": "your name (at most 100 characters)", "de": "Ihr Name (höchstens 100 Zeichen)"},
    "language": {"en": "de or en", "de": "de oder en"},
    "time_zone": {"en": "a name like Europe/Berlin", "de": "ein Name wie Europe/Berlin"},
    "topics": {"en": "one topic per numbered line, or topics separated by semicolons",
               "de": "ein Thema pro nummerierter Zeile, oder Themen durch Semikolon getrennt"},
    "capacity": {"en": "a whole number from 1 to 20", "de": "eine ganze Zahl von 1 bis 20"},
    "about": {"en": "free text, at most 2000 characters",
              "de": "freier Text, höchstens 2000 Zeichen"},
    "period_from": {"en": "a date like 2026-12-03 or 3.12.2026",
                    "de": "ein Datum wie 3.12.2026 oder 2026-12-03"},
    "period_until": {"en": "a date after the start, at most two years later",
                     "de": "ein Datum nach dem Beginn, höchstens zwei Jahre später"},
    "number_of_meetings": {"en": "a whole number from 1 to 50",
                           "de": "eine ganze Zahl von 1 bis 50"},
    "kind_of_contact": {
        "en": "for example video calls, phone or in person (at most 200 characters)",
        "de": "zum Beispiel Videoanruf, Telefon oder persönlich (höchstens 200 Zeichen)",
    },
    "frequency_of_contact": {"en": "for example every two weeks (at most 200 characters)",
                             "de": "zum Beispiel alle zwei Wochen (höchstens 200 Zeichen)"},
    "topic_plan": {"en": "at least one topic, one per numbered line (1. …, 2. …)",
                   "de": "mindestens ein Thema, eins pro nummerierter Zeile (1. …, 2. …)"},
    "date": {"en": "a date like 2026-12-03 or 3.12.2026; up to three options separated by ;",
             "de": "ein Datum wie 3.12.2026 oder 2026-12-03; bis zu drei Möglichkeiten, "
                   "durch ; getrennt"},
    "time": {"en": "a time like 15:00, 15 Uhr or 3pm; one for all dates, or one per date",
             "de": "eine Uhrzeit wie 15:00 oder 15 Uhr; eine für alle Daten, oder eine je Datum"},
    "repeat": {"en": "empty or no, or a series like every 2 weeks, 6 times or weekly until "
                     "2027-03-31 (2 to 50 meetings, with one date only)",
               "de": "leer oder nein, oder eine Reihe wie alle 2 Wochen, 6 mal oder wöchentlich "
                     "bis 31.03.2027 (2 bis 50 Treffen, nur mit einem Datum)"},
    "duration_minutes": {"en": "minutes from 15 to 480, like 60, 90 min or 1.5 h",
                         "de": "Minuten von 15 bis 480, wie 60, 90 min oder 1,5 Std"},
    "place": {"en": "an address or a link (at most 500 characters)",
              "de": "eine Adresse oder ein Link (höchstens 500 Zeichen)"},
    "topic": {"en": "what you want to talk about (at most 300 characters)",
              "de": "worüber Sie sprechen möchten (höchstens 300 Zeichen)"},
    "closing_meeting": {"en": "yes or no", "de": "ja oder nein"},
    "took_place": {"en": "yes or no", "de": "ja oder nein"},
    "rating": {"en": "a whole number from 1 to 5, like 4, 4/5 or ★★★★",
               "de": "eine ganze Zahl von 1 bis 5, wie 4, 4/5 oder ★★★★"},
    "comment": {"en": "free text, at most 2000 characters",
                "de": "freier Text, höchstens 2000 Zeichen"},
    "good_fit": {"en": "yes, not sure or no", "de": "ja, weiß nicht oder nein"},
}

PROBLEM_TEXT: dict[str, dict[str, str]] = {
    problem: {"en": f"{english} Accepted: {{accepted}}.",
              "de": f"{german} Erwartet wird: {{accepted}}."}
    for problem, english, german in (
        ("missing", "This field is missing or empty.", "Dieses Feld fehlt oder ist leer."),
        ("empty_list", "This list is empty.", "Diese Liste ist leer."),
        ("not_a_date", "We could not read this as a date.",
         "Das konnten wir nicht als Datum lesen."),
        ("not_a_time", "We could not read this as a time.",
         "Das konnten wir nicht als Uhrzeit lesen."),
        ("not_a_duration", "We could not read this as a duration.",
         "Das konnten wir nicht als Dauer lesen."),
        ("not_a_number", "We could not read this as a number.",
         "Das konnten wir nicht als Zahl lesen."),
        ("out_of_range", "This number is not possible here.", "Diese Zahl ist hier nicht möglich."),
        ("not_a_choice", "This is not one of the choices.", "Das ist keine der Möglichkeiten."),
        ("not_yes_no", "Please answer yes or no.", "Bitte antworten Sie mit ja oder nein."),
        ("not_a_rating", "We could not read this as a rating.",
         "Das konnten wir nicht als Bewertung lesen."),
        ("unknown_time_zone", "We do not know this time zone.", "Diese Zeitzone kennen wir nicht."),
        ("before_start", "The end of the period must come after its start.",
         "Das Ende des Zeitraums muss nach seinem Beginn liegen."),
        ("too_long", "The period can be at most two years long.",
         "Der Zeitraum darf höchstens zwei Jahre lang sein."),
        ("text_too_long", "This is too long.", "Das ist zu lang."),
        ("too_many_slots", "At most three options are possible.",
         "Höchstens drei Möglichkeiten gehen."),
        ("slots_mismatch", "The number of times does not match the number of dates.",
         "Die Zahl der Uhrzeiten passt nicht zur Zahl der Daten."),
        ("not_a_repeat", "We could not read this as a repetition.",
         "Das konnten wir nicht als Wiederholung lesen."),
        ("repeat_without_end", "A series needs an end: how many times, or until when.",
         "Eine Reihe braucht ein Ende: wie oft, oder bis wann."),
        ("slots_and_repeat", "A series starts on one date, not on several options.",
         "Eine Reihe beginnt an einem Datum, nicht an mehreren Möglichkeiten."),
        ("repeat_too_long", "This series would have more than 50 meetings or run over two years.",
         "Diese Reihe hätte mehr als 50 Treffen oder liefe über zwei Jahre."),
    )
}


def language_key(language: str) -> str:
    """The language a form is written in: German for any "de…", else English."""
    return "de" if language.lower().startswith("de") else "en"


def explain(error: FieldError, language: str) -> str:
    """One sentence for the person, in their language, naming what is accepted for that field."""
    lang = language_key(language)
    accepted = FIELD_ACCEPTS.get(error.field, {}).get(lang, "")
    return PROBLEM_TEXT[error.problem][lang].format(accepted=accepted)


def field_label(field_name: str, language: str) -> str:
    """The label as we print it: the mail's language first,
    the other after a slash ("Ort / Place")."""
    labels = FIELD_LABELS[field_name]
    first = language_key(language)
    second = "en" if first == "de" else "de"
    if labels[first] == labels[second]:
        return labels[first]
    return f"{labels[first]} / {labels[second]}"
