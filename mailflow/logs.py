"""Logging for every process of the service (cli.py, and serve's worker processes, which start
afresh): mailflow's own lines at MAILFLOW_LOG_LEVEL, third-party libraries only from WARNING up
(fontTools writes ~190 KB when the certificate fonts are cut at start, aiosmtpd a line per SMTP
command), as text or, for log collectors, as JSON lines (MAILFLOW_LOG_FORMAT)."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per line, which collectors read without a parsing rule: time (UTC), level,
    logger, message, and a traceback, if any, inside the same object."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, timezone.utc)
        entry = {"time": moment.isoformat(timespec="milliseconds"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", form: str = "text") -> None:
    """Log to stderr (stdout stays for what a command prints): mailflow's loggers at level, all
    others at WARNING or level, whichever is higher. Replaces any earlier set-up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if form == "json" else logging.Formatter(TEXT))
    numeric = logging.getLevelName(level.upper())
    logging.basicConfig(handlers=[handler], level=max(logging.WARNING, numeric), force=True)
    logging.getLogger("mailflow").setLevel(numeric)
