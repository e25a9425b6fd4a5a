"""What a test does when a real server it needs (PostgreSQL, Dovecot) is not installed: on a
developer's machine it is skipped with the reason; in CI (CI set) it fails, because there a skip
would hide that nothing was tested."""
from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run these tests, so this fails instead of skipping",
                    pytrace=False)
    pytest.skip(reason)
