"""The keywords of the mail protocol: which command a person gave, in which language,
with which argument.

People type a keyword (English or German, any case) on the first line of their reply or in the
subject; the one-click links we send prefill both. The first line is read first because a reply's
subject repeats ours ("Re: Amend your mentoring agreement"): in the subject a keyword counts only
when it stands alone or is written in capitals as our links and help write it ("REQUEST anna"). This
module only reads; what a keyword means in a conversation is the routing table's business.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping


class Keyword(enum.Enum):
    """A command, independent of the language it was typed in."""

    HELP = "HELP"
    PROFILE = "PROFILE"
    TOPICS = "TOPICS"
    MENTORS = "MENTORS"
    REQUEST = "REQUEST"
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    APPROVE = "APPROVE"
    CHANGES = "CHANGES"
    AMEND = "AMEND"
    MEETING = "MEETING"
    CANCEL = "CANCEL"
    YES = "YES"
    NO = "NO"
    END = "END"
    CERTIFICATE = "CERTIFICATE"
    EXPORT = "EXPORT"
    DELETE = "DELETE"
    VERIFY = "VERIFY"
    REMIND = "REMIND"
    MATCH = "MATCH"
    RESEND = "RESEND"
    IMPORT = "IMPORT"
    STATS = "STATS"
    APPLY = "APPLY"
    SUBSCRIBE = "SUBSCRIBE"  # reminders (or, for a coordinator, the digest) again after an opt-out
    KEY = "KEY"
    REVOKE = "REVOKE"
    PROPOSE = "PROPOSE"
    REPORT = "REPORT"
    CONCERN = "CONCERN"


@dataclass(frozen=True)
class Command:
    """A keyword as typed: ``argument`` is the rest of its line ("" if none; for CHANGES the comment
    with the lines below it); ``language`` is "de" or "en", from the word itself or, for a word both
    languages share (EXPORT, IMPORT), from the surrounding text, else "en"."""

    keyword: Keyword
    argument: str
    language: str


# Each German word with its keyword; a keyword's English word is its name. Spellings without umlauts
# count too.
GERMAN_WORDS: Mapping[str, Keyword] = MappingProxyType({
    "HILFE": Keyword.HELP, "PROFIL": Keyword.PROFILE, "THEMEN": Keyword.TOPICS,
    "MENTOREN": Keyword.MENTORS, "ANFRAGE": Keyword.REQUEST, "ANNEHMEN": Keyword.ACCEPT,
    "ABLEHNEN": Keyword.DECLINE, "ZUSTIMMEN": Keyword.APPROVE, "ÄNDERN": Keyword.CHANGES,
    "AENDERN": Keyword.CHANGES, "ANPASSEN": Keyword.AMEND, "TREFFEN": Keyword.MEETING,
    "ABSAGEN": Keyword.CANCEL, "JA": Keyword.YES, "NEIN": Keyword.NO, "BEENDEN": Keyword.END,
    "BESCHEINIGUNG": Keyword.CERTIFICATE, "EXPORT": Keyword.EXPORT, "LÖSCHEN": Keyword.DELETE,
    "LOESCHEN": Keyword.DELETE, "PRÜFEN": Keyword.VERIFY, "PRUEFEN": Keyword.VERIFY,
    "ERINNERN": Keyword.REMIND, "ZUORDNEN": Keyword.MATCH, "ERNEUT": Keyword.RESEND,
    "IMPORT": Keyword.IMPORT, "STATISTIK": Keyword.STATS, "BEWERBEN": Keyword.APPLY,
    "ABONNIEREN": Keyword.SUBSCRIBE,
    "SCHLÜSSEL": Keyword.KEY, "SCHLUESSEL": Keyword.KEY, "WIDERRUFEN": Keyword.REVOKE,
    "VORSCHLAG": Keyword.PROPOSE, "BERICHT": Keyword.REPORT,
    "ANLIEGEN": Keyword.CONCERN,
})

# The word our mails show for each keyword in German: its first spelling above (with umlauts).
_GERMAN_SHOWN: Mapping[Keyword, str] = MappingProxyType(
    {keyword: word for word, keyword in reversed(list(GERMAN_WORDS.items()))})


def command_word(keyword: Keyword, language: str) -> str:
    """The word for keyword that a mail in language tells people to write
    (both languages are always read)."""
    return _GERMAN_SHOWN[keyword] if language == "de" else keyword.value


# Keywords whose argument is a free comment that may run on over the following lines.
MULTILINE_ARGUMENT = frozenset({Keyword.CHANGES, Keyword.CONCERN})

_REPLY_PREFIXES = re.compile(
    r"^(\s*((re|aw|antw|antwort|wg|fwd?|wtr|sv)\s*(\[\d+\]|\(\d+\))?\s*:|\[[^\]\n]*\]))+\s*",
    re.IGNORECASE)
_FIRST_WORD = re.compile(r"^[\s*_\"'„“”‚‘’«»]*([^\W\d_]+)(?![\w@-])(.*)$", re.DOTALL)
_ARGUMENT_LEAD = " \t*_\"'„“”‚‘’«»,.;:!?–—-"

_GERMAN_HINTS = frozenset(
    "und der das ich nicht ist mit für sie wir ein eine einen bitte danke gerne hallo viele grüße "
    "gruß liebe lieber vielen dank sehr geehrte geehrter ja nein zu den dem auf es du ihr ihnen "
    "mein meine gern würde möchte habe guten morgen abend freundlichen herzliche beste auch noch "
    "schon aber oder wie".split())
_ENGLISH_HINTS = frozenset(
    "the and is not with for you we a please thanks thank hello hi dear regards best yes no to of "
    "it would love my me i'd i'm i have this that be are can could should sure kind cheers "
    "sincerely".split())
_UMLAUTS = re.compile(r"[äöüßÄÖÜ]")


def read_command(subject: str, new_text: str) -> Command | None:
    """The command on the first non-empty line of new_text, else in the subject;
    None when there is none."""
    lines = [line.strip() for line in (new_text or "").splitlines()]
    first = next((index for index, line in enumerate(lines) if line), None)
    if first is not None:
        found = _keyword_at_start(lines[first])
        if found is not None:
            keyword, word, rest = found
            following = "\n".join(lines[first + 1:])
            return _command(keyword, word, _argument(keyword, rest, following), subject, new_text)
    return _subject_command(subject or "", new_text or "")


def guess_language(text: str) -> str | None:
    """"de" or "en" from common words and umlauts, or None when the text gives no clear sign."""
    words = re.findall(r"[^\W\d_]+(?:'[a-z]+)?", (text or "").lower())
    umlauts = 1 if _UMLAUTS.search(text or "") else 0
    german = sum(word in _GERMAN_HINTS for word in words) + umlauts
    english = sum(word in _ENGLISH_HINTS for word in words)
    if german == english:
        return None
    return "de" if german > english else "en"


def strip_reply_prefixes(subject: str) -> str:
    """The subject without any run of "Re:", "AW:", "WG:", "Fwd:", "Antwort:",
    … and "[tag]" prefixes."""
    return _REPLY_PREFIXES.sub("", subject or "").strip()


def _subject_command(subject: str, new_text: str) -> Command | None:
    found = _keyword_at_start(strip_reply_prefixes(subject))
    if found is None:
        return None
    keyword, word, rest = found
    if rest.strip(_ARGUMENT_LEAD) and not word.isupper():
        return None  # a sentence that merely opens with the word, like our own subjects quoted back
    return _command(keyword, word, _argument(keyword, rest, new_text), subject, new_text)


def _keyword_at_start(line: str) -> tuple[Keyword, str, str] | None:
    """The keyword that is the line's first word, the word as typed and the rest of the line."""
    match = _FIRST_WORD.match(line)
    if match is None:
        return None
    word, rest = match.group(1), match.group(2)
    keyword = _keyword_for(word)
    return (keyword, word, rest) if keyword is not None else None


def _keyword_for(word: str) -> Keyword | None:
    upper = word.upper()
    if upper in Keyword.__members__:
        return Keyword[upper]
    return GERMAN_WORDS.get(upper)


def _argument(keyword: Keyword, rest: str, following: str) -> str:
    """The rest of the keyword's line; for a comment keyword also the lines below it."""
    argument = rest.splitlines()[0] if rest.splitlines() else ""
    argument = argument.lstrip(_ARGUMENT_LEAD).strip()
    if keyword in MULTILINE_ARGUMENT:
        argument = "\n".join(part for part in (argument, following.strip()) if part)
    return argument


def _command(keyword: Keyword, word: str, argument: str, subject: str, new_text: str) -> Command:
    surrounding = f"{subject or ''}\n{new_text or ''}"
    return Command(keyword, argument, _language_of(keyword, word, surrounding))


def _language_of(keyword: Keyword, word: str, context: str) -> str:
    """The language of the word typed;
    a word both languages share takes the language of the text around it."""
    upper = word.upper()
    english = upper == keyword.name
    german = GERMAN_WORDS.get(upper) is keyword
    if english and not german:
        return "en"
    if german and not english:
        return "de"
    return guess_language(context) or "en"
