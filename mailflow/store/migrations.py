"""Making and upgrading the schema with Alembic,
from code (run.py and tests) as from the alembic CLI."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at url to the newest schema; safe to run on every start."""
    command.upgrade(alembic_config(url), revision)


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: no schema yet), read without changing anything."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision this code ships; `upgrade` brings a database there."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
