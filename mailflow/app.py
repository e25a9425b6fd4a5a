"""The composition root: settings -> store, clock, signer, composer, ingest, worker, dispatcher.
Nothing else builds these, and nothing reads settings from anywhere else."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from .clock import Clock
from .config import Settings
from .domain.credentials import publish
from .ingest import Ingest
from .outgoing.certificates import DocumentRenderer
from .outgoing.compose import Composer, Templates
from .outgoing.issuer_key import issuer_key_path, load_issuer_key
from .outgoing.journal import SentJournal
from .outgoing.send import Dispatcher, FolderTransport, SmtpRelay, Transport
from .store.session import Store
from .tokens import TokenSigner
from .worker import Worker


@dataclass
class Signals:
    """Wake-ups between the parts: new mail stored (wakes workers), new mail queued (wakes the
    dispatcher). Threading events in one process; services swaps in multiprocessing events when
    workers run apart."""

    stored: threading.Event = field(default_factory=threading.Event)
    queued: threading.Event = field(default_factory=threading.Event)


@dataclass
class App:
    settings: Settings
    clock: Clock
    store: Store
    signer: TokenSigner
    composer: Composer
    ingest: Ingest
    worker: Worker
    dispatcher: Dispatcher
    documents: DocumentRenderer
    signals: "Signals"


def build_app(settings: Settings, clock: Clock | None = None, *, transport: Transport | None = None,
              migrate: bool = True) -> App:
    clock = clock or Clock()
    if migrate:  # alembic and mako only where migrations run, not in every worker child
        from .store.migrations import upgrade
        upgrade(settings.database_url)
    store = Store(settings.database_url)
    signer = TokenSigner(settings.secret, settings.domain)
    composer = Composer(settings, clock, signer, Templates())
    signals = Signals()
    issuer = load_issuer_key(issuer_key_path(settings.home, settings.issuer_key))
    documents = DocumentRenderer(issuer=issuer)
    with store.transaction() as session:  # the issuer profile, keys and revocation list, fresh
        publish(session, settings, issuer)
    worker = Worker(store, settings, clock, signer, composer,
                    after_commit=lambda: signals.queued.set(), documents=documents)
    transport = transport or (SmtpRelay(settings.relay) if settings.relay
                              else FolderTransport(settings.outbox_dir))
    ingest = Ingest(store, clock, on_stored=lambda: signals.stored.set())
    return App(settings, clock, store, signer, composer, ingest, worker,
               _dispatcher(settings, store, clock, transport), documents, signals)


def _dispatcher(settings: Settings, store: Store, clock: Clock, transport: Transport) -> Dispatcher:
    return Dispatcher(store, clock, transport, journal=SentJournal(settings.home / "sent.journal"),
                      lifetime=timedelta(days=settings.send_lifetime_days))
