"""The IMAP poller against a real Dovecot: every message reaches ingest once and byte-exact, is flagged only after
ingest returned, survives failures and dropped connections, and new mail arrives promptly through IDLE."""
from __future__ import annotations

import logging
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailflow.receive.imap import ImapPoller, ImapSettings, parse_imap_url, processed_flags

from ..dovecot import running_dovecot

FIXTURES = Path(__file__).parent / "fixtures" / "imap"
STORED = "$MailflowStored"
SEEN = "\\Seen"
PROMPTLY = 10.0  # seconds; generous for a loaded CI box, far below the 600 s idle_seconds used below


class RecordingIngest:
    """Stands in for mailflow's ingest: remembers what it got, can fail on chosen messages, wakes waiting tests."""

    def __init__(self, fail_when: bytes | None = None) -> None:
        self.received: list[bytes] = []
        self.fail_when = fail_when
        self.arrived = threading.Condition()

    def __call__(self, raw: bytes) -> None:
        if self.fail_when is not None and self.fail_when in raw:
            raise RuntimeError("database unavailable")
        with self.arrived:
            self.received.append(raw)
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = PROMPTLY) -> bool:
        """True as soon as count messages arrived; False after timeout seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)


def mail(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "mentee@example.org"
    message["To"] = "hello@mentoring.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@example.org>"
    message.set_content(f"Body of {subject}\n")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def poller_for(server, ingest, **options) -> ImapPoller:
    return ImapPoller(parse_imap_url(server.url), ingest, log=logging.getLogger("test.imap"), **options)


class RunningPoller:
    """run() in a thread, stopped and joined at the end of the with-block."""

    def __init__(self, poller: ImapPoller) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=poller.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> RunningPoller:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join(timeout=PROMPTLY)
        assert not self.thread.is_alive(), "run() did not end after stop was set"


@pytest.fixture
def dovecot():
    with running_dovecot() as server:
        yield server


# polling once


def test_real_mails_are_ingested_byte_exact_and_flagged_stored_and_seen(dovecot):
    originals = [(FIXTURES / name).read_bytes() for name in (
        "thunderbird-lightning_reply_accepted_de-subject.eml", "mailgem_raw-8bit-windows-1252-subject.eml")]
    for raw in originals:
        dovecot.deliver(raw)
    ingest = RecordingIngest()
    poller = poller_for(dovecot, ingest)

    assert poller.poll_once() == 2

    assert ingest.received == originals
    flagged = dovecot.flags()
    assert len(flagged) == 2, "both stay in the INBOX"
    assert all({STORED, SEEN} <= flags for flags in flagged.values())
    poller.close()


def test_a_second_poll_ingests_nothing_again(dovecot):
    dovecot.deliver(mail("Anmeldung"))
    ingest = RecordingIngest()
    poller = poller_for(dovecot, ingest)
    poller.poll_once()

    assert poller.poll_once() == 0
    assert len(ingest.received) == 1
    poller.close()


def test_a_new_poller_after_a_restart_of_mailflow_skips_what_was_already_stored(dovecot):
    dovecot.deliver(mail("first"))
    poller_for(dovecot, RecordingIngest()).poll_once()
    dovecot.deliver(mail("second"))
    ingest = RecordingIngest()

    assert poller_for(dovecot, ingest).poll_once() == 1
    assert b"Subject: second" in ingest.received[0]


def test_a_message_a_person_already_read_in_the_mailbox_is_still_ingested(dovecot):
    dovecot.deliver(mail("read by the coordinator"))
    with dovecot.client() as client:
        client.add_flags(client.search(), [b"\\Seen"])
    ingest = RecordingIngest()

    assert poller_for(dovecot, ingest).poll_once() == 1
    assert STORED in next(iter(dovecot.flags().values()))


def test_a_failing_ingest_leaves_that_message_unflagged_and_the_others_stored(dovecot, caplog):
    for subject in ("one", "poison", "three"):
        dovecot.deliver(mail(subject))
    failing = RecordingIngest(fail_when=b"Subject: poison")
    poller = poller_for(dovecot, failing)

    with caplog.at_level(logging.ERROR, logger="test.imap"):
        assert poller.poll_once() == 2

    assert [b"Subject: one" in failing.received[0], b"Subject: three" in failing.received[1]] == [True, True]
    flags_by_uid = dovecot.flags()
    assert flags_by_uid[2] == set()  # neither stored nor marked read: a person still sees it as new
    assert {STORED, SEEN} <= flags_by_uid[1] and {STORED, SEEN} <= flags_by_uid[3]
    assert "could not be ingested" in caplog.text
    poller.close()


def test_a_later_poll_picks_up_the_message_whose_ingest_had_failed(dovecot):
    dovecot.deliver(mail("poison"))
    ingest = RecordingIngest(fail_when=b"poison")
    poller = poller_for(dovecot, ingest)
    assert poller.poll_once() == 0
    ingest.fail_when = None  # the database is back

    assert poller.poll_once() == 1
    assert b"Subject: poison" in ingest.received[0]
    poller.close()


def test_many_messages_are_fetched_in_batches_in_arrival_order(dovecot):
    with dovecot.client() as client:
        for number in range(120):
            client.append("INBOX", mail(f"message {number:03d}"))
    ingest = RecordingIngest()

    assert poller_for(dovecot, ingest).poll_once() == 120
    subjects = [raw.split(b"Subject: ")[1].split(b"\r\n")[0] for raw in ingest.received]
    assert subjects == [f"message {number:03d}".encode() for number in range(120)]


def test_poll_once_reconnects_after_the_server_kicked_the_connection(dovecot):
    ingest = RecordingIngest()
    poller = poller_for(dovecot, ingest)
    poller.poll_once()
    assert dovecot.kick(), "the poller's connection should have been open to be kicked"
    dovecot.deliver(mail("after the kick"))

    assert poller.poll_once() == 1
    poller.close()


# running


def test_with_idle_a_message_appended_while_waiting_is_ingested_promptly(dovecot):
    dovecot.deliver(mail("before"))
    ingest = RecordingIngest()
    with RunningPoller(poller_for(dovecot, ingest, idle_seconds=600)):
        assert ingest.wait_for(1), "the waiting message was not ingested"
        dovecot.deliver(mail("while idling"))

        assert ingest.wait_for(2), "IDLE did not wake the poller for new mail"
    assert b"Subject: while idling" in ingest.received[1]


def test_without_idle_the_poller_polls_every_idle_seconds():
    with running_dovecot(extra_config="imap_capability = IMAP4rev1 UIDPLUS\n") as server:
        server.deliver(mail("first"))
        ingest = RecordingIngest()
        with RunningPoller(poller_for(server, ingest, idle_seconds=0.2)):
            assert ingest.wait_for(1)
            server.deliver(mail("polled"))

            assert ingest.wait_for(2)
        with server.client() as client:
            assert b"IDLE" not in client.capabilities()


def test_run_reconnects_after_the_server_kicked_it_out_of_idle(dovecot):
    dovecot.deliver(mail("before"))
    ingest = RecordingIngest()
    with RunningPoller(poller_for(dovecot, ingest, idle_seconds=600, reconnect_delay=0.1)):
        assert ingest.wait_for(1)
        assert wait_until_kicked(dovecot)
        dovecot.deliver(mail("after the kick"))

        assert ingest.wait_for(2), "run() did not reconnect after the kick"


def test_run_reconnects_after_the_server_restarted(dovecot):
    dovecot.deliver(mail("before"))
    ingest = RecordingIngest()
    with RunningPoller(poller_for(dovecot, ingest, idle_seconds=600, reconnect_delay=0.1)):
        assert ingest.wait_for(1)
        dovecot.restart()
        dovecot.deliver(mail("after the restart"))

        assert ingest.wait_for(2), "run() did not reconnect after the restart"


def test_stop_ends_run_promptly_while_idling(dovecot):
    ingest = RecordingIngest()
    running = RunningPoller(poller_for(dovecot, ingest, idle_seconds=600))
    with running:
        assert wait_until_connected(dovecot)
        started = time.monotonic()
        running.stop.set()
        running.thread.join(timeout=PROMPTLY)
        assert time.monotonic() - started < 2


def test_a_wrong_password_is_logged_retried_and_stop_still_ends_run(dovecot, caplog):
    settings = parse_imap_url(dovecot.url)
    wrong = ImapSettings(settings.host, settings.port, settings.user, "not the password", settings.mailbox)
    poller = ImapPoller(wrong, RecordingIngest(), log=logging.getLogger("test.imap"), reconnect_delay=0.05)
    with caplog.at_level(logging.WARNING, logger="test.imap"):
        with RunningPoller(poller):
            deadline = time.monotonic() + PROMPTLY
            while caplog.text.count("retrying") < 2 and time.monotonic() < deadline:
                time.sleep(0.05)

    assert caplog.text.count("retrying") >= 2
    assert "not the password" not in caplog.text


def wait_until_kicked(server) -> bool:
    """Kick the poller's connection once it is open (the poller connects a moment after its first ingest)."""
    deadline = time.monotonic() + PROMPTLY
    while time.monotonic() < deadline:
        if server.kick():
            return True
        time.sleep(0.05)
    return False


