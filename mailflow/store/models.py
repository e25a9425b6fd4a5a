"""Typed models for everything the programme keeps. Times are stored in UTC."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
    TypeDecorator, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), date: Date(), dict: JSON(), list: JSON()}


class Programme(Base):
    __tablename__ = "programme"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # short name to REQUEST a mentor by
    handle: Mapped[str | None] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))  # mentee | mentor | coordinator
    language: Mapped[str] = mapped_column(String(2), default="de")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    topics: Mapped[list] = mapped_column(default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    about: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    bounced_at: Mapped[datetime | None]
    bounce_reason: Mapped[str] = mapped_column(Text, default="")
    deleted_at: Mapped[datetime | None]


class Mentorship(Base):
    __tablename__ = "mentorship"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # requested -> declined | active (via accepted) -> ending -> completed
    state: Mapped[str] = mapped_column(String(20), index=True)
    request_note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    end_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    end_requested_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]  # the last inactivity mail (jobs: at most one per period)
    # how a request closed without a match: declined (by the mentor) | expired (no answer in
    # time) | withdrawn (a coordinator's END); "" while open, accepted, or from before 0003
    request_closed_as: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # the mentor's reason for declining: for the coordinators only, never in a mail to the mentee
    decline_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])


class AgreementVersion(Base):
    __tablename__ = "agreement_version"
    __table_args__ = (UniqueConstraint("mentorship_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id"), index=True)
    version: Mapped[int]
    period_from: Mapped[date]
    period_until: Mapped[date]
    meetings: Mapped[int]
    contact_kind: Mapped[str] = mapped_column(Text)
    contact_frequency: Mapped[str] = mapped_column(Text)
    topics: Mapped[list]
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    proposed_at: Mapped[datetime]
    # proposed -> approved | changes_requested; an approved one is superseded by the next approved
    state: Mapped[str] = mapped_column(String(20))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    approved_at: Mapped[datetime | None]
    comment: Mapped[str] = mapped_column(Text, default="")


class Meeting(Base):
    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id"), index=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    tzid: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(Text, default="")
    closing: Mapped[bool] = mapped_column(Boolean, default=False)
    # proposed | confirmed | tentative | declined | cancelled
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    feedback_requested_at: Mapped[datetime | None]
    # the other one accepts
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # UID of the invitation from a person's own calendar
    source_uid: Mapped[str | None] = mapped_column(String(300))
    counter_starts_at: Mapped[datetime | None]  # a COUNTER waiting for the proposer's answer
    counter_ends_at: Mapped[datetime | None]
    # how the acceptor confirmed: calendar (iMIP REPLY) | reply (YES to the mail) | counter;
    # "" before it was kept. Named in the credential's evidence.
    confirmed_via: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # one of up to three slots offered together: the id of the offer's first slot, and which one
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    slot_number: Mapped[int | None]
    # one occurrence of a recurring series, and its original start (its RECURRENCE-ID)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"), index=True)
    recurrence_id: Mapped[datetime | None]

    series: Mapped[MeetingSeries | None] = relationship(back_populates="occurrences")


class MeetingSeries(Base):
    """A recurring meeting as calendars know it: one UID with an RRULE. Each occurrence is a
    Meeting row of its own (answered, held, given feedback and counted on its own); this row keeps
    what the series' invitation says."""

    __tablename__ = "meeting_series"
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id"), index=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    rrule: Mapped[str] = mapped_column(String(200))  # FREQ=WEEKLY;INTERVAL=2;COUNT=6
    sequence: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime]  # DTSTART and DTEND of the first occurrence as first invited
    ends_at: Mapped[datetime]
    tzid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    occurrences: Mapped[list[Meeting]] = relationship(back_populates="series",
                                                      order_by="Meeting.recurrence_id")


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    took_place: Mapped[bool | None]
    rating: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # the first feedback form's "good fit?": yes | unsure | no; None when not asked or not answered
    good_fit: Mapped[str | None] = mapped_column(String(10))


