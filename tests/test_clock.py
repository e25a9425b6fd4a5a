"""The one clock: a process the tests (or an operator's rehearsal) start with MAILFLOW_NOW acts at that moment."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mailflow.clock import FixedClock, RunningClock, clock_at
from mailflow.config import ConfigError, load_settings

MOMENT = datetime(2031, 5, 6, 7, 8, tzinfo=timezone.utc)


def test_mailflow_now_is_read_as_an_aware_moment_and_a_bad_one_is_named(tmp_path):
    settings = load_settings({"MAILFLOW_HOME": str(tmp_path), "MAILFLOW_NOW": "2031-05-06T09:08+02:00"},
                             toml_path=tmp_path / "none.toml")
    assert settings.now == MOMENT
    with pytest.raises(ConfigError, match="MAILFLOW_NOW"):
        load_settings({"MAILFLOW_HOME": str(tmp_path), "MAILFLOW_NOW": "next tuesday"},
                      toml_path=tmp_path / "none.toml")


def test_one_shot_commands_keep_the_moment_and_services_run_on_from_it():
    assert isinstance(clock_at(MOMENT, running=False), FixedClock)
    running = clock_at(MOMENT, running=True)
    assert isinstance(running, RunningClock)
    first, second = running.now(), running.now()
    assert MOMENT <= first <= second < MOMENT + timedelta(seconds=5)
    assert abs(clock_at(None, running=True).now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_services_started_one_after_another_agree_on_the_time_since_the_moment_was_set(tmp_path):
    """A part started ten minutes after its environment was made (MAILFLOW_NOW_SINCE) is ten
    minutes past MAILFLOW_NOW, as a part started at once is by then: they agree."""
    since = datetime.now(timezone.utc) - timedelta(minutes=10)
    settings = load_settings({"MAILFLOW_HOME": str(tmp_path), "MAILFLOW_NOW": MOMENT.isoformat(),
                              "MAILFLOW_NOW_SINCE": since.isoformat()},
                             toml_path=tmp_path / "none.toml")
    late = clock_at(settings.now, running=True, since=settings.now_since).now()
    assert MOMENT + timedelta(minutes=10) <= late < MOMENT + timedelta(minutes=10, seconds=5)
    assert clock_at(settings.now, running=False, since=settings.now_since).now() == MOMENT
    with pytest.raises(ConfigError, match="MAILFLOW_NOW_SINCE"):
        load_settings({"MAILFLOW_HOME": str(tmp_path), "MAILFLOW_NOW_SINCE": "soon"},
                      toml_path=tmp_path / "none.toml")