def wait_until_connected(server) -> bool:
    deadline = time.monotonic() + PROMPTLY
    while time.monotonic() < deadline:
        if "Login: user=<mentoring>" in server.log_text():
            return True
        time.sleep(0.05)
    return False


# the settings


def test_imap_url_is_read_with_percent_decoded_user_and_password():
    settings = parse_imap_url("imap://mentoring%40example.org:p%40ss%20word%2F1@mail.example.org:1143/Mentoring")

    assert settings == ImapSettings("mail.example.org", 1143, "mentoring@example.org", "p@ss word/1",
                                    "Mentoring", ssl=False)


def test_imaps_url_means_tls_on_port_993_and_the_mailbox_defaults_to_inbox():
    settings = parse_imap_url("imaps://user:secret@mail.example.org")

    assert (settings.port, settings.ssl, settings.mailbox) == (993, True, "INBOX")


def test_the_password_never_shows_in_the_settings_repr():
    assert "secret" not in repr(parse_imap_url("imap://user:secret@mail.example.org/INBOX"))


@pytest.mark.parametrize("url", ["http://user:pw@host/INBOX", "imap://host/INBOX", "imap://user@host/INBOX",
                                 "imap://user:pw@/INBOX"])
def test_an_imap_url_without_scheme_user_password_or_host_is_refused_with_a_reason(url):
    with pytest.raises(ValueError, match="MAILFLOW_IMAP"):
        parse_imap_url(url)


def test_a_mailbox_without_keywords_marks_processed_mail_seen_only():
    assert processed_flags((b"\\Answered", b"\\Seen", b"\\Deleted")) == (b"\\Seen",)
    assert processed_flags((b"\\Seen", b"\\*")) == (b"$MailflowStored", b"\\Seen")
