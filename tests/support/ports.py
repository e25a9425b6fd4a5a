"""A free loopback port for a server a test starts (SMTP sinks and receivers, Dovecot, PostgreSQL,
Postfix and its milters): the OS picks it, so parallel runs never collide."""
from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
