"""The coordinators' one-click links and command words, shared by their flow, the digest and the
reminders."""
from __future__ import annotations

from datetime import datetime

from ..parsers.commands import Keyword, command_word
from ..tokens import Token, coordinator_number, day_number


def command_link(signer, command: str, coordinator: str, sent: datetime) -> str:
    """A one-click mailto: with command prefilled, to a coordinators' address signed for the one
    coordinator it is sent to and the day it is sent (it acts for 14 days: tokens.LIFETIMES). The
    signature spares no confirmation: a digest is forwarded and kept, so its state-changing
    commands are still confirmed in the coordinator's own mailbox."""
    return signer.mailto(coordinator_token(coordinator, sent), command)


def coordinator_token(coordinator: str, sent: datetime) -> Token:
    return Token("reply", "coord", day_number(sent), coordinator_number(coordinator))


def coordinator_word(settings, keyword: Keyword) -> str:
    """A command word in the coordinators' language (MAILFLOW_LANGUAGE); both are always
    understood."""
    return command_word(keyword, settings.language)
