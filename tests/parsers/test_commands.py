"""Scenarios for reading the keyword a person typed, in English or German, from the first line or the subject."""
from __future__ import annotations

import pytest

from mailflow.parsers.commands import (
    Command, Keyword, guess_language, read_command, strip_reply_prefixes,
)

ENGLISH_WORDS = {keyword: keyword.name for keyword in Keyword}
GERMAN_WORDS = {
    Keyword.HELP: "HILFE", Keyword.PROFILE: "PROFIL", Keyword.TOPICS: "THEMEN", Keyword.MENTORS: "MENTOREN",
    Keyword.REQUEST: "ANFRAGE", Keyword.ACCEPT: "ANNEHMEN", Keyword.DECLINE: "ABLEHNEN", Keyword.APPROVE: "ZUSTIMMEN",
    Keyword.CHANGES: "ÄNDERN", Keyword.AMEND: "ANPASSEN", Keyword.MEETING: "TREFFEN", Keyword.CANCEL: "ABSAGEN",
    Keyword.YES: "JA", Keyword.NO: "NEIN", Keyword.END: "BEENDEN", Keyword.CERTIFICATE: "BESCHEINIGUNG",
    Keyword.EXPORT: "EXPORT", Keyword.DELETE: "LÖSCHEN", Keyword.VERIFY: "PRÜFEN", Keyword.REMIND: "ERINNERN",
    Keyword.MATCH: "ZUORDNEN", Keyword.RESEND: "ERNEUT", Keyword.IMPORT: "IMPORT", Keyword.STATS: "STATISTIK",
    Keyword.APPLY: "BEWERBEN", Keyword.SUBSCRIBE: "ABONNIEREN", Keyword.KEY: "SCHLÜSSEL",
    Keyword.REVOKE: "WIDERRUFEN",
    Keyword.PROPOSE: "VORSCHLAG", Keyword.REPORT: "BERICHT", Keyword.CONCERN: "ANLIEGEN",
}
SHARED = {Keyword.EXPORT, Keyword.IMPORT}


@pytest.mark.parametrize("keyword", list(Keyword), ids=lambda k: k.name)
def test_every_english_keyword_on_the_first_line(keyword):
    command = read_command("Re: Your mentoring agreement", f"{ENGLISH_WORDS[keyword]}\n\nThanks, Anna")
    multiline = keyword in (Keyword.CHANGES, Keyword.CONCERN)
    assert command == Command(keyword, "Thanks, Anna" if multiline else "", "en")


@pytest.mark.parametrize(("subject", "text"), [
    ("Re: Your mentoring", "CONCERN My mentor is rude\nvery rude\n"),
    ("ANLIEGEN", "My mentor is rude\nvery rude"),
])
def test_a_concern_keeps_every_line_of_its_text(subject, text):
    command = read_command(subject, text)
    assert (command.keyword, command.argument) == (Keyword.CONCERN, "My mentor is rude\nvery rude")


@pytest.mark.parametrize("keyword", list(Keyword), ids=lambda k: k.name)
def test_every_german_keyword_on_the_first_line(keyword):
    command = read_command("AW: Ihre Mentoring-Vereinbarung", f"{GERMAN_WORDS[keyword]}\n\nViele Grüße, Anna")
    assert command.keyword is keyword
    assert command.language == "de"


@pytest.mark.parametrize("keyword", list(Keyword), ids=lambda k: k.name)
def test_every_keyword_in_lower_case_in_the_subject(keyword):
    command = read_command(f"Re: {GERMAN_WORDS[keyword].lower()}", "")
    assert command.keyword is keyword
    assert command.language == ("en" if keyword in SHARED else "de")


@pytest.mark.parametrize(("word", "keyword"), [
    ("aendern", Keyword.CHANGES), ("Loeschen", Keyword.DELETE), ("PRUEFEN", Keyword.VERIFY), ("hilfe", Keyword.HELP),
])
def test_german_words_typed_without_umlauts_or_in_any_case(word, keyword):
    assert read_command("", word).keyword is keyword


@pytest.mark.parametrize(("line", "keyword", "argument"), [
    ("Yes!", Keyword.YES, ""),
    ("Ja.", Keyword.YES, ""),
    ("ACCEPT,", Keyword.ACCEPT, ""),
    ("Yes, I'd love to", Keyword.YES, "I'd love to"),
    ("  decline - sorry, no time this term", Keyword.DECLINE, "sorry, no time this term"),
    ("*ANNEHMEN*", Keyword.ACCEPT, ""),
])
def test_keyword_with_punctuation_or_words_after_it(line, keyword, argument):
    command = read_command("", f"\n\n{line}\nAnna")
    assert (command.keyword, command.argument) == (keyword, argument)


