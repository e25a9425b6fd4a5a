"""What an operator reads in `run.py serve`'s output: a line per mail received, processed and sent,
no chatter from the libraries underneath, never what a mail says; and with MAILFLOW_LOG_FORMAT=json
one JSON object per line for a log collector."""
from __future__ import annotations

import json
import re

import pytest

from mailflow.config import ConfigError, load_settings

from .support.mails import person_mail, smtp_send
from .support.ports import free_port
from .support.processes import start, stop, wait_for_port, wait_until
from .test_crash_and_scale import serve_env

PRIVATE = "Meine Telefonnummer ist 0170 4711"  # a line of the mail, which no log may show
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (?P<level>[A-Z]+) (?P<logger>[\w.]+): "
                       r"(?P<message>.*)")


def serve_one_mail(tmp_path, database_url, sink, clock, **settings: str) -> str:
    """serve's output from its start until it has answered one HELP: its first seconds."""
    port = free_port()
    env = serve_env(tmp_path, database_url, sink, clock, port, **settings)
    log = tmp_path / "serve.log"
    serve = start("serve", env, log)
    try:
        wait_for_port(port, serve)
        question = person_mail("ann@example.org", "hello@mentoring.test", "HELP", PRIVATE)
        smtp_send(port, question, "ann@example.org", ["hello@mentoring.test"])
        sink.wait_for(1)
        wait_until(lambda: "sent to ann@example.org" in log.read_text(), timeout=20,
                   what="the log line of the sent answer")
    finally:
        stop(serve)
    return log.read_text()


def test_serve_logs_one_line_per_mail_received_processed_and_sent(tmp_path, database_url, sink,
                                                                  clock):
    output = serve_one_mail(tmp_path, database_url, sink, clock)
    lines = [match.groupdict() for match in map(TEXT_LINE.match, output.splitlines()) if match]
    assert len(lines) == len(output.splitlines()), f"lines not in the log format:\n{output}"
    from_libraries = [line for line in lines if not line["logger"].startswith("mailflow")]
    assert [line for line in from_libraries if line["level"] in ("DEBUG", "INFO")] == []
    messages = [line["message"] for line in lines]
    if database_url.startswith("sqlite"):  # taken into the spool, then moved in by the worker
        assert len([m for m in messages if re.match(r"spooled 1 received by smtp from ann@", m)]) == 1
        assert len([m for m in messages if m == "inbound 1 is spooled 1"]) == 1
    else:
        assert len([m for m in messages if re.match(r"inbound 1 received by smtp from ann@", m)]) == 1
    assert len([m for m in messages if re.match(r"inbound 1 done: help\.", m)]) == 1
    assert len([m for m in messages if m.startswith("outbound 1 sent to ann@example.org")]) == 1
    assert PRIVATE not in output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_with_the_json_format_every_line_is_a_json_object(tmp_path, database_url, sink, clock):
    output = serve_one_mail(tmp_path, database_url, sink, clock, log_format="json")
    entries = [json.loads(line) for line in output.splitlines()]
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    from_libraries = [e for e in entries if not e["logger"].startswith("mailflow")]
    assert [e for e in from_libraries if e["level"] in ("DEBUG", "INFO")] == []
    assert any(e["message"].startswith("outbound 1 sent to ann@example.org") for e in entries)
    assert PRIVATE not in output


@pytest.mark.parametrize("name, value", [("LOG_LEVEL", "loud"), ("LOG_FORMAT", "xml")])
def test_a_log_setting_the_service_cannot_use_is_refused_by_name(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"MAILFLOW_{name} must be"):
        load_settings({"MAILFLOW_HOME": str(tmp_path), f"MAILFLOW_{name}": value},
                      toml_path=tmp_path / "absent.toml")
