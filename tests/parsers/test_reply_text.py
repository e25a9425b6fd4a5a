"""Scenarios for reading what a person wrote in a reply: real replies from many clients, English and German."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from mailflow.parsers.reply_text import new_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "replies"


def body_of(name: str) -> str:
    """The plain-text body of a fixture: .txt files are bodies, .eml files are whole messages."""
    raw = (FIXTURES / name).read_bytes()
    if name.endswith(".txt"):
        return raw.decode("utf-8")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


# (fixture, what the new text starts with, a line of the old mail or signature that must be gone)
ENGLISH = [
    ("erp_on-inside-text_not-quote-header.txt", "Thank, this is really helpful.\n\nOne outstanding question I had:",
     "The good news is that I've found a much better query"),
    ("erp_evolution-style_interleaved-inline-reply.txt", "Hi,\n\nYou can list the keys for the bucket",
     "What is the best way to clear a Riak bucket"),
    ("erp_greedy-on_wrote-without-address.txt", "On your remote host you can run:",
     "I am having an odd issue"),
    ("erp_outlook-underscore-line_from-sent.txt", "Outlook with a reply directly above line",
     "From: CRM Comments"),
    ("erp_rfc-sig-delimiter.txt", "this is an email with a correct -- signature.", "rick"),
    ("erp_sent-from-blackberry.txt", "Here is another email", "Sent from my BlackBerry"),
    ("ert_apple-mail_begin-forwarded-message.txt", "This email has been forwarded from Apple Mail.",
     "Begin forwarded message:"),
    ("ert_eudora_at-date-you-wrote.txt", "yes we're fine\n\nthanks", "you wrote:"),
    ("ert_nested-replies_wrote-wrapped.txt", "This is the reply.\n\nThanks,\nSome One", "This is Jeff's reply."),
    ("ert_outlook-mac_from-replyto-date-headers_mailto-brackets.txt", "This is the actual reply.",
     "Here's an email with some very important stuff."),
    ("ert_outlook-mobile_on-date-quoted-name-wrote.txt", "Thank you.", "Sent from Outlook Mobile"),
    ("ert_outlook_star-bold-headers.txt", "This is a reply from Outlook!", "*From:* Outlook user"),
    ("ert_thunderbird_original-message-dashes.txt", "Foo", "THE END."),
    ("ert_zoho_dashes-on-date-wrote-dashes_html-entities.txt", "I have checked the available documentation",
     "You are not using the right endpoint"),
    ("ert_mobile-signatures_multilingual.txt", "This email was sent from way too much different devices ;)",
     "Sent from my iPhone"),
    ("mpr_get-outlook-for-ios_signature.txt", "Dear Team,\n\nHello", "Get Outlook for iOS"),
    ("mpr_gmail_qp-soft-breaks_outlook-star-headers.txt", "Thank you, Sonya Johnson.",
     "10.30 AM pacific is good for me."),
    ("mpr_gmail_wrote-on-next-line.txt", "This is a test for inbox replying to a github message.",
     "You are receiving this because you are subscribed"),
    ("mpr_outlook-from-sent_no-delimiter_plus-iphone.txt", "And another reply!", "A reply"),
    ("mpr_apple-mail_multi-header_bom.txt", "No problem. I’ll just start a new order.",
     "Unfortunately, we are unable to add items"),
    ("mpr_external-caution-banner_long-disclaimer.txt", "Hi lads's Team,",
     "CAUTION: This email originated from outside"),
    ("talon_gmail_multipart.eml", "Hello", "Megan One <xxx@gmail.com> wrote:"),
    ("talon_iphone-mail.eml", "Hello", "Sent from my iPhone"),
    ("talon_outlook_iso-8859-1_from-sent-header.eml", "Hello", "The manager's comment:"),
    ("talon_aol.eml", "Hello", "-----Original Message-----"),
    ("talon_hotmail.eml", "Hello", "Subject: Test"),
    ("talon_thunderbird_format-flowed.eml", "Hello", "Megan One wrote:"),
    ("talon_sparrow.eml", "Hello", "Sent with Sparrow"),
    ("talon_yahoo-mail.eml", "Hello", "----- Original Message -----"),
    ("talon_android.eml", "Hello", "bob@xxx.mailgun.org"),
    ("zimbra_groupwise_triple-angle-quote-header_qp.eml", "There are several W3C XML Schema validation tools",
     "Unfortunately, W3C XML Schema doesn't quite treat"),
    ("zimbra_eudora_at-time-wrote_original-message-in-quote.eml", "Yeah, early classes like java.util.Hashtable",
     "Did the JDK make the map operations safe"),
    ("zimbra_korean_ks_c_5601-1987_reply.eml", "first reply\n첫번째 답장", "This is a test message in Korean."),
]

GERMAN = [
    ("eerp_de_am-um-schrieb_no-signature.txt", "Dear all,\nVorschlag:", "Guten Tag!"),
    ("eerp_de_apple-mail_am-um-schrieb_blank-quote-lines.txt", "Lieber Willi,",
     "Lieber Reinke,"),
    ("eerp_de_iphone_am-um-schrieb_mailto-artefacts_sent-via-mobile.txt", "Dear all,\nVorschlag:",
     "Sent via mobile device"),
    ("eerp_de_outlook-english-headers_from-sent-to-cc-subject.txt", "Liebe Brüder,", "From: F, Thomas"),
    ("eerp_de_outlook_von-gesendet-an-betreff_mailto.txt", "Lieber S,", "Gesendet: Donnerstag, 7. Juli 2016 14:52"),
    ("eerp_de_yahoo-de_re-antwort_multipart.eml", "Guten Abend,\nDanke erst einmal für die schnelle Hilfe.",
     "die verdrehten Aktivitätszahlen"),
    ("ert_de_android_am-datum-nachm-schrieb.txt", "Hey:)", "Lorem ipsum dolor sit amet"),
    ("ert_de_android_am-schrieb-quoted-name_address-wrapped.txt", "Ich habe konzeptionell eine Präferenz",
     "Vielleicht noch eine wichtige Frage:"),
    ("ert_de_gmail_schrieb-am-um-uhr_sig-viele-gruesse.txt", "Okay. Will give it a whirl.",
     "Viele Grüße / Best regards"),
    ("ert_de_google-inbox_schrieb-am-wrapped.txt", "Hi there! I am replying from my german Google Inbox.",
     "Hi there! you should be getting a mail."),
    ("ert_de_k9-mail_x-via-y-schrieb_angle-no-space.txt", "alright, no big deal",
     "Diese Nachricht wurde von meinem Android-Mobiltelefon mit K-9 Mail gesendet."),
    ("ert_de_outlook_urspruengliche-nachricht_von-gesendet-an-betreff.txt", "Gruß Discourse",
     "Hallo! Wie geht es Ihnen heute?"),
    ("ert_de_usenet-sig-delimiter_mit-lieben-gruessen.txt", "Mal sehen was hier mit der Signatur passiert!",
     "Mit lieben Grüßen"),
    ("mpr_de_am-schrieb_line-wrapped-variants.txt", "Am heutigen Tage", "noreply@github.com>:"),
    ("mpr_de_gmail-am-schrieb_forwarded_mixed.txt", "First reply.\n\nThis is fairly common; nothing too hard here!",
     "This is my second test reply. Should be the content."),
    ("tine20_thunderbird-icedove_de_interleaved_am-schrieb-nested.eml",
     "Nein, das ist leider ein Unterschied, wenn auch nur ein kleiner:", "Wenn Du nach \"Vertrag\""),
    ("tine20_thunderbird-mac_re_html.eml", "Hallo Susan,\n\nhier seine Daten :)", "Leitung Marketing & Kreation"),
]


@pytest.mark.parametrize(("fixture", "starts_with", "gone"), ENGLISH + GERMAN,
                         ids=[case[0] for case in ENGLISH + GERMAN])
def test_real_reply_keeps_the_persons_words_and_drops_the_old_mail(fixture, starts_with, gone):
    text = new_text(body_of(fixture))
    assert text.startswith(starts_with)
    assert gone not in text


@pytest.mark.parametrize(("fixture", "expected"), [
    ("ert_crlf-line-endings.txt", "Email with\nwindows\nline\nendings"),
    ("ert_thunderbird_original-message-dashes.txt", "Foo"),
    ("ert_outlook_star-bold-headers.txt", "This is a reply from Outlook!"),
    ("ert_de_android_am-datum-nachm-schrieb.txt", "Hey:)"),
    ("ert_de_outlook_urspruengliche-nachricht_von-gesendet-an-betreff.txt", "Gruß Discourse"),
    ("ert_de_gmail_schrieb-am-um-uhr_sig-viele-gruesse.txt", "Okay. Will give it a whirl."),
    ("mpr_outlook-from-sent_no-delimiter_plus-iphone.txt", "And another reply!"),
    ("talon_android.eml", "Hello"),
])
def test_short_reply_is_exactly_what_was_typed(fixture, expected):
    assert new_text(body_of(fixture)) == expected


def test_line_starting_with_on_inside_the_text_is_kept():
    text = new_text(body_of("erp_on-inside-text_not-quote-header.txt"))
    assert text.endswith("Locally (on development), when I run...")


def test_inline_answers_below_a_quote_are_kept_and_the_quote_dropped():
    text = new_text(body_of("erp_evolution-style_interleaved-inline-reply.txt"))
    assert "would do it." in text
    assert "riak-users mailing list" not in text
    assert ">" not in "".join(line[:1] for line in text.splitlines())


def test_german_text_after_a_quoted_block_is_kept():
    text = new_text(body_of("eerp_de_apple-mail_am-um-schrieb_blank-quote-lines.txt"))
    assert "Nun schreibt Cph. H mit Poststempel 5.7.2016" in text
    assert text.endswith("Herzliche Grüße\n\nR")
    assert "schrieb Wilhelm G. N:" not in text


def test_eudora_answers_between_quotes_are_kept():
    text = new_text(body_of("zimbra_eudora_at-time-wrote_original-message-in-quote.eml"))
    assert text.endswith("-p")
    assert "The problem I'm facing" not in text


def test_closing_words_without_a_delimiter_stay():
    text = new_text(body_of("rt_exchange55_re_de_mit-freundlichen-gruessen_iso-8859-1.eml"))
    assert "Mit freundlichen Grüßen\nGregor Stever" in text


def test_signature_block_under_an_underscore_rule_is_gone():
    text = new_text(body_of("eerp_de_iphone_am-um-schrieb_mailto-artefacts_sent-via-mobile.txt"))
    assert text.endswith("Grüßle - Thomas")


def test_quoted_printable_leftovers_inside_the_quote_are_not_new_text():
    text = new_text(body_of("mpr_gmail_qp-soft-breaks_outlook-star-headers.txt"))
    assert text.endswith("Regards,\n\nChristopher Edwards")


def _wrapped_german_headers() -> list[str]:
    return (FIXTURES / "mpr_de_am-schrieb_line-wrapped-variants.txt").read_text("utf-8").split("\n\n")


@pytest.mark.parametrize("block", _wrapped_german_headers()[:3])
def test_am_schrieb_header_wrapped_anywhere_is_recognised(block):
    assert new_text(block + "\n\n> Hallo zusammen\n") == "Am heutigen Tage"


@pytest.mark.parametrize("signature", [
    "Sent from my iPhone", "Von meinem iPhone gesendet", "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "Gesendet von meinem Samsung Galaxy Smartphone.", "Gesendet mit der WEB.DE Mail App", "-- ", "--",
    "Von meinem Mobilgerät gesendet", "Sent from Mail for Windows",
])
def test_mobile_and_delimited_signatures_are_removed(signature):
    body = f"ACCEPT\n\nGerne!\n\n{signature}\nAnna Beispiel\n"
    assert new_text(body) == "ACCEPT\n\nGerne!"


@pytest.mark.parametrize("header", [
    "Von: Mentoring <hello@example.org>\nGesendet: Montag, 2. März 2026 10:00\nAn: Anna\nBetreff: Ihre Anfrage",
    "*Von:* Mentoring <hello@example.org>\n*Gesendet:* Montag, 2. März 2026 10:00\n*An:* Anna",
    "________________________________\nVon: Mentoring <hello@example.org>\nGesendet: Montag, 2. März 2026",
    "-----Ursprüngliche Nachricht-----\nVon: Mentoring <hello@example.org>",
    "-----Original Message-----\nFrom: Mentoring <hello@example.org>\nSent: Monday, March 2, 2026 10:00 AM",
    "From: Mentoring <hello@example.org>\nSent: Monday, March 2, 2026 10:00 AM\nTo: Anna\nSubject: Your request",
    "Begin forwarded message:\n\nFrom: Mentoring <hello@example.org>",
    "Anfang der weitergeleiteten Nachricht:\n\nVon: Mentoring <hello@example.org>",
    "Am 02.03.2026 um 10:00 schrieb Mentoring <hello@example.org>:",
    "Am Mo., 2. März 2026 um 10:00 Uhr schrieb Mentoring <\nhello@example.org>:",
    "Mentoring <hello@example.org> schrieb am Mo., 2. März 2026\num 10:00 Uhr:",
    "Am 02.03.2026 3:35 nachm. schrieb Mentoring <hello@example.org>:",
    "On Mon, Mar 2, 2026 at 10:00 AM Mentoring <hello@example.org> wrote:",
    "On Mon, Mar 2, 2026 at 10:00 AM Mentoring <hello@example.org>\nwrote:",
])
def test_top_posted_answer_above_any_quote_header(header):
    body = f"ANNEHMEN\nIch freue mich.\n\n{header}\n\nBitte antworten Sie mit ANNEHMEN oder ABLEHNEN.\n"
    assert new_text(body) == "ANNEHMEN\nIch freue mich."


def test_html_blockquote_rendered_as_quote_lines_is_dropped():
    body = "DECLINE\n\nSorry, no time this term.\n\n> Anna would like you as her mentor.\n> ACCEPT or DECLINE\n"
    assert new_text(body) == "DECLINE\n\nSorry, no time this term."


def test_bottom_posted_answer_below_the_quote_is_kept():
    body = ("On Mon, Mar 2, 2026 at 10:00 AM Mentoring <hello@example.org> wrote:\n"
            "> Do you want to end the mentorship? Answer YES or NO.\n\nYes\n")
    assert new_text(body) == "Yes"


def test_sentences_beginning_with_on_or_am_are_not_headers():
    body = ("On Monday at 3pm I can meet.\nOn 4 May we could talk about the plan.\n"
            "Am 12. Mai habe ich Zeit.\nAm Ende zählt, was wir 2026 schaffen.\n")
    assert new_text(body) == body.strip()


def test_only_a_quote_leaves_no_new_text():
    assert new_text("> Hello\n> Is anyone there?\n") == ""


def test_empty_body_gives_empty_text():
    assert new_text("") == ""
