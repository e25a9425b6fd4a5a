"""Running the parts: each as a thread of one process (serve) or alone (smtp, imap, worker,
dispatch)."""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from typing import Callable

from .app import App
from .ingest import envelope_from_headers
from .logs import configure_logging
from .receive.smtp import smtp_controller
from .store.wakeups import QUEUED, STORED, listen

log = logging.getLogger(__name__)


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT / SIGTERM, so every loop ends cleanly and in-flight work commits or
    rolls back."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


# serve's children (workers, dispatcher) yield the CPU to the SMTP receiver in serve itself: the
# senders of a burst wait for their 250s, while answers can follow a moment later
CHILD_NICENESS = 10
# the receiver opens once the children can work (or after this, with a warning): mail taken before
# would wait seconds for a worker still starting
READY_TIMEOUT = 60


def run_parts(app: App, parts: list[str], stop: threading.Event,
              worker_processes: bool = False) -> None:
    """Start the named parts and wait until stop is set. With worker_processes, the workers and the
    dispatcher run in child processes, so that parsing, rendering and sending do not compete with
    the SMTP receiver for the interpreter lock."""
    apart = [part for part in ("worker", "dispatch") if worker_processes and part in parts]
    processes = _start_children(app, apart, stop)
    parts = [part for part in parts if part not in apart]
    _listen_for_work(app, parts, stop)
    threads = [_thread(name, target) for name, target in _targets(app, parts, stop)]
    controller = None
    if "smtp" in parts and not stop.is_set():
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
    for process in processes:
        process.terminate()
    for thread in threads:
        thread.join(timeout=30)
    for process in processes:
        process.join(timeout=30)


def _start_children(app: App, parts: list[str], stop: threading.Event) -> list:
    """The parts as spawned child processes sharing the wake-up events; returns once every child
    said it is ready (or stop was set, or READY_TIMEOUT passed)."""
    if not parts:
        return []
    context = multiprocessing.get_context("spawn")
    app.signals.stored, app.signals.queued = context.Event(), context.Event()
    names = [f"worker-{n}" for n in range(max(1, app.settings.workers)) if "worker" in parts]
    names += ["dispatcher"] if "dispatch" in parts else []
    readiness = [context.Event() for _ in names]
    processes = [context.Process(target=_child, name=name, daemon=True, args=(
        name, app.settings, app.clock, app.signals.stored, app.signals.queued, ready))
        for name, ready in zip(names, readiness)]
    for process in processes:
        process.start()
    deadline = time.monotonic() + READY_TIMEOUT
    for process, ready in zip(processes, readiness):
        while not ready.wait(0.1) and not stop.is_set() and process.is_alive():
            if time.monotonic() > deadline:
                log.warning("%s not ready after %d s; starting the rest anyway", process.name,
                            READY_TIMEOUT)
                break
        if not process.is_alive():  # its own error is in the log above; the rest still start
            log.error("%s ended while starting (exit code %s)", process.name, process.exitcode)
    return processes


def _child(name: str, settings, clock, stored, queued, ready) -> None:
    """A worker or the dispatcher in a child of serve: ends with its parent, even when the parent
    is killed, and keeps the parent's clock (a RunningClock counts from the system-wide monotonic
    clock, so parent and child agree)."""
    _end_with_parent(name)
    os.nice(CHILD_NICENESS)
    configure_logging(settings.log_level, settings.log_format)  # spawned: nothing is set up yet
    from .app import build_app
    app = build_app(settings, clock, migrate=False)
    app.signals.stored, app.signals.queued = stored, queued
    stop = stop_on_signals()
    _listen_for_work(app, ["dispatch" if name == "dispatcher" else "worker"], stop)
    ready.set()
    if name == "dispatcher":
        app.dispatcher.run(stop, queued, idle_seconds=settings.poll_seconds)
    else:
        app.worker.run(stop, stored, idle_seconds=settings.poll_seconds)


def _end_with_parent(name: str) -> None:
    """SIGKILL when the parent dies (PR_SET_PDEATHSIG), and at once if it died before we got here.
    Not SIGTERM: a parent killed while it held the lock of a shared Event leaves a waiting child
    blocked on that lock for good, its handler run but never back in the loop. Killed mid-batch, a
    worker commits nothing (the next one does the batch), so no answer is lost or sent twice; a
    killed dispatcher journalled every acceptance: at most the letter in flight goes again. The
    child is named mf-<part> (PR_SET_NAME), so that top and ps tell serve's children apart."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        libc.prctl(15, f"mf-{name}".encode()[:15])  # PR_SET_NAME: 15 bytes are kept
    except OSError:
        log.warning("cannot tie the worker's life to its parent on this system")
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)


def _listen_for_work(app: App, parts: list[str], stop: threading.Event) -> None:
    """On PostgreSQL, the workers and the dispatcher of this process are woken by NOTIFY from any
    process that stores mail or queues an answer (store/wakeups.py)."""
    channels = {STORED: app.signals.stored} if "worker" in parts else {}
    channels |= {QUEUED: app.signals.queued} if "dispatch" in parts else {}
    if channels and app.store.is_postgresql:
        listen(app.store.engine.url, channels, stop)


def _targets(app: App, parts: list[str],
             stop: threading.Event) -> list[tuple[str, Callable[[], None]]]:
    targets, poll = [], app.settings.poll_seconds
    if "worker" in parts:
        for number in range(max(1, app.settings.workers)):
            targets.append((f"worker-{number}",
                            lambda: app.worker.run(stop, app.signals.stored, idle_seconds=poll)))
    if "dispatch" in parts:
        targets.append(("dispatcher",
                        lambda: app.dispatcher.run(stop, app.signals.queued, idle_seconds=poll)))
    if "imap" in parts and app.settings.imap:
        targets.append(("imap", lambda: imap_poller(app).run(stop)))
    if "jobs" in parts:
        from .jobs.scheduler import run_scheduler
        targets.append(("jobs", lambda: run_scheduler(app, stop)))
    return targets


def imap_poller(app: App):
    """The poller for MAILFLOW_IMAP, handing each mail to ingest with the recipients its headers
    name."""
    from .receive.imap import ImapPoller, parse_imap_url

    def ingest(raw: bytes) -> object:
        return app.ingest(raw, envelope_from_headers(raw, app.settings.domain, "imap"))

    return ImapPoller(parse_imap_url(app.settings.imap), ingest,
                      log=logging.getLogger("mailflow.imap"))


def _thread(name: str, target: Callable[[], None]) -> threading.Thread:
    def guarded() -> None:
        try:
            target()
        except Exception:  # noqa: BLE001 - log why a part ended; the others go on
            log.exception("%s stopped", name)
    return threading.Thread(target=guarded, name=name, daemon=True)


def _wake_all(app: App) -> None:
    app.signals.stored.set()
    app.signals.queued.set()
