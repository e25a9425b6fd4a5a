"""Our mails as bytes on the wire: compat32's generator, trimmed where it costs for every mail,
addresses as they travel (IDNA domains; UTF-8 local parts under SMTPUTF8), and the text parts."""
from __future__ import annotations

import random
import re
import sys
from binascii import b2a_qp
from email.generator import BytesGenerator
from email.message import Message
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from io import BytesIO

WIRE = compat32.clone(linesep="\r\n", max_line_length=78)


class _WireGenerator(BytesGenerator):
    """compat32's generator, byte for byte, minus two costs it pays for every mail: a header that
    is ASCII and fits on its line is written as it is (compat32 would build a Header object to
    find nothing to fold or encode), and a new boundary is checked against the parts with a plain
    substring search (compat32 compiles a regular expression for each one)."""

    def _write_headers(self, msg: Message) -> None:
        for name, value in msg.raw_items():
            if (type(value) is str and value.isascii() and len(name) + len(value) <= 76
                    and _PLAIN_HEADER.fullmatch(value)):
                self._fp.write(f"{name}: {value}\r\n".encode("ascii"))
            else:
                self._fp.write(self.policy.fold_binary(name, value))
        self.write(self._NL)

    @classmethod
    def _make_boundary(cls, text: bytes | None = None) -> str:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
        candidate, counter = boundary, 0
        while text is not None and b"--" + candidate.encode("ascii") in text:
            candidate, counter = f"{boundary}.{counter}", counter + 1
        return candidate


# printable ASCII words with single spaces between them: what compat32 writes unchanged
_PLAIN_HEADER = re.compile(r"[!-~]+(?: [!-~]+)*")


def wire_bytes(message: Message) -> bytes:
    """message as it goes on the wire (CRLF, folded at 78), as message.as_bytes(policy=WIRE)."""
    out = BytesIO()
    _WireGenerator(out, mangle_from_=False, policy=WIRE).flatten(message, unixfrom=False)
    return out.getvalue()


# compat32 would RFC 2047-encode a UTF-8 addr-spec (which must stay as it is, RFC 6532): the header
# is written with this stand-in, and the address put in its place in the finished bytes
UTF8_RECIPIENT = "utf8-recipient@stand-in.invalid"


def wire_address(address: str, stand_in: str | None = None) -> str:
    """address as it travels: the domain in IDNA (ASCII everywhere); a non-ASCII local part needs
    SMTPUTF8 and stays UTF-8 (or, for a header compat32 writes, stand_in)."""
    local, _, domain = address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if not local.isascii() and stand_in is not None:
        return stand_in
    return f"{local}@{domain}"
def text_part(content: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8 text part in quoted-printable: readable in the outbox folder, safe on every relay.
    Encoded by binascii (C) rather than MIMEText's pure-Python encoder, which took a tenth of the
    worker's time; the soft line breaks fall elsewhere, the decoded text is the same."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(b2a_qp(content.encode("utf-8"), istext=True).decode("ascii"))
    return part