@pytest.mark.parametrize("text", [
    "Yesterday I met my mentee.", "Accepted: Kick-off meeting", "Helpful, thanks!", "Endlich geschafft",
    "E-Mail kam an", "Hi Anna,\nACCEPT", "Thank you very much", "",
])
def test_text_that_is_no_command(text):
    assert read_command("", text) is None


@pytest.mark.parametrize("subject", [
    "Re: AW: HELP", "RE: Re: help", "AW: Aw: Hilfe", "Antw: HILFE", "WG: HELP", "Fwd: FW: help", "Wtr: HELP",
    "SV: help", "Antwort: Hilfe", "[mailflow] HELP", "Re: [Mentoring 2026] Re[2]: help", "  re:   help  ",
])
def test_subject_with_reply_and_forward_prefixes(subject):
    assert read_command(subject, "Hello, I am new here.").keyword is Keyword.HELP


def test_first_line_is_read_before_the_subject():
    command = read_command("Re: DECLINE", "ACCEPT\n\nSee you soon")
    assert command.keyword is Keyword.ACCEPT


def test_subject_is_read_when_the_first_line_is_no_keyword():
    assert read_command("Re: DECLINE", "Sorry, I have no time.").keyword is Keyword.DECLINE


@pytest.mark.parametrize("subject", [
    "Re: Amend your mentoring agreement", "AW: Treffen am Montag", "Re: Import: 3 new, 0 updated",
    "Re: Mentoring request from Anna", "Accepted: Kick-off meeting", "Re: Help with my mentee",
])
def test_sentence_subjects_that_merely_start_with_a_keyword_are_no_command(subject):
    assert read_command(subject, "Period from: 2026-03-01") is None


@pytest.mark.parametrize(("subject", "text", "keyword", "argument"), [
    ("", "REQUEST anna@example.org", Keyword.REQUEST, "anna@example.org"),
    ("", "ANFRAGE @anna", Keyword.REQUEST, "@anna"),
    ("", "request  Anna@Example.org \n\nI would like to learn about grants.", Keyword.REQUEST, "Anna@Example.org"),
    ("Re: REQUEST anna", "", Keyword.REQUEST, "anna"),
    ("", "MATCH anna@example.org ben@example.org", Keyword.MATCH, "anna@example.org ben@example.org"),
    ("", "ZUORDNEN anna ben", Keyword.MATCH, "anna ben"),
    ("", "VERIFY MF-2026-0042", Keyword.VERIFY, "MF-2026-0042"),
    ("AW: PRÜFEN MF-2026-0042", "", Keyword.VERIFY, "MF-2026-0042"),
])
def test_argument_is_the_rest_of_the_line(subject, text, keyword, argument):
    command = read_command(subject, text)
    assert (command.keyword, command.argument) == (keyword, argument)


def test_changes_comment_runs_on_over_the_following_lines():
    text = "CHANGES Please move the start\nto April, and\n\nmake it six meetings.\n"
    command = read_command("Re: Please approve: mentoring agreement", text)
    assert command == Command(Keyword.CHANGES, "Please move the start\nto April, and\n\nmake it six meetings.", "en")


def test_german_changes_comment_starting_on_the_next_line():
    command = read_command("AW: Bitte bestätigen: Mentoring-Vereinbarung", "Ändern:\nBitte erst ab Mai.\nDanke")
    assert command == Command(Keyword.CHANGES, "Bitte erst ab Mai.\nDanke", "de")


def test_changes_in_the_subject_takes_the_whole_text_as_comment():
    command = read_command("Re: CHANGES", "Please make it six meetings.\nThanks")
    assert command.argument == "Please make it six meetings.\nThanks"


def test_only_the_changes_comment_runs_on():
    assert read_command("", "REQUEST anna\nI would like to learn about grants.").argument == "anna"


@pytest.mark.parametrize(("subject", "text", "language"), [
    ("EXPORT", "", "en"),
    ("EXPORT", "Hallo, bitte schicken Sie mir alle meine Daten. Danke!", "de"),
    ("EXPORT", "Hello, please send me all my data. Thank you!", "en"),
    ("AW: Ihre Daten", "Export bitte", "de"),
    ("", "IMPORT\nHier ist die neue Liste für das Programm.", "de"),
])
def test_word_shared_by_both_languages_takes_the_language_around_it(subject, text, language):
    assert read_command(subject, text).language == language


@pytest.mark.parametrize(("text", "language"), [
    ("Hallo Anna, vielen Dank für die Nachricht. Ich freue mich sehr!", "de"),
    ("Hi Anna, thank you for the message. I'm looking forward to it!", "en"),
    ("Größe", "de"),
    ("OK", None),
    ("", None),
    ("Anna 2026", None),
])
def test_guess_language(text, language):
    assert guess_language(text) == language


def test_strip_reply_prefixes_keeps_the_rest():
    assert strip_reply_prefixes("Re: AW: WG: [Mentoring] Antwort: Ihre Anfrage an Anna") == "Ihre Anfrage an Anna"
