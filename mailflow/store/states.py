"""The states the store keeps for mentorships, meetings and agreement versions, and the sets of them
the rules ask about: the one place they are spelled. The strings are in the database (and in
exports and log lines): never change one."""
from __future__ import annotations


class MentorshipState:
    """Mentorship.state: requested -> declined | accepted -> active -> ending -> completed (a NO to
    END goes back from ending to active, or to accepted before an agreement was approved)."""

    REQUESTED = "requested"  # the mentee asked; the mentor has not answered
    ACCEPTED = "accepted"  # the mentor said yes; no agreement approved yet
    ACTIVE = "active"  # an agreement is approved
    ENDING = "ending"  # one side asked to END; the other has not answered
    COMPLETED = "completed"
    DECLINED = "declined"  # the mentor said no (or the request was withdrawn)


class MeetingState:
    """Meeting.state: proposed -> confirmed | tentative | declined; any of them -> cancelled. A
    slot of several offered together is offered until one is chosen (-> confirmed; the others
    -> cancelled)."""

    OFFERED = "offered"  # one of several slots; not planned until the other side picks it
    PROPOSED = "proposed"  # the other side has not accepted yet
    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class VersionState:
    """AgreementVersion.state: proposed -> approved | changes_requested | withdrawn (a newer
    proposal replaced it); an approved one is superseded by the next approved one."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


# every mentorship state, in the order of its life (the figures count them in this order)
MENTORSHIP_STATES = (MentorshipState.REQUESTED, MentorshipState.ACCEPTED, MentorshipState.ACTIVE,
                     MentorshipState.ENDING, MentorshipState.COMPLETED, MentorshipState.DECLINED)
# accepted and not yet completed: the mentorship runs, and takes one of its mentor's places
RUNNING = (MentorshipState.ACCEPTED, MentorshipState.ACTIVE, MentorshipState.ENDING)
# running with an approved agreement: meetings may be planned
AGREED = (MentorshipState.ACTIVE, MentorshipState.ENDING)
# running and not ending: silence here is a mentorship gone quiet (after END it is consent)
MAY_GO_QUIET = (MentorshipState.ACCEPTED, MentorshipState.ACTIVE)
# not started in earnest: no agreement approved yet
NOT_STARTED = (MentorshipState.REQUESTED, MentorshipState.ACCEPTED)
# over, one way or the other
FINISHED = (MentorshipState.COMPLETED, MentorshipState.DECLINED)

# meetings that still count: planned, not declined or cancelled
PLANNED = (MeetingState.PROPOSED, MeetingState.CONFIRMED, MeetingState.TENTATIVE)
