"""Running the parts: each as a thread of one process (serve) or alone (smtp, imap, worker, dispatch)."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from .app import App
from .ingest import envelope_from_headers
from .receive.smtp import smtp_controller

log = logging.getLogger(__name__)


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT / SIGTERM, so every loop ends cleanly and in-flight work commits or rolls back."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run_parts(app: App, parts: list[str], stop: threading.Event) -> None:
    """Start the named parts and wait until stop is set."""
    threads = [_thread(name, target) for name, target in _targets(app, parts, stop)]
    controller = None
    if "smtp" in parts:
        controller, handler = smtp_controller(app.settings, app.ingest)
        controller.start()
        log.info("SMTP receiver on %s for @%s", app.settings.smtp_listen, app.settings.domain)
    for thread in threads:
        thread.start()
    stop.wait()
    if controller is not None:
        controller.stop()
        handler.close()
    _wake_all(app)
    for thread in threads:
        thread.join(timeout=30)


def _targets(app: App, parts: list[str], stop: threading.Event) -> list[tuple[str, Callable[[], None]]]:
    targets = []
    if "worker" in parts:
        for number in range(max(1, app.settings.workers)):
            targets.append((f"worker-{number}", lambda: app.worker.run(stop, app.mail_stored)))
    if "dispatch" in parts:
        targets.append(("dispatcher", lambda: app.dispatcher.run(stop, app.mail_queued)))
    if "imap" in parts and app.settings.imap:
        targets.append(("imap", lambda: _imap_poller(app).run(stop)))
    if "jobs" in parts:
        from .jobs import run_scheduler
        targets.append(("jobs", lambda: run_scheduler(app, stop)))
    return targets


def _imap_poller(app: App):
    from .receive.imap import ImapPoller, parse_imap_url

    def ingest(raw: bytes) -> object:
        return app.ingest(raw, envelope_from_headers(raw, app.settings.domain, "imap"))

    return ImapPoller(parse_imap_url(app.settings.imap), ingest, log=logging.getLogger("mailflow.imap"))


def _thread(name: str, target: Callable[[], None]) -> threading.Thread:
    def guarded() -> None:
        try:
            target()
        except Exception:  # noqa: BLE001 - log why a part ended; the others go on
            log.exception("%s stopped", name)
    return threading.Thread(target=guarded, name=name, daemon=True)


def _wake_all(app: App) -> None:
    app.mail_stored.set()
    app.mail_queued.set()
