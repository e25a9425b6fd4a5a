"""The catalogue of what a person can be told when we do not do what they asked, and of what only
the log hears: one table, as Discourse's processor and GitLab's failure handler keep one, so that a
reason's mail (template, and the why its text branches on) and its log line are found in one place,
and a misspelt reason fails loudly instead of falling into a template's fallback text. Flows raise
outcomes.Polite and outcomes.Refused with these constants.

Template names and why codes are rendered, and template names are stored in the outbox: change them
only together with the templates (tests/test_reasons.py holds the two together)."""
from __future__ import annotations

from enum import Enum, unique


class _Shown(dict):
    """Values for a log line; one the raise site did not give shows as {name}, so that a slip in
    a log line never costs the person their answer."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(log: str, values: dict) -> str:
    return log.format_map(_Shown(values))


class Told:
    """What every entry answered by mail has: its template, the value the template branches on
    (under the name key), and its log line."""

    key = "why"

    def __init__(self, template: str, why: str | None, log: str) -> None:
        self.template, self.why, self.log = template, why, log

    def mail_values(self, values: dict) -> dict:
        """values as the template gets them: with the why, when the template branches on one."""
        return dict(values) if self.why is None else {**values, self.key: self.why}

    def note(self, values: dict) -> str:
        return _fill(self.log, values)


@unique
class Reason(Told, Enum):
    """Why we did not do what a participant asked. Several causes may tell the same (template,
    why); each keeps its own log line."""

    # meeting_problem: planning, answering and cancelling meetings
    MEETING_NEEDS_AGREEMENT = ("meeting_problem", "no_agreement",
                               "mentorship {mentorship} has no agreement")
    MEETING_CANCELLED = "meeting_problem", "cancelled", "meeting {meeting} is cancelled"
    OWN_PROPOSAL = ("meeting_problem", "own_proposal",
                    "the proposer answered their own invitation to meeting {meeting}")
    NO_COUNTER = ("meeting_problem", "no_counter",
                  "no counter proposal waiting on meeting {meeting}")
    NONE_PLANNED = "meeting_problem", "none_planned", "no planned meeting to cancel"
    MEETING_OVER = "meeting_problem", "over", "meeting {meeting} is over"
    ANSWER_AFTER_MEETING = ("meeting_problem", "answer_over",
                            "answer to meeting {meeting} after it ended")
    COUNTER_PASSED = ("meeting_problem", "counter_past",
                      "the counter proposal for meeting {meeting} lies in the past")
    IMPOSSIBLE_COUNTER = ("meeting_problem", "bad_counter",
                          "counter to an impossible time {start}..{end}")
    INVITATION_WITHOUT_TIME = ("meeting_problem", "no_time",
                               "own-calendar invitation without a time")
    INVITATION_IN_THE_PAST = "meeting_problem", "past", "own-calendar invitation in the past"
    INVITATION_DURATION = ("meeting_problem", "duration",
                           "own-calendar invitation too short or too long")
    NO_SUCH_SLOT = "meeting_problem", "no_slot", "meeting {meeting} offers no slot {number}"
    SLOT_ALREADY_CHOSEN = ("meeting_problem", "slot_taken",
                           "slot meeting {meeting} is no longer open to choose")

    # not_allowed: the mail is not theirs to answer, or which mentorship it is about is unclear
    WHICH_MENTORSHIP = "not_allowed", "which_mentorship", "no single mentorship: {count} running"
    NOTHING_TO_AMEND = "not_allowed", "no_agreement", "nothing to amend yet"
    APPROVE_OWN = "not_allowed", "approve_own", "the proposer cannot approve their own agreement"
    NOT_A_PARTY = "not_allowed", "not_yours", "not a party of mentorship {mentorship}"
    NOT_PARTY_OF_AGREEMENT = "not_allowed", "not_yours", "not a party of agreement {agreement}"
    NOT_THEIR_REQUEST = "not_allowed", "not_yours", "request {mentorship} is not for this mentor"
    NOT_A_PARTICIPANT = "not_allowed", "not_yours", "not a participant of meeting {meeting}"
    NO_MEETING_NAMED = "not_allowed", "not_yours", "no meeting named"
    NO_SUCH_MEETING = "not_allowed", "not_yours", "meeting {meeting} does not exist"

    # already_done: answered before (the mail shows the state when there is one)
    MENTORSHIP_ALREADY = "already_done", None, "mentorship {mentorship} is {state} already"
    VERSION_ALREADY = "already_done", None, "agreement version {version} is {state} already"
    REQUEST_ALREADY = "already_done", None, "request {mentorship} is {state} already"
    CONFIRMED_BEFORE = "already_done", None, "inbound {inbound} was confirmed before"
    CONFIRMATION_EXPIRED = ("confirm_expired", None,
                            "confirmation of inbound {inbound} came after its lifetime")
    # link_expired: a reply address that no longer acts, or acts for another coordinator only
    LINK_EXPIRED = "link_expired", "expired", "{purpose} link used after its lifetime ({ended})"
    DELETION_EXPIRED = ("link_expired", "deletion",
                        "deletion confirmed after its lifetime ({ended})")
    LINK_OF_ANOTHER = ("link_expired", "not_yours",
                       "{sender} used a {purpose} link sent to another coordinator")
    # mail_unread: a mail too large or too complex to read in full (the parsers' caps)
    MAIL_UNREAD = "mail_unread", None, "mail not read: {what}"

    # request_refused: REQUEST <mentor>
    ONLY_MENTEES_REQUEST = "request_refused", "not_mentee", "only mentees request"
    UNKNOWN_MENTOR = "request_refused", "unknown", "no mentor {wanted!r}"
    REQUEST_SELF = "request_refused", "self", "requested oneself"
    SECOND_REQUEST = "request_refused", "open", "second open request (the first is to {other})"
    MENTOR_FULL = "request_refused", "full", "mentor {other} is full"

    # closing_refused: END and CERTIFICATE
    END_ASKED_ALREADY = "closing_refused", "asked_already", "end asked for already"
    NO_CERTIFICATES = "closing_refused", "no_certificates", "no certificates to send"
    END_NOT_STARTED = "closing_refused", "requested", "cannot end a requested mentorship"
    END_DECLINED = "closing_refused", "declined", "cannot end a declined mentorship"
    END_COMPLETED = "closing_refused", "completed", "cannot end a completed mentorship"

    # revoke_refused: a coordinator's REVOKE <code> <reason>
    REVOKE_USAGE = "revoke_refused", "usage", "REVOKE without a code and a reason: {typed!r}"
    REVOKE_UNKNOWN = "revoke_refused", "unknown", "REVOKE of unknown certificate {code}"
    REVOKE_ALREADY = "revoke_refused", "already", "certificate {code} is revoked already"

    # import_summary: a coordinator's IMPORT (the mail branches on its files: there are none)
    IMPORT_WITHOUT_CSV = "import_summary", None, "IMPORT without a CSV attachment"


@unique
class Answer(Told, Enum):
    """What a coordinator is told about a command (mail coordinator_answer, which branches on the
    code): done, or not done and exactly why. Not done ones are raised as Polite."""

    def __init__(self, done: bool, code: str, log: str) -> None:
        super().__init__("coordinator_answer", code, log)
        self.done = done

    @property
    def key(self) -> str:  # a property: a plain attribute would be one more member
        return "code"

    def mail_values(self, values: dict) -> dict:
        return {"ok": self.done, **super().mail_values(values)}

    # done
    REQUEST_REMINDED = True, "request_reminded", "{who} reminded of the request (mentorship {id})"
    APPROVAL_REMINDED = True, "approval_reminded", "{who} reminded to approve (mentorship {id})"
    AGREEMENT_FORM_SENT = (True, "agreement_form_sent",
                           "agreement form of mentorship {id} sent again")
    CHECKIN_SENT = True, "checkin_sent", "{who} asked how mentorship {id} is going"
    MATCHED = True, "matched", "{other} asked to mentor {who} (mentorship {id})"
    ENDED = True, "ended", "mentorship {id} ended"
    CERTIFICATES_SENT = (True, "certificates_sent",
                         "certificates of mentorship {id} sent again to {who}")
    UNBOUNCED = True, "unbounced", "{email} works again (last mail sent again: {resent})"

    # not done
    USAGE = False, "usage", "{command!r} lacks what it acts on"
    UNKNOWN_MENTORSHIP = False, "unknown_mentorship", "no mentorship {id}"
    UNKNOWN_PERSON = False, "unknown_person", "nobody is {wanted!r}"
    WRONG_ROLE = False, "wrong_role", "{who} is a {actual}, not a {role}"
    MATCH_SELF = False, "match_self", "{who} cannot mentor themselves"
    MATCH_OPEN = False, "match_open", "{who} has an open request already (mentorship {id})"
    MATCH_FULL = False, "match_full", "{who} has no free place"
    BOUNCED = False, "bounced", "mail to {email} bounces"
    NOTHING_TO_REMIND = False, "nothing_to_remind", "mentorship {id} is {state}: nothing to remind"
    END_STATE = False, "end_state", "mentorship {id} is {state} already"
    NO_CERTIFICATES = False, "no_certificates", "mentorship {id} has no certificates"
    NO_HOLDER = (False, "no_holder",
                 "no holder of the certificates of mentorship {id} can be reached")
    NOT_BOUNCED = False, "not_bounced", "mail to {email} does not bounce"
    NO_PROPOSAL = False, "no_proposal", "MATCH ALL / MATCH <lines> without a proposal"
    UNKNOWN_LINES = False, "unknown_lines", "proposal {proposal} has no lines {lines}"
    REPORT_DATES = False, "report_dates", "REPORT period {typed!r} not understood"


@unique
class Refusal(Enum):
    """Why a mail changed nothing and got no answer: it may come from an attacker, so only the log
    hears why."""

    CONFIRMED_FOR_OTHERS = "confirmation by {sender} for a mail they did not send"
    NOT_OUR_MEETING = "calendar answer for no meeting of ours"
    NOT_AN_ATTENDEE = "{sender} is no attendee of this meeting"
    ANSWERED_FOR_OTHERS = "{sender} answered for someone else ({attendees})"
    PLANNED_FROM_OUTSIDE = "own-calendar invitation from someone outside the mentorship"
    NOT_A_COORDINATOR = "{sender} is no coordinator"
    CHECKIN_FROM_OUTSIDE = "check-in answer from someone outside the mentorship"
    PULSE_FOR_OTHERS = "pulse answer by {sender} for a question not theirs"
    CONCERN_FOR_OTHERS = "{sender} answered for a concern not sent from their address"

    def note(self, values: dict) -> str:
        return _fill(self.value, values)
