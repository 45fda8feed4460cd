"""ServerOptions: what a caller sets reaches the server the same way in a thread and in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from glue_flow_local.settings import (
    DEFAULT_MIN_CRAWL_SECONDS,
    MIN_CRAWL_SECONDS_ENV,
    WARM_SPARK_ENV,
    Credentials,
    ServerOptions,
    Settings,
)

STATE = Path("/state")


def test_options_passed_through_the_environment_give_the_same_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # LocalGlueProcess hands its options to `glue-flow local serve` in environment variables; the server
    # there resolves ServerOptions() against them, as LocalGlueServer resolves the options themselves.
    options = ServerOptions(
        min_crawl_seconds=0.25,
        timeout_unit_seconds=1.5,
        credentials=Credentials("AKIDCHILD", "child-secret"),
        allowed_origins=("http://localhost:3000", "http://127.0.0.1:8080"),
        warm_spark=False,
    )
    for name, value in options.environment().items():
        monkeypatch.setenv(name, value)
    in_child = ServerOptions().settings("http://127.0.0.1:1", STATE)
    assert in_child == options.settings("http://127.0.0.1:1", STATE)
    assert in_child == Settings(
        "http://127.0.0.1:1",
        STATE,
        min_crawl_seconds=0.25,
        timeout_unit_seconds=1.5,
        credentials=Credentials("AKIDCHILD", "child-secret"),
        allowed_origins=("http://localhost:3000", "http://127.0.0.1:8080"),
        warm_spark=False,
    )


def test_unset_options_leave_the_environment_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServerOptions().environment() == {}
    monkeypatch.delenv(MIN_CRAWL_SECONDS_ENV, raising=False)
    assert ServerOptions().settings("", STATE).min_crawl_seconds == DEFAULT_MIN_CRAWL_SECONDS
    monkeypatch.setenv(MIN_CRAWL_SECONDS_ENV, "7")
    assert ServerOptions().settings("", STATE).min_crawl_seconds == 7.0
    assert ServerOptions(min_crawl_seconds=0).settings("", STATE).min_crawl_seconds == 0


@pytest.mark.parametrize(
    ("value", "on"), [("", True), ("true", True), ("1", True), ("false", False), ("0", False), ("Off", False)]
)
def test_the_warm_spark_is_on_unless_the_environment_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, value: str, on: bool
) -> None:
    monkeypatch.setenv(WARM_SPARK_ENV, value)
    assert ServerOptions().settings("", STATE).warm_spark is on