class Achievement(Base):
    __tablename__ = "achievement"
    __table_args__ = (UniqueConstraint("person_id", "kind", "ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # makes recording the same event twice a no-op
    ref: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime]


class Certificate(Base):
    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id"))
    holder_name: Mapped[str] = mapped_column(String(200))
    period_from: Mapped[date]
    period_until: Mapped[date]
    issued_at: Mapped[datetime]
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    # the signed Open Badges 3.0 credential (VC-JWT) and its baked PNG badge; ""/None before
    credential: Mapped[str] = mapped_column(Text, default="", server_default="")
    badge_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    hours: Mapped[float] = mapped_column(default=0.0, server_default="0")
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class InboundMessage(Base):
    """A received mail, stored raw before we say yes to it, with its later outcome."""

    __tablename__ = "inbound_message"
    __table_args__ = (Index("ix_inbound_state_due", "state", "not_before"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998))
    # None: the transport did not say (IMAP)
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[list]
    source: Mapped[str] = mapped_column(String(10))  # smtp | imap | test
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    # new -> done | ignored | refused | failed
    state: Mapped[str] = mapped_column(String(12), default="new")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    processed_at: Mapped[datetime | None]


class OutboundMessage(Base):
    """A mail to send, rendered in full when its cause commits; the dispatcher only delivers it."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        Index("ix_outbound_state_due", "state", "next_attempt_at"),
        Index("ix_outbound_recipient_created", "recipient", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    template: Mapped[str] = mapped_column(String(80))
    answers_inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # pending -> sending (leased) -> sent | failed
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Proposal(Base):
    """A batch of proposed pairs as a coordinator was shown it (PROPOSE), so that MATCH 3 means
    the line they read, whatever changed since."""

    __tablename__ = "proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(320))
    lines: Mapped[list["ProposalLine"]] = relationship(order_by="ProposalLine.number")


class ProposalLine(Base):
    __tablename__ = "proposal_line"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    number: Mapped[int]
    mentee_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    score: Mapped[float]
    explanation: Mapped[str] = mapped_column(Text)
    # the request this line became, once a coordinator matched it
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship.id"))


class JobRun(Base):
    """That a job did its work for one key (a meeting, a day);
    a second run with the same key does nothing."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(120))
    ran_at: Mapped[datetime]


class OptOut(Base):
    """A person's (or a coordinator's) wish to get no more of one kind of bulk mail (reminders,
    the digest), from the List-Unsubscribe address of such a mail; SUBSCRIBE removes it. Kept by
    address: coordinators have no Person row."""
    __tablename__ = "opt_out"
    __table_args__ = (UniqueConstraint("address", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class PulseCheck(Base):
    """One relationship pulse question ("how is your mentorship going? 1–5") to one side of a
    mentorship for one period (0: 30 days after the agreement, then one every 60 days), and its
    answer. The row is the pulse job's mark: one per mentorship, person and period."""

    __tablename__ = "pulse_check"
    __table_args__ = (UniqueConstraint("mentorship_id", "person_id", "period"),
                      Index("ix_pulse_answered", "answered_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    period: Mapped[int]
    asked_at: Mapped[datetime]
    score: Mapped[int | None]  # 1–5; the latest answer counts
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]


class Concern(Base):
    """A private concern a participant sent to the coordinators (CONCERN / ANLIEGEN): never shown
    to anyone else, listed in the sender's own EXPORT."""

    __tablename__ = "concern"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    # the MTA vouched for the sender, or they wrote through a reply address bound to them
    vouched: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the owner of the address said to our acknowledgement: "" | confirmed | disowned
    owner_answer: Mapped[str] = mapped_column(String(12), default="")


class QuietNotice(Base):
    """A mail about a mentorship gone quiet: an inactivity nudge, the warning before closing it, or
    its closing. Nudges newer than the last activity are unanswered ones; two make it stalled."""

    __tablename__ = "quiet_notice"
    __table_args__ = (Index("ix_quiet_notice_mentorship_kind", "mentorship_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id"))
    kind: Mapped[str] = mapped_column(String(12))  # nudge | warning | closed
    sent_at: Mapped[datetime]
