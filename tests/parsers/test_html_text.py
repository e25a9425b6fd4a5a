"""HTML mail as a person reads it: their lines as lines, the quoted old mail marked with "> "."""
from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.parsers.html_text import html_to_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mime"


def fixture_html(name: str, encoding: str = "utf-8") -> str:
    return (FIXTURES / name).read_text(encoding=encoding)


def test_gmail_reply_keeps_new_text_and_quotes_the_old_mail():
    text = html_to_text(fixture_html("talon_html-body_gmail.html"))
    new, _, old = text.partition("\n\n> ")
    assert new == "Hi. I am fine.\n\nThanks,\nAlex"
    assert "On Thu, Jun 26, 2014 at 2:14 PM, Alexander L <a@example.com> wrote:" in old
    assert "> > Hello! How are you?" in text


def test_thunderbird_blockquote_cite_is_quoted():
    text = html_to_text(fixture_html("talon_html-body_thunderbird.html"))
    assert text.startswith("Hi. I am fine.\n\nThanks,\nAlex\n")
    assert "> Hello! How are you?\n" in text
    assert "\nHello! How are you?" not in text


def test_outlook_2003_divider_quotes_everything_below_it():
    text = html_to_text(fixture_html("talon_html-body_outlook-2003.html", "latin-1"))
    assert text.startswith("Hi. I am fine.\n\nThanks,\nAlex\n")
    assert "> From: Alexander L [mailto:abc@example.com]\n> Sent: Friday, June 27, 2014 12:06 PM\n" in text
    assert "> Hello! How are you?" in text


def test_outlook_2010_word_html_reads_without_styles_or_office_tags():
    text = html_to_text(fixture_html("talon_html-body_outlook-2010.html", "latin-1"))
    assert text.startswith("Hi. I am fine.\nThanks,\nAlex\nFrom: Foo [mailto:foo@bar.com] On Behalf Of baz@bar.com\n")
    assert "Sent: Monday, January 01, 2000 12:00 AM\n" in text
    assert "font-family" not in text and "mso-" not in text and "o:p" not in text


def test_outlook_web_reply_divider_quotes_the_old_mail():
    html = ('<div>Ja, passt.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
            '<div id="divRplyFwdMsg"><b>From:</b> Mentoring<br><b>Sent:</b> Monday</div><div>ACCEPT or DECLINE</div>')
    assert html_to_text(html) == "Ja, passt.\n> From: Mentoring\n> Sent: Monday\n> ACCEPT or DECLINE\n"


def test_gmx_quote_div_is_quoted():
    html = ('<div>Zeitraum von: 1.3.2026</div><div>&nbsp;<div name="quote"><div><b>Gesendet:</b>&nbsp;Montag</div>'
            '<div name="quoted-content">Bitte ausf&uuml;llen</div></div></div>')
    assert html_to_text(html) == "Zeitraum von: 1.3.2026\n\n> Gesendet: Montag\n> Bitte ausfüllen\n"


def test_scripts_styles_and_head_are_dropped_entities_decoded_links_keep_text():
    html = ("<html><head><title>T</title><style>p {color: red}</style></head><body>"
            "<script>alert('x')</script><p>Gr&uuml;&szlig;e &amp; <a href='https://x.example'>mehr dazu</a></p>"
            "</body></html>")
    assert html_to_text(html) == "Grüße & mehr dazu\n"


def test_numbered_list_keeps_its_numbers_for_the_topic_plan():
    html = "<p>Themenplan:</p><ol><li>Ziele</li><li>Netzwerk</li><li>Bewerbung</li></ol>"
    assert html_to_text(html) == "Themenplan:\n\n1. Ziele\n2. Netzwerk\n3. Bewerbung\n"


def test_table_cells_of_a_row_share_a_line():
    html = "<table><tr><td>Datum:</td><td>3.12.2026</td></tr><tr><th>Ort:</th><td>Online</td></tr></table>"
    assert html_to_text(html) == "Datum: 3.12.2026\nOrt: Online\n"


def test_line_breaks_and_empty_divs_become_lines():
    html = ("<div>Hallo,</div><div><br></div><div>Datum: 3.12.2026<br>Uhrzeit: 15 Uhr</div><div><br></div>"
            "<div>Anna</div>")
    assert html_to_text(html) == "Hallo,\n\nDatum: 3.12.2026\nUhrzeit: 15 Uhr\n\nAnna\n"


def test_preformatted_text_keeps_its_spaces():
    assert html_to_text("<pre>a  b\n  c</pre>after") == "a  b\n  c\nafter\n"


def test_nested_quotes_get_one_marker_per_level():
    html = "<p>top</p><blockquote>one<blockquote>two</blockquote></blockquote>"
    assert html_to_text(html) == "top\n\n> one\n> > two\n"


@pytest.mark.parametrize("html", ["", "<", "<div", "</div></p>", "<blockquote>never closed", "&#xZZ;", "<![CDATA[x"])
def test_broken_html_gives_text_and_never_raises(html: str):
    assert isinstance(html_to_text(html), str)
