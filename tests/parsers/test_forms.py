"""Forms filled in by reply, as mail clients really deliver them, and the forms we send being read back."""
from __future__ import annotations

import email
import email.policy
from datetime import date, time
from pathlib import Path

import pytest

from mailflow.parsers.form_fields import (
    FIELD_LABELS, FORM_FIELDS, PROBLEM_TEXT, FieldError, explain,
)
from mailflow.parsers.forms import (
    read_agreement, read_application, read_feedback, read_meeting, render_form,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "forms"
READERS = {"application": read_application, "agreement": read_agreement, "meeting": read_meeting,
           "feedback": read_feedback}

# What we sent: the agreement form, prefilled from the application, in the mentee's language.
PREFILLED = {"number_of_meetings": 8, "topic_plan": ["Career", "Networking"]}

ANSWER = {
    "en": """Here is our agreement, thanks!

Period from: 2026-12-01
Period until: 2027-05-31
Number of meetings: 6
Kind of contact: video calls, and in person when we are both in Berlin
Frequency of contact: every two weeks
Topic plan:
1. Career planning
2. Networking
3. Presenting in front of the board

Best, Anna""",
    "de": """Hallo, anbei unsere Vereinbarung.

Zeitraum von: 1.12.2026
Zeitraum bis: 31.05.27
Anzahl der Treffen: 6
Art der Kontaktaufnahme: video calls, and in person when we are both in Berlin
Häufigkeit der Kontaktaufnahme: every two weeks
Themenplan:
1. Career planning
2. Networking
3. Presenting in front of the board

Viele Grüße
Anna""",
}
EXPECTED = {
    "period_from": date(2026, 12, 1), "period_until": date(2027, 5, 31), "number_of_meetings": 6,
    "kind_of_contact": "video calls, and in person when we are both in Berlin",
    "frequency_of_contact": "every two weeks",
    "topic_plan": ["Career planning", "Networking", "Presenting in front of the board"],
}


def quoted(text: str, marker: str = "> ") -> str:
    return "\n".join((marker + line).rstrip() for line in text.splitlines())


def gmail(answer: str, original: str) -> str:
    return f"{answer}\n\nOn Mon, Nov 30, 2026 at 10:00 AM Mailflow <reply+t0k@mentoring.example> wrote:\n\n" \
           f"{quoted(original)}\n"


def gmail_german(answer: str, original: str) -> str:
    return f"{answer}\n\nAm Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Mailflow <\nreply+t0k@mentoring.example>:\n\n" \
           f"{quoted(original)}\n"


def outlook_top_posted(answer: str, original: str) -> str:
    return f"{answer}\n\n________________________________\nFrom: Mailflow <reply+t0k@mentoring.example>\n" \
           f"Sent: Monday, November 30, 2026 10:00 AM\nTo: Anna Example <anna@example.org>\n" \
           f"Subject: Your mentoring agreement\n\n{original}\n"


def outlook_german_top_posted(answer: str, original: str) -> str:
    return f"{answer}\r\n\r\n\r\nVon: Mailflow [mailto:reply+t0k@mentoring.example]\r\n" \
           f"Gesendet: Montag, 30. November 2026 10:00\r\nAn: anna@example.org\r\n" \
           f"Betreff: Ihre Mentoring-Vereinbarung\r\n\r\n{original}".replace("\n", "\r\n").replace("\r\r", "\r")


def apple_mail(answer: str, original: str) -> str:
    return f"{answer}\n\n> On 30 Nov 2026, at 10:00, Mailflow <reply+t0k@mentoring.example> wrote:\n>\n" \
           f"{quoted(original)}\n>\n"


def apple_mail_german(answer: str, original: str) -> str:
    return f"{answer}\n\nGesendet von meinem iPhone\n\n> Am 30.11.2026 um 10:00 schrieb Mailflow " \
           f"<reply+t0k@mentoring.example>:\n>\n{quoted(original)}\n"


def thunderbird_bottom_posted(answer: str, original: str) -> str:
    return f"On 30.11.2026 10:00, Mailflow wrote:\n{quoted(original)}\n\n{answer}\n\n-- \nAnna Example\n"


def html_only_rendered(answer: str, original: str) -> str:
    """An HTML-only reply as our HTML-to-text step gives it: bold labels, non-breaking spaces, blockquote as "> "."""
    bold = "\n".join(_bold_label(line) for line in answer.splitlines())
    return f"{bold}\n\nOn 30.11.2026 10:00, Mailflow wrote:\n{quoted(original)}\n"


def _bold_label(line: str) -> str:
    label, colon, value = line.partition(":")
    if not colon or " " in label.strip() and len(label) > 40:
        return line
    return f"*{label}:*\u00a0{value.strip()}"


def nested_forward(answer: str, original: str) -> str:
    return f"{answer}\n\nOn Tue, Dec 1, 2026 at 9:00 AM Ben <ben@example.org> wrote:\n> Anna, please send it.\n>\n" \
           f"> On Mon, Nov 30, 2026 at 10:00 AM Mailflow <reply+t0k@mentoring.example> wrote:\n" \
           f"{quoted(quoted(original))}\n"


STYLES = [gmail, gmail_german, outlook_top_posted, outlook_german_top_posted, apple_mail, apple_mail_german,
          thunderbird_bottom_posted, html_only_rendered, nested_forward]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("style", STYLES, ids=lambda style: style.__name__)
def test_filled_agreement_in_a_clients_reply_beats_the_quoted_prefilled_form(style, language):
    reply = style(ANSWER[language], render_form("agreement", PREFILLED, language))
    result = read_agreement(reply)
    assert result.errors == ()
    assert result.values == EXPECTED
    assert result.found_any and result.found_unquoted


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("style", [gmail, apple_mail_german, html_only_rendered, nested_forward],
                         ids=lambda style: style.__name__)
def test_a_reply_quoting_only_our_form_is_seen_as_form_but_not_as_an_answer(style, language):
    result = read_agreement(style("Thanks, we will meet next week first.", render_form("agreement", PREFILLED,
                                                                                       language)))
    assert result.found_any and not result.found_unquoted
    assert result.values["number_of_meetings"] == 8
    assert {error.field: error.problem for error in result.errors} == {
        "period_from": "missing", "period_until": "missing", "kind_of_contact": "missing",
        "frequency_of_contact": "missing"}


def test_outlook_original_below_from_sent_block_does_not_count_as_the_persons_answer():
    reply = outlook_top_posted("Will fill it in tomorrow.", render_form("agreement", PREFILLED, "en"))
    assert not read_agreement(reply).found_unquoted


def test_values_typed_into_the_quoted_form_are_read_when_nothing_else_is_there():
    original = render_form("agreement", PREFILLED, "en")
    filled = original.replace("Period from / Zeitraum von:", "Period from / Zeitraum von: 2026-12-01")
    result = read_agreement(gmail("see below", filled))
    assert result.values["period_from"] == date(2026, 12, 1)


def test_answers_typed_below_each_quoted_label_are_read_interleaved():
    reply = """On Mon, Nov 30, 2026 at 10:00 AM Mailflow <reply+t0k@mentoring.example> wrote:
> Period from / Zeitraum von:

1.12.2026

> Period until / Zeitraum bis:
31.5.2027
> Number of meetings / Anzahl der Treffen: 8
> Kind of contact / Art der Kontaktaufnahme:
Video
> Frequency of contact / Häufigkeit der Kontaktaufnahme:

monthly

> Topic plan / Themenplan:
1. Career
2. Networking
"""
    result = read_agreement(reply)
    assert result.errors == ()
    assert result.found_unquoted
    assert result.values["period_from"] == date(2026, 12, 1)
    assert result.values["period_until"] == date(2027, 5, 31)
    assert result.values["kind_of_contact"] == "Video"
    assert result.values["frequency_of_contact"] == "monthly"
    assert result.values["topic_plan"] == ["Career", "Networking"]


def test_a_value_the_client_rewrapped_onto_the_next_line_is_joined_back():
    reply = """> Kind of contact: video calls every second Tuesday, and in person at the
> office in Berlin when both of us are there
> Frequency of contact: every two weeks
> Topic plan:
> 1. How to prepare the yearly review with the team lead and what to ask
> for in it
> 2. Networking
"""
    result = read_agreement(reply)
    assert result.values["kind_of_contact"] == ("video calls every second Tuesday, and in person at the office in "
                                                "Berlin when both of us are there")
    assert result.values["topic_plan"] == [
        "How to prepare the yearly review with the team lead and what to ask for in it", "Networking"]


def test_a_greeting_right_below_a_short_value_is_not_part_of_it():
    reply = "Frequency of contact: monthly\nThanks, Anna\n"
    assert read_agreement(reply).values["frequency_of_contact"] == "monthly"


def test_an_empty_field_does_not_take_the_next_unknown_label_as_its_value():
    reply = "Date: 2026-12-03\nTime: 15:00\nDuration: 60\nTopic: CV\nPlace:\nNotes: bring the laptop\n"
    assert {error.field: error.problem for error in read_meeting(reply).errors} == {"place": "missing"}


def test_a_greeting_right_below_the_list_is_not_taken_as_a_topic():
    reply = "Topic plan:\n1. Career\n2. Networking\nThanks!\nAnna\n"
    assert read_agreement(reply).values["topic_plan"] == ["Career", "Networking"]


@pytest.mark.parametrize("line", [
    "PERIOD FROM: 2026-12-01", "period from : 2026-12-01", "**Period from:** 2026-12-01",
    "*Period from*: 2026-12-01", "Period\u00a0from:\u00a02026-12-01", "  Period from:   2026-12-01  ",
    "Zeitraum von / Period from: 01.12.2026", "Period from / Zeitraum von: 1. Dezember 2026",
    "Zeitraum von (Datum): 01.12.2026", "_Zeitraum von:_ 01.12.2026", "\ufeffPeriod from: 2026-12-01",
    "> > Period from: 2026-12-01", ">>Period from: 2026-12-01",
])
def test_label_spellings_from_real_clients_are_recognised(line):
    assert read_agreement(line).values["period_from"] == date(2026, 12, 1)


@pytest.mark.parametrize("line", [
    "I think the Period from: 2026-12-01 is fine", "      - Period from: 2026-12-01", "Period from 2026-12-01",
])
def test_a_label_counts_only_at_the_start_of_a_line(line):
    assert not read_agreement(line).found_any


def test_labels_of_both_languages_mixed_in_one_reply_are_all_read():
    reply = "Zeitraum von: 1.12.2026\nPeriod until: 2027-05-31\nAnzahl der Treffen: 6\nKind of contact: Telefon\n" \
            "Häufigkeit der Kontaktaufnahme: monatlich\nTopic plan:\n1. Karriere\n"
    assert read_agreement(reply).ok


def test_of_two_unquoted_values_the_first_wins_and_the_quoted_one_never():
    reply = gmail("Number of meetings: 6", "Number of meetings: 8") + "\nNumber of meetings: 10\n"
    assert read_agreement(reply).values["number_of_meetings"] == 6


def test_a_filled_quoted_value_beats_an_empty_unquoted_label():
    reply = gmail("Number of meetings:", "Number of meetings: 8")
    assert read_agreement(reply).values["number_of_meetings"] == 8


# ------------------------------------------------------------------ agreement rules

def agreement(**changes: str) -> str:
    fields = {"Period from": "2026-12-01", "Period until": "2027-05-31", "Number of meetings": "6",
              "Kind of contact": "video", "Frequency of contact": "monthly", "Topic plan": "\n1. Career"}
    fields.update({label.replace("_", " ").capitalize(): value for label, value in changes.items()})
    return "\n".join(f"{label}: {value}" if value is not None else "" for label, value in fields.items()) + "\n"


def problems(result) -> dict[str, str]:
    return {error.field: error.problem for error in result.errors}


def test_a_complete_agreement_is_ok():
    result = read_agreement(agreement())
    assert result.ok and result.values["topic_plan"] == ["Career"]


@pytest.mark.parametrize("until", ["2026-12-01", "2026-11-30", "1.1.2026"])
def test_an_end_not_after_the_start_is_refused_and_the_written_value_kept(until):
    result = read_agreement(agreement(period_until=until))
    assert result.errors == (FieldError("period_until", "before_start", until),)
    assert "period_until" not in result.values
    assert result.raw["period_until"] == until


def test_a_period_of_exactly_two_years_is_fine_and_one_day_more_is_too_long():
    assert read_agreement(agreement(period_until="2028-12-01")).ok
    assert problems(read_agreement(agreement(period_until="2028-12-02"))) == {"period_until": "too_long"}


@pytest.mark.parametrize("field, value", [("period_from", "next month"), ("period_until", "31.02.2027")])
def test_a_date_we_cannot_read_is_named(field, value):
    assert problems(read_agreement(agreement(**{field: value}))) == {field: "not_a_date"}


@pytest.mark.parametrize("count, problem", [("0", "out_of_range"), ("51", "out_of_range"), ("many", "not_a_number"),
                                            ("5-6", "not_a_number")])
def test_the_number_of_meetings_must_be_a_whole_number_from_1_to_50(count, problem):
    assert problems(read_agreement(agreement(number_of_meetings=count))) == {"number_of_meetings": problem}


@pytest.mark.parametrize("count, expected", [("50", 50), ("1", 1), ("ca. 6 Treffen", 6), ("sechs", 6), ("ca. sechs", 6),
                                             ("six", 6)])
def test_the_number_of_meetings_may_be_written_with_words_around_it(count, expected):
    assert read_agreement(agreement(number_of_meetings=count)).values["number_of_meetings"] == expected


@pytest.mark.parametrize("field", ["kind_of_contact", "frequency_of_contact"])
def test_kind_and_frequency_of_contact_must_not_be_empty(field):
    assert problems(read_agreement(agreement(**{field: ""}))) == {field: "missing"}


def test_a_topic_plan_without_topics_is_an_empty_list():
    result = read_agreement(agreement(topic_plan="\n1.\n2.\n"))
    assert problems(result) == {"topic_plan": "empty_list"}


def test_every_field_left_out_is_named_missing():
    result = read_agreement("Period from: 2026-12-01\n")
    assert result.found_any
    assert problems(result) == {name: "missing" for name in FORM_FIELDS["agreement"] if name != "period_from"}


def test_a_mail_without_any_form_is_not_a_form():
    result = read_agreement("Hi, can we talk on Monday?\n\nAnna")
    assert not result.found_any and not result.ok


def test_topics_on_one_line_are_split_at_semicolons():
    result = read_agreement(agreement(topic_plan="Career; Networking, inside the company; Presenting"))
    assert result.values["topic_plan"] == ["Career", "Networking, inside the company", "Presenting"]


# ------------------------------------------------------------------ application

def test_a_mentor_application_in_german_is_read():
    reply = """Rolle: Mentorin
Name: Dr. Erika Mustermann
Sprache: Deutsch
Zeitzone: Europe/Berlin
Themen: Karriere; Führung, Verhandeln
Kapazität: 2
Über mich: Ich leite seit zehn Jahren ein Team
und helfe gern beim Einstieg.

Viele Grüße"""
    result = read_application(reply)
    assert result.errors == ()
    assert result.values == {
        "role": "mentor", "name": "Dr. Erika Mustermann", "language": "de", "time_zone": "Europe/Berlin",
        "topics": ["Karriere", "Führung", "Verhandeln"], "capacity": 2,
        "about": "Ich leite seit zehn Jahren ein Team\nund helfe gern beim Einstieg."}


def test_a_mentee_application_with_numbered_topics_needs_no_capacity():
    reply = "Role: mentee\nName: Anna\nLanguage: en\nTime zone: america/new_york\nTopics:\n1. Career\n2. Salary\n"
    result = read_application(reply)
    assert result.ok
    assert result.values["topics"] == ["Career", "Salary"]
    assert result.values["time_zone"] == "America/New_York"
    assert "capacity" not in result.values


@pytest.mark.parametrize("changes, expected", [
    ({"Role": "boss"}, {"role": "not_a_choice"}),
    ({"Capacity": None}, {"capacity": "missing"}),
    ({"Capacity": "21"}, {"capacity": "out_of_range"}),
    ({"Capacity": "0"}, {"capacity": "out_of_range"}),
    ({"Time zone": "Mars/Olympus"}, {"time_zone": "unknown_time_zone"}),
    ({"Language": "French"}, {"language": "not_a_choice"}),
    ({"Name": "A" * 101}, {"name": "text_too_long"}),
    ({"Name": ""}, {"name": "missing"}),
    ({"Topics": ""}, {"topics": "empty_list"}),
    ({"Topics": None}, {"topics": "missing"}),
])
def test_application_rules_name_the_wrong_field(changes, expected):
    fields = {"Role": "mentor", "Name": "Ben", "Time zone": "Berlin", "Topics": "Career", "Capacity": "3"}
    fields.update(changes)
    text = "\n".join(f"{label}: {value}" for label, value in fields.items() if value is not None)
    assert problems(read_application(text)) == expected


def test_a_city_alone_names_its_time_zone():
    assert read_application("Zeitzone: berlin").values["time_zone"] == "Europe/Berlin"


# ------------------------------------------------------------------ meeting

def test_a_meeting_proposal_in_german_is_read():
    reply = "TREFFEN\n\nDatum: 3. Dezember 2026\nUhrzeit: 15 Uhr\nDauer: 1,5 Std\n" \
            "Ort: https://meet.example.org/abc-defg\nThema: Lebenslauf\nAbschlusstreffen: nein\n"
    result = read_meeting(reply)
    assert result.errors == ()
    assert result.values == {"date": date(2026, 12, 3), "time": time(15, 0), "duration_minutes": 90,
                             "place": "https://meet.example.org/abc-defg", "topic": "Lebenslauf",
                             "closing_meeting": False}


def test_a_meeting_without_the_closing_line_is_not_the_closing_meeting():
    reply = "Date: 2026-12-03\nTime: 3pm\nDuration: 1h\nPlace: Café Central\nTopic: CV\n"
    assert read_meeting(reply).values["closing_meeting"] is False


def test_a_closing_meeting_is_marked_by_yes():
    reply = "Date: 2026-12-03\nTime: 3pm\nDuration: 1h\nPlace: Office\nTopic: Review\nClosing meeting: Yes!\n"
    assert read_meeting(reply).values["closing_meeting"] is True


@pytest.mark.parametrize("line, expected", [
    ("Duration: 10", {"duration_minutes": "out_of_range"}), ("Duration: 9h", {"duration_minutes": "out_of_range"}),
    ("Duration: a while", {"duration_minutes": "not_a_duration"}), ("Time: teatime", {"time": "not_a_time"}),
    ("Date: Monday", {"date": "not_a_date"}), ("Closing meeting: maybe", {"closing_meeting": "not_yes_no"}),
    ("Place:", {"place": "missing"}),
])
def test_meeting_rules_name_the_wrong_field(line, expected):
    fields = {"Date": "2026-12-03", "Time": "15:00", "Duration": "60", "Place": "Office", "Topic": "CV"}
    label = line.partition(":")[0]
    fields.pop(label, None)
    text = "\n".join(f"{key}: {value}" for key, value in fields.items()) + "\n" + line + "\n"
    assert problems(read_meeting(text)) == expected


def test_a_date_below_a_subject_line_and_a_blank_line_is_still_the_meeting_date():
    reply = "Subject: our next meeting\n\nDate: 2026-12-03\nTime: 15:00\n"
    assert read_meeting(reply).values["date"] == date(2026, 12, 3)


def test_quoted_mail_headers_are_not_a_meeting_date():
    reply = "Thanks!\n\n> Subject: Your meeting\n> From: Mailflow\n> Date: Mon, 30 Nov 2026 10:00:00 +0100\n" \
            "> To: anna@example.org\n"
    assert not read_meeting(reply).found_any


# ------------------------------------------------------------------ feedback

@pytest.mark.parametrize("rating", ["4", "4/5", "4 / 5", "4 von 5", "4 out of 5", "★★★★", "★★★★☆", "****", "4 Sterne"])
def test_a_rating_of_four_is_read_in_its_usual_spellings(rating):
    result = read_feedback(f"Took place: yes\nRating: {rating}\nComment: good\n")
    assert result.values["rating"] == 4


@pytest.mark.parametrize("rating, problem", [("6", "out_of_range"), ("0", "out_of_range"), ("good", "not_a_rating"),
                                             ("4,5", "not_a_rating"), ("8/10", "not_a_rating")])
def test_a_rating_outside_1_to_5_is_refused(rating, problem):
    assert problems(read_feedback(f"Took place: yes\nRating: {rating}\n")) == {"rating": problem}


def test_a_meeting_that_did_not_take_place_needs_no_rating():
    result = read_feedback("Fand statt: nein\nKommentar: Sie war krank.\n")
    assert result.ok and result.values == {"took_place": False, "comment": "Sie war krank."}


def test_a_meeting_that_took_place_needs_a_rating():
    assert problems(read_feedback("Fand statt: ja\n")) == {"rating": "missing"}


def test_took_place_must_be_yes_or_no():
    assert problems(read_feedback("Took place: perhaps\nRating: 4\n")) == {"took_place": "not_yes_no"}


def test_a_bold_star_rating_from_html_keeps_its_stars():
    assert read_feedback("*Took place:* yes\n*Rating:* ***\n").values["rating"] == 3


def test_a_comment_runs_over_several_lines_until_a_blank_line():
    result = read_feedback("Took place: yes\nRating: 5\nComment: Great talk.\nNext time: salary.\n\nAnna\n")
    assert result.values["comment"] == "Great talk.\nNext time: salary."


# ------------------------------------------------------------------ rendering and round trips

FILLED = {
    "application": {"role": "mentor", "name": "Erika Mustermann", "language": "de", "time_zone": "Europe/Berlin",
                    "topics": ["Career", "Leadership"], "capacity": 2, "about": "Team lead.\nLikes hiking."},
    "agreement": EXPECTED,
    "meeting": {"date": date(2026, 12, 3), "time": time(15, 30), "duration_minutes": 90,
                "place": "https://meet.example.org/abc", "topic": "CV", "closing_meeting": True},
    "feedback": {"took_place": True, "rating": 4, "comment": "Helpful."},
}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("form", sorted(READERS))
def test_every_form_we_render_reads_back_to_the_same_values(form, language):
    result = READERS[form](render_form(form, FILLED[form], language))
    assert result.errors == ()
    assert result.values == FILLED[form]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("form", sorted(READERS))
def test_every_form_survives_being_quoted_by_a_mail_client(form, language):
    reply = gmail("", render_form(form, FILLED[form], language))
    assert READERS[form](reply).values == FILLED[form]


def test_the_german_form_shows_german_labels_first_and_german_dates():
    text = render_form("agreement", EXPECTED, "de")
    assert "Zeitraum von / Period from: 01.12.2026\n" in text
    assert "Themenplan / Topic plan:\n1. Career planning\n2. Networking\n" in text
    assert "Name" not in text


def test_the_english_form_shows_english_labels_first_and_iso_dates():
    text = render_form("meeting", FILLED["meeting"], "en")
    assert text.startswith("Date / Datum: 2026-12-03\nTime / Uhrzeit: 15:30\n")
    assert "Closing meeting / Abschlusstreffen: yes\n" in text
    assert render_form("application", {}, "en").count("Name") == 1


def test_an_empty_list_is_rendered_as_a_numbered_line_to_fill_in():
    assert "Topic plan / Themenplan:\n1.\n" in render_form("agreement", {}, "en")


def test_a_wrong_form_sent_back_prefilled_keeps_the_persons_values_and_errors():
    first = read_agreement(agreement(period_until="2026-01-01", number_of_meetings="many"))
    again = read_agreement(render_form("agreement", first.raw, "de"))
    assert again.raw == first.raw
    assert again.errors == first.errors


# ------------------------------------------------------------------ texts for the person

def test_every_problem_has_a_sentence_in_both_languages_naming_what_is_accepted():
    assert len(PROBLEM_TEXT) == 20
    for problem, texts in PROBLEM_TEXT.items():
        assert set(texts) == {"en", "de"}, problem
    error = FieldError("number_of_meetings", "out_of_range", "51")
    assert "1 to 50" in explain(error, "en") and "1 bis 50" in explain(error, "de")


def test_every_field_has_labels_in_both_languages():
    assert set(FIELD_LABELS) == {name for names in FORM_FIELDS.values() for name in names}
    assert FIELD_LABELS["period_from"] == {"en": "Period from", "de": "Zeitraum von"}


def test_every_problem_a_reader_reports_can_be_explained():
    nonsense = "\n".join(f"{label}: ???" for labels in FIELD_LABELS.values() for label in labels.values())
    found = {name: {(error.field, error.problem) for error in reader(nonsense).errors}
             for name, reader in READERS.items()}
    assert found == {
        "application": {("capacity", "not_a_number"), ("language", "not_a_choice"),
                        ("role", "not_a_choice"), ("time_zone", "unknown_time_zone")},
        "agreement": {("number_of_meetings", "not_a_number"), ("period_from", "not_a_date"),
                      ("period_until", "not_a_date")},
        "meeting": {("closing_meeting", "not_yes_no"), ("date", "missing"),
                    ("duration_minutes", "not_a_duration"), ("time", "not_a_time"),
                    ("repeat", "not_a_repeat")},
        "feedback": {("rating", "not_a_rating"), ("took_place", "not_yes_no")},
    }
    for field, problem in set().union(*found.values()):
        error = FieldError(field, problem, "???")
        assert not explain(error, "en").endswith("Accepted: ."), error
        assert not explain(error, "de").endswith("Erwartet wird: ."), error


# ------------------------------------------------------------------ real replies from real clients

def body_text(path: Path) -> str:
    if path.suffix != ".eml":
        return path.read_text(encoding="utf-8")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return message.get_body(preferencelist=("plain", "html")).get_content()


REAL_REPLIES = sorted(path for path in FIXTURES.iterdir() if path.name != "SOURCES.md")


@pytest.mark.parametrize("path", REAL_REPLIES, ids=lambda path: path.name)
def test_real_replies_without_a_form_are_not_read_as_one(path):
    text = body_text(path)
    for name, reader in READERS.items():
        assert not reader(text).found_any, name


@pytest.mark.parametrize("path", REAL_REPLIES, ids=lambda path: path.name)
def test_an_agreement_top_posted_above_a_real_reply_thread_is_read(path):
    reply = ANSWER["de"] + "\n\n" + body_text(path)
    assert read_agreement(reply).values == EXPECTED
