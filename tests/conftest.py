"""Shared test fixtures: both databases, a real SMTP sink, and a mailflow app wired to them."""
from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mailflow.app import App, build_app
from mailflow.clock import FixedClock
from mailflow.config import load_settings
from mailflow.receive.smtp import smtp_controller
from mailflow.store.migrations import upgrade

from .postgres import postgres_missing_reason, running_postgres
from .support.ports import free_port
from .support.real_parts import missing
from .support.sink import SmtpSink

TEMPLATE_DB = f"mailflow_template_{os.getpid()}"
FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_USED = pytest.StashKey[str]()


def _admin_engine(admin_url: str):
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _pg_url(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def postgres_admin_url(request):
    """The admin URL of the PostgreSQL the tests use: MAILFLOW_TEST_POSTGRES when set, otherwise a
    throwaway server of our own, started once per session (tests/postgres.py)."""
    external = os.environ.get("MAILFLOW_TEST_POSTGRES")
    if external:
        _check_reachable(external)
        request.config.stash[POSTGRES_USED] = f"MAILFLOW_TEST_POSTGRES ({external})"
        yield external
        return
    reason = postgres_missing_reason()
    if reason:
        missing(reason)
    with running_postgres() as server:
        request.config.stash[POSTGRES_USED] = (
            f"our own PostgreSQL {server.version} on 127.0.0.1:{server.port} in {server.root} "
            f"(initdb + start {server.started_in:.1f} s)")
        yield server.admin_url


def _check_reachable(admin_url: str) -> None:
    engine = _admin_engine(admin_url)
    try:
        engine.connect().close()
    except Exception as exc:  # noqa: BLE001
        missing(f"PostgreSQL at MAILFLOW_TEST_POSTGRES={admin_url} is not reachable: {exc}")
    finally:
        engine.dispose()


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Say which PostgreSQL the session used: a run shows it did not lean on one left running."""
    if POSTGRES_USED in config.stash:
        terminalreporter.write_line(f"PostgreSQL: {config.stash[POSTGRES_USED]}")


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url):
    """One migrated database per test session; each test gets a fresh copy of it."""
    engine = _admin_engine(postgres_admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"'))
        conn.execute(text(f'CREATE DATABASE "{TEMPLATE_DB}"'))
    upgrade(_pg_url(postgres_admin_url, TEMPLATE_DB))
    yield TEMPLATE_DB
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mailflow.sqlite3'}"
        upgrade(url)
        yield url
        return
    template = request.getfixturevalue("postgres_template")
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"mailflow_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(admin_url, name)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))


def make_settings(tmp_path: Path, database_url: str, **overrides: str):
    environ = {"MAILFLOW_HOME": str(tmp_path / "home"), "MAILFLOW_DATABASE_URL": database_url,
               "MAILFLOW_DOMAIN": "mentoring.test", "MAILFLOW_SECRET": "test-secret",
               "MAILFLOW_PROGRAMME": "Mentoring Test", "MAILFLOW_SMTP_LISTEN": "127.0.0.1:0",
               "MAILFLOW_COORDINATORS": "coord@example.org", **{f"MAILFLOW_{k.upper()}": v for k, v in overrides.items()}}
    return load_settings(environ, toml_path=tmp_path / "absent.toml")


@pytest.fixture
def app(request, tmp_path, database_url, sink, clock) -> App:
    """A mailflow instance on a fresh database, sending to the sink, on a clock the test sets; a
    test module's APP_SETTINGS (e.g. language="en") are its settings beside these."""
    overrides = getattr(request.module, "APP_SETTINGS", {})
    built = build_app(make_settings(tmp_path, database_url, relay=sink.url, **overrides), clock,
                      migrate=False)
    yield built
    built.store.dispose()


@pytest.fixture
def trusting_mta_app(tmp_path, database_url, sink, clock) -> App:
    """The app behind an MTA whose Authentication-Results (authserv-id mx.mentoring.test) it trusts."""
    built = build_app(make_settings(tmp_path, database_url, relay=sink.url,
                                    trusted_authserv_id="mx.mentoring.test"), clock, migrate=False)
    yield built
    built.store.dispose()


@pytest.fixture
def receiver(app):
    """The app's real SMTP receiver (aiosmtpd) on a free port; yields the port."""
    settings = replace(app.settings, smtp_listen=f"127.0.0.1:{free_port()}", max_message_bytes=200_000)
    controller, handler = smtp_controller(settings, app.ingest)
    controller.start()
    yield controller.port
    controller.stop()
    handler.close()
