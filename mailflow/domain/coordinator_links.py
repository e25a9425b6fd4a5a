"""The coordinators' one-click links and command words, shared by their flow, the digest and the
reminders."""
from __future__ import annotations

from ..parsers.commands import Keyword, command_word
from ..tokens import Token


def command_link(signer, command: str) -> str:
    """A one-click mailto: to a signed coordinators' address with command prefilled. The signature
    spares the confirmation round; the sender must still be a coordinator."""
    return signer.mailto(Token("reply", "coord", 0, 0), command)


def coordinator_word(settings, keyword: Keyword) -> str:
    """A command word in the coordinators' language (MAILFLOW_LANGUAGE); both are always
    understood."""
    return command_word(keyword, settings.language)
