"""Typed settings, read once from MAILFLOW_* variables (or mailflow.toml) and passed down from the
composition root."""
from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting has a value the service cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything an operator can set. Names match the MAILFLOW_* variables (upper-cased)."""

    home: Path = Path("var")
    database_url: str = ""
    domain: str = "mentoring.localhost"
    programme: str = "Mentoring"
    smtp_listen: str = "127.0.0.1:8025"
    relay: str | None = None
    imap: str | None = None
    secret: str = ""
    coordinators: tuple[str, ...] = ()
    language: str = "de"
    timezone: str = "Europe/Berlin"
    max_message_bytes: int = 25 * 1024 * 1024
    auto_reply_limit: int = 10
    hello_local: str = "hello"
    coordinators_local: str = "coordinators"
    trusted_authserv_id: str | None = None
    workers: int = 1
    send_lifetime_days: int = 5  # retry a letter refused for now this long (Postfix: 5 days)
    # scheduled work (jobs/): days before reminders, telling coordinators, inactivity; the
    # digest's rhythm
    reminder_first_days: int = 3
    reminder_second_days: int = 7
    escalate_days: int = 10
    request_expiry_days: int = 14  # an unanswered request is withdrawn; the mentee offered others
    inactivity_days: int = 28
    digest_frequency: str = "daily"  # daily | weekly | off
    digest_time: str = "07:00"  # local time (MAILFLOW_TIMEZONE)
    digest_weekday: str = "monday"  # for weekly
    # after END: silence counts as consent (one reminder at half time)
    closing_silence_days: int = 14
    # a stalled mentorship (two unanswered nudges) is warned, then closed, after this many days
    # each; 0: never closed automatically (the digest lists it)
    stalled_close_days: int = 0
    jobs_wait_seconds: int = 60  # how long `jobs --once` waits for a running pass of the jobs
    # how often a worker or dispatcher with nothing to do looks for due work when nothing woke it
    # (within serve the receiver and the workers wake them; on PostgreSQL, NOTIFY does everywhere)
    poll_seconds: int = 1
    log_level: str = "INFO"  # mailflow's lines: DEBUG | INFO | WARNING | ERROR; libraries: WARNING
    log_format: str = "text"  # text | json (one object per line, for log collectors)
    # Open Badges credentials: the issuer's private key (PEM, Ed25519 or P-256; unset: generated
    # into home/issuer_key.pem), the URL of the issuer profile an operator serves (unset:
    # https://<domain>/issuer.json), and a verification page the certificate's QR code opens
    # (unset: a mailto: VERIFY <code>)
    issuer_key: str = ""
    issuer_url: str = ""
    verify_url: str = ""
    # act as if it were this moment (tests and rehearsals); unset: the wall clock
    now: datetime | None = None
    # the wall-clock moment at which `now` held: services run on from it, so parts started one
    # after another agree on the time (unset: from each one's own start)
    now_since: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def smtp_host_port(self) -> tuple[str, int]:
        host, _, port = self.smtp_listen.rpartition(":")
        return host or "127.0.0.1", int(port)

    def address(self, local: str) -> str:
        return f"{local}@{self.domain}"

    @property
    def hello_address(self) -> str:
        return self.address(self.hello_local)

    @property
    def coordinators_address(self) -> str:
        return self.address(self.coordinators_local)


def load_settings(environ: Mapping[str, str] | None = None,
                  toml_path: Path | None = None) -> Settings:
    """Settings from mailflow.toml (if present) overridden by MAILFLOW_* environment variables."""
    environ = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    toml_path = toml_path or Path(environ.get("MAILFLOW_CONFIG", "mailflow.toml"))
    if toml_path.is_file():
        raw.update({k.lower(): str(v) for k, v in _read_toml(toml_path).items()})
    for key, value in environ.items():
        if key.startswith("MAILFLOW_") and key != "MAILFLOW_CONFIG":
            raw[key[len("MAILFLOW_"):].lower()] = value
    return _finish(_from_raw(raw))


def _read_toml(path: Path) -> dict[str, object]:
    data = tomllib.loads(path.read_text("utf-8"))
    return {k.removeprefix("MAILFLOW_").removeprefix("mailflow_"): v for k, v in data.items()}


def _from_raw(raw: dict[str, str]) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    for name, value in raw.items():
        if name not in known or name == "extra":
            extra[name] = value
        elif name == "home":
            values[name] = Path(value)
        elif name == "coordinators":
            values[name] = tuple(a.strip().lower() for a in value.split(",") if a.strip())
        elif name in ("now", "now_since"):
            values[name] = _as_moment(name, value) if value else None
        elif known[name].type in ("int",):
            values[name] = _as_int(name, value)
        else:
            values[name] = (value or None if name in ("relay", "imap", "trusted_authserv_id")
                            else value)
    return Settings(**values, extra=extra)


def _as_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"MAILFLOW_{name.upper()} must be a whole number, "
                          f"not {value!r}") from None


def _as_moment(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"MAILFLOW_{name.upper()} must be an ISO-8601 moment, "
                          f"not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _finish(settings: Settings) -> Settings:
    """Fill in defaults that depend on other settings and check what would fail later."""
    if settings.language not in ("de", "en"):
        raise ConfigError(f"MAILFLOW_LANGUAGE must be de or en, not {settings.language!r}")
    try:
        ZoneInfo(settings.timezone)
    except Exception:
        raise ConfigError(f"MAILFLOW_TIMEZONE is not a known time zone: "
                          f"{settings.timezone!r}") from None
    if ":" not in settings.smtp_listen:
        raise ConfigError("MAILFLOW_SMTP_LISTEN must be host:port")
    if settings.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"MAILFLOW_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                          f"not {settings.log_level!r}")
    if settings.log_format.lower() not in ("text", "json"):
        raise ConfigError(f"MAILFLOW_LOG_FORMAT must be text or json, not {settings.log_format!r}")
    if settings.poll_seconds < 1:
        raise ConfigError(f"MAILFLOW_POLL_SECONDS must be 1 or more, not {settings.poll_seconds}")
    url = settings.database_url or f"sqlite:///{settings.home / 'mailflow.sqlite3'}"
    secret = settings.secret or _local_secret(settings.home)
    return replace(settings, database_url=url, secret=secret, domain=settings.domain.lower(),
                   log_level=settings.log_level.upper(), log_format=settings.log_format.lower())


def _local_secret(home: Path) -> str:
    """A secret kept beside the embedded database, so a newcomer needs to set nothing."""
    path = home / "secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
