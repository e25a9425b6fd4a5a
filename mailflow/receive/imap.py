"""The IMAP poller: for mail that lands in a mailbox instead of at our SMTP receiver. It hands each
message's exact bytes to ingest and flags it processed only after ingest returned, so a crash or a
failing ingest never loses a message (at worst it is fetched again, and ingest deduplicates by
Message-ID). Waits with IDLE (RFC 2177) when the server offers it and reconnects with backoff when
the connection drops."""
from __future__ import annotations

import contextlib
import logging
import selectors
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient

PROCESSED_KEYWORD = b"$MailflowStored"
SEEN = b"\\Seen"
ANY_KEYWORD = b"\\*"
FETCH_BATCH = 50
STOP_CHECK_SECONDS = 0.25
MAX_RECONNECT_DELAY = 60.0
SOCKET_TIMEOUT = 60.0
DEFAULT_PORTS = {"imap": 143, "imaps": 993}

Ingest = Callable[[bytes], object]


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in (from MAILFLOW_IMAP)."""
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    ssl: bool = False


def parse_imap_url(url: str) -> ImapSettings:
    """imap://user:password@host:port/MAILBOX (imaps:// for TLS); user and password percent-decoded,
    the mailbox defaults to INBOX. Raises ValueError naming what is missing."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("MAILFLOW_IMAP must start with imap:// or imaps://, "
                         f"not {parts.scheme or 'nothing'}://")
    if not parts.hostname or parts.username is None or parts.password is None:
        raise ValueError("MAILFLOW_IMAP needs user, password and host: "
                         "imap://user:password@host:port/MAILBOX")
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapSettings(host=parts.hostname, port=parts.port or DEFAULT_PORTS[parts.scheme],
                        user=unquote(parts.username), password=unquote(parts.password),
                        mailbox=mailbox, ssl=parts.scheme == "imaps")


def batches(uids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(uids), size):
        yield uids[start:start + size]


def processed_flags(permanent_flags: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Our keyword plus \\Seen where the mailbox keeps keywords
    (PERMANENTFLAGS has \\* or the keyword already), else \\Seen alone."""
    if ANY_KEYWORD in permanent_flags or PROCESSED_KEYWORD in permanent_flags:
        return (PROCESSED_KEYWORD, SEEN)
    return (SEEN,)


class ConnectionLost(Exception):
    """The server closed the connection while we waited in IDLE."""


class ImapPoller:
    """Fetches not-yet-processed messages from one mailbox into ingest;
    one instance, one connection, one thread."""

    def __init__(self, settings: ImapSettings, ingest: Ingest, *, log: logging.Logger,
                 idle_seconds: float = 60, reconnect_delay: float = 1.0) -> None:
        self._settings = settings
        self._ingest = ingest
        self._log = log
        self._idle_seconds = idle_seconds
        self._reconnect_delay = reconnect_delay
        self._client: IMAPClient | None = None
        self._flags: tuple[bytes, ...] = (SEEN,)

    def poll_once(self) -> int:
        """Ingest every message not yet flagged processed; return how many were ingested. A message
        whose ingest raises stays unflagged (and is logged); the others are still tried. Connection
        errors propagate, after the broken connection is dropped so the next call reconnects."""
        client = self._connected()
        try:
            uids = sorted(client.search(self._unprocessed_criteria()))
            return sum(self._ingest_batch(client, batch) for batch in batches(uids, FETCH_BATCH))
        except Exception:
            self.close()
            raise

    def run(self, stop: threading.Event) -> None:
        """Poll, wait for new mail (IDLE or sleep), repeat until stop is set;
        reconnect with backoff on errors."""
        delay = self._reconnect_delay
        while not stop.is_set():
            try:
                self.poll_once()
                self._wait_for_mail(stop)
                delay = self._reconnect_delay
            except Exception as error:  # noqa: BLE001
                # any failure of the server or network: retry later
                self._log.warning("IMAP %s:%s failed (%s); retrying in %.1fs",
                                  self._settings.host, self._settings.port, error, delay)
                self.close()
                stop.wait(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
        self.close()

    def close(self) -> None:
        """Log out (politely if the connection still works) and forget the connection."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone; nothing to save
            with contextlib.suppress(Exception):
                client.shutdown()

    # connecting

    def _connected(self) -> IMAPClient:
        """The open connection if it still answers NOOP, else a fresh one."""
        if self._client is not None:
            try:
                self._client.noop()
                return self._client
            except Exception as error:  # noqa: BLE001 - a dead connection: open a new one
                self._log.info("IMAP connection lost (%s); reconnecting", error)
                self.close()
        self._client = self._connect()
        return self._client

    def _connect(self) -> IMAPClient:
        settings = self._settings
        context = ssl.create_default_context() if settings.ssl else None
        client = IMAPClient(settings.host, settings.port, ssl=settings.ssl, ssl_context=context,
                            timeout=SOCKET_TIMEOUT)
        try:
            client.login(settings.user, settings.password)
            selected = client.select_folder(settings.mailbox)
        except Exception:
            client.shutdown()
            raise
        self._flags = processed_flags(tuple(selected.get(b"PERMANENTFLAGS", ())))
        self._log.info("IMAP connected to %s:%s/%s; processed messages get %s",
                       settings.host, settings.port, settings.mailbox,
                       b" ".join(self._flags).decode())
        return client

    def _unprocessed_criteria(self) -> list[bytes]:
        if PROCESSED_KEYWORD in self._flags:
            return [b"UNKEYWORD", PROCESSED_KEYWORD]
        return [b"UNSEEN"]

    # ingesting

    def _ingest_batch(self, client: IMAPClient, uids: list[int]) -> int:
        fetched = client.fetch(uids, [b"BODY.PEEK[]"])
        ingested = 0
        for uid in uids:
            raw = fetched.get(uid, {}).get(b"BODY[]")
            if raw is None:  # expunged meanwhile by someone else
                continue
            if self._ingest_one(uid, raw):
                client.add_flags([uid], self._flags, silent=True)
                ingested += 1
        return ingested

    def _ingest_one(self, uid: int, raw: bytes) -> bool:
        try:
            self._ingest(raw)
        except Exception:  # noqa: BLE001
            # one bad message must not block the others; it stays unflagged
            self._log.exception("IMAP message UID %s could not be ingested; "
                                "it stays in the mailbox unflagged", uid)
            return False
        return True

    # waiting

    def _wait_for_mail(self, stop: threading.Event) -> None:
        """Until the server reports a change, idle_seconds pass, or stop is set."""
        client = self._client
        if client is None or b"IDLE" not in client.capabilities():
            stop.wait(self._idle_seconds)
            return
        client.idle()
        try:
            self._idle_until_news(client, stop)
        finally:
            if self._client is client:
                client.idle_done()

    def _idle_until_news(self, client: IMAPClient, stop: threading.Event) -> None:
        deadline = time.monotonic() + self._idle_seconds
        with selectors.DefaultSelector() as selector:
            selector.register(client.socket(), selectors.EVENT_READ)
            while not stop.is_set() and time.monotonic() < deadline:
                if not selector.select(STOP_CHECK_SECONDS):
                    continue
                responses = client.idle_check(timeout=0)
                if not responses or any(response[0] == b"BYE" for response in responses):
                    # imapclient answers EOF with an empty list;
                    # BYE comes first when the server is polite
                    self.close()
                    raise ConnectionLost("the server closed the connection during IDLE")
                self._log.debug("IMAP IDLE reported %s", responses)
                return
