"""What a bounce says about the address that failed, read as plain facts.

``bounce_report`` reads the failed recipients and whether the failure is permanent: from RFC 3464
``message/delivery-status`` parts where present, else from ``X-Failed-Recipients`` and the shapes of
the common non-standard bounce texts (Exim, qmail, Postfix, Sendmail, Exchange, Domino, Gmail).
It lives apart from ``robots`` because telling a robot from a person and reading what a bounce
reports are separate readings; only mails ``robots.classify`` calls a bounce are read here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from .mime import ParsedMail
from .robots import classify, report_text


@dataclass(frozen=True)
class BounceReport:
    """What a bounce says: who failed, and whether to stop writing to them."""

    failed_recipients: tuple[str, ...]   # lowercased
    # 5.x.x / hard failure; False for delayed or temporary (4.x.x, "delayed", "warning")
    permanent: bool
    status: str | None        # e.g. "5.1.1"
    diagnostic: str           # short text


_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_FAILURE_STATUS = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_RETURNED_COPY = re.compile(
    r"^\s*(-+ ?this is a copy|original message follows|below is a copy"
    r"|-+ ?below this line is a copy"
    r"|-+ ?original message|the original message was received|received: from|return-path:"
    r"|-+ ?message header follows|-+ ?the header of the original message)", re.I | re.M)
_TEMPORARY = re.compile(
    r"\bdelay(ed)?\b|\bwarning\b|still being retried|will (continue to )?(try|retry|be retried)"
    r"|postponed|not yet (been )?delivered|temporar(y|ily)|verzögert|noch nicht zugestellt"
    r"|\(delay\)", re.I)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_RECIPIENT_INTROS = re.compile(
    r"(following address(es)? failed|could not be delivered to"
    r"|following recipient\(s\) could not be reached"
    r"|delivery to the following recipients? failed|failed recipient|permanent fatal errors"
    r"|addresses had (permanent|transient)|could not deliver (your )?message to"
    r"|was not delivered to"
    r"|following recipients? (failed|could not)|delivery (has )?failed to|could not be reached"
    r"|recipient address rejected|unable to deliver (your )?message to|undeliverable to"
    r"|folgende[rn]? (Adresse|Empfänger)|message to the following"
    r"|did not reach the following recipient"
    r"|has not yet been delivered is:|delivery failed \d+ attempts:|following list of recipients"
    r"|the following (e-?mail )?(address|recipient))", re.I)
_REASON_INTRO = re.compile(
    r"^\s*(because|for the following reason|reason|grund|delay reason):\s*$", re.I | re.M)
_REASON_WORDS = re.compile(
    r"\b[45]\d\d\b|[45]\.\d+\.\d+|user unknown|unknown (user|recipient)|does not exist"
    r"|not recognized|not listed"
    r"|no such|mailbox (is )?full|quota|size limit|rejected|refused|denied|invalid address", re.I)
_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:?", re.M)


def bounce_report(mail: ParsedMail) -> BounceReport | None:
    """What ``mail`` reports as failed, or None when it is not a bounce
    (an auto-reply, a person)."""
    try:
        if classify(mail, None).kind != "bounce":
            return None
        return _dsn_report(mail) or _text_report(mail)
    except Exception as exc:  # noqa: BLE001 - a bounce we cannot read is still a bounce
        return BounceReport((), True, None, f"unreadable bounce: {type(exc).__name__}")


def _dsn_report(mail: ParsedMail) -> BounceReport | None:
    """RFC 3464: one block per recipient with Final-Recipient, Action,
    Status and Diagnostic-Code."""
    blocks = [block for block in _dsn_blocks(report_text(mail.message))
              if "final-recipient" in block]
    if not blocks:
        return None
    failing = [b for b in blocks
               if b.get("action", "failed").split()[0] not in ("delivered", "relayed", "expanded")]
    recipients = tuple(dict.fromkeys(_recipient(b) for b in failing if _recipient(b)))
    statuses = [_status(b.get("status", "")) for b in failing]
    status = next((s for s in statuses if s), None)
    permanent = any(b.get("action", "").startswith("failed") and not (s or "").startswith("4")
                    or (s or "").startswith("5") for b, s in zip(failing, statuses))
    diagnostic = next((b["diagnostic-code"] for b in failing if b.get("diagnostic-code")), "")
    return BounceReport(recipients, permanent, status, _short(re.sub(r"^\w+;\s*", "", diagnostic)))

def _dsn_blocks(text: str) -> list[dict[str, str]]:
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        for match in re.finditer(r"^([\w-]+):[ \t]*(.*(?:\n[ \t]+.*)*)", chunk, re.M):
            fields.setdefault(match.group(1).lower(), re.sub(r"\s+", " ", match.group(2)).strip())
        if fields:
            blocks.append(fields)
    return blocks


def _recipient(block: dict[str, str]) -> str | None:
    for name in ("final-recipient", "original-recipient", "x-actual-recipient"):
        found = _ADDRESS.search(block.get(name, "").partition(";")[2] or block.get(name, ""))
        if found:
            return found.group(0).lower().strip(".")
    return None


def _status(text: str) -> str | None:
    found = _STATUS.search(text)
    return ".".join(found.groups()) if found else None


def _text_report(mail: ParsedMail) -> BounceReport:
    """Non-standard bounces: recipients from X-Failed-Recipients or the bounce text,
    status from its words."""
    text = _without_returned_copy(mail.text)
    recipients = (_failed_header(mail) or _recipients_in_text(text)
                  or _recipients_in_subject(mail.subject))
    found = _FAILURE_STATUS.search(text)
    status = ".".join(found.groups()) if found else None
    temporary = (status or "").startswith("4") or (
        status is None and bool(_TEMPORARY.search(mail.subject + "\n" + text[:3000])))
    return BounceReport(recipients, not temporary, status, _diagnostic(text))


def _without_returned_copy(text: str) -> str:
    """The bounce's own words, without the returned message's headers and text below them."""
    cut = _RETURNED_COPY.search(text)
    return text[:cut.start()] if cut else text


def _failed_header(mail: ParsedMail) -> tuple[str, ...]:
    values = ",".join(_all(mail.message, "X-Failed-Recipients"))
    return tuple(dict.fromkeys(a.lower() for a in _ADDRESS.findall(values)))


def _all(message: Message, name: str) -> list[str]:
    return [str(value) for value in (message.get_all(name) or [])]


def _recipients_in_text(text: str) -> tuple[str, ...]:
    """The addresses right after a phrase like "The following address(es) failed:",
    or qmail's "<a@b>:" lines."""
    head = text[:6000]
    for intro in _RECIPIENT_INTROS.finditer(head):
        window = head[intro.end():intro.end() + 400]
        found = _ADDRESS.findall(window)
        if found:
            listed = found[:1] + _same_block(window, found)
            return tuple(dict.fromkeys(a.lower().strip(".") for a in listed))
    qmail = _QMAIL_RECIPIENT.findall(head)
    return tuple(dict.fromkeys(a.lower() for a in qmail))


def _same_block(window: str, found: list[str]) -> list[str]:
    """Further addresses listed directly below the first one,
    one per line (several recipients failed)."""
    first_block = re.split(r"\n\s*\n", window.strip(), maxsplit=1)[0]
    return [a for a in found[1:]
            if a in first_block and re.search(rf"^\s*<?{re.escape(a)}", first_block, re.M)]


def _recipients_in_subject(subject: str) -> tuple[str, ...]:
    found = _ADDRESS.findall(subject)
    return (found[0].lower(),) if found else ()


def _diagnostic(text: str) -> str:
    """The line that says why: after "because:" / "For the following reason:",
    else one with an SMTP code."""
    intro = _REASON_INTRO.search(text)
    after = text[intro.end():].strip().split("\n", 1)[0] if intro else ""
    if after:
        return _short(after)
    reason = next((line for line in text.split("\n") if _REASON_WORDS.search(line)), "")
    return _short(reason or next((line for line in text.split("\n") if line.strip()), ""))


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 200 else text[:197] + "..."
