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

from .support.sink import SmtpSink, _free_port

POSTGRES_ADMIN_URL = os.environ.get("MAILFLOW_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEMPLATE_DB = f"mailflow_template_{os.getpid()}"
FIXTURES = Path(__file__).parent / "fixtures"


def _admin_engine():
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(database: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def postgres_template():
    """One migrated database per test session; each test gets a fresh copy of it."""
    engine = _admin_engine()
    try:
        engine.connect().close()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI and is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}; .ci/run starts it")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"'))
        conn.execute(text(f'CREATE DATABASE "{TEMPLATE_DB}"'))
    upgrade(_pg_url(TEMPLATE_DB))
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
    name = f"mailflow_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
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
def app(tmp_path, database_url, sink, clock) -> App:
    """A mailflow instance on a fresh database, sending to the sink, on a clock the test sets."""
    built = build_app(make_settings(tmp_path, database_url, relay=sink.url), clock, migrate=False)
    yield built
    built.store.dispose()


@pytest.fixture
def receiver(app):
    """The app's real SMTP receiver (aiosmtpd) on a free port; yields the port."""
    settings = replace(app.settings, smtp_listen=f"127.0.0.1:{_free_port()}", max_message_bytes=200_000)
    controller, handler = smtp_controller(settings, app.ingest)
    controller.start()
    yield controller.port
    controller.stop()
    handler.close()
