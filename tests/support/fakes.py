"""Fakes shared by tests across the package's layers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest


@contextmanager
def store_ignoring_conditional_deletes() -> Iterator[None]:
    """Make moto an S3-compatible store that ignores conditional deletes (the per-key ``ETag`` in
    ``DeleteObjects``, ``If-Match`` on ``DeleteObject``).

    Such stores exist (S3 itself before conditional deletes, and several S3-compatible services); the
    converter must detect one and keep every source. moto checks the ETag from 5.2.6 on, so the check
    is switched off here; older moto never made it, and then there is nothing to switch off.
    """
    from moto.s3.responses import S3Response

    def ignore_etag(self: Any, *args: Any, **kwargs: Any) -> None:
        return None

    with mock.patch.object(S3Response, "_verify_etag_match_for_deletion", ignore_etag, create=True):
        yield


@contextmanager
def patch_sleep(side_effect: Any = None) -> Iterator[mock.Mock]:
    """Replace ``time.sleep`` for the calling thread only and yield the mock that records its calls.

    ``mock.patch("...time.sleep")`` replaces the attribute on the one shared ``time`` module, so a
    local Glue server or Spark thread in the same process would feed the recorded calls (or receive
    the side effect). Those threads keep sleeping for real here.
    """
    real_sleep = time.sleep
    owner = threading.get_ident()
    recorder = mock.Mock(side_effect=side_effect)

    def sleep(seconds: float) -> Any:
        if threading.get_ident() != owner:
            return real_sleep(seconds)
        return recorder(seconds)

    with mock.patch("time.sleep", sleep):
        yield recorder


class FakeTI:
    """The task-instance calls that operators and sensors make, answered from memory.

    ``xcom`` holds what this task pushed (key -> value), ``upstream`` what other tasks pushed (task id
    -> key -> value), ``states`` the DAG run's task states (task id -> state), and ``pulled`` records
    each pull as (task id, key). Pulling from a task that is neither this one nor in ``upstream``
    fails the test: the code under test reached for a task it should not know.
    """

    def __init__(
        self,
        task_id: str = "run_job",
        *,
        try_number: int = 1,
        upstream: dict[str, dict[str, Any]] | None = None,
        states: dict[str, str | None] | None = None,
        first_reschedule_date: Any = None,
    ) -> None:
        self.dag_id, self.run_id, self.task_id, self.map_index = "glue_flow", "manual__1", task_id, -1
        self.try_number = try_number
        self.xcom: dict[str, Any] = {}
        self.upstream = upstream or {}
        self.states = states or {}
        self.first_reschedule_date = first_reschedule_date
        self.pulled: list[tuple[str, str]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value") -> Any:
        task_id = self.task_id if task_ids is None else task_ids  # as Airflow's task instance does
        self.pulled.append((task_id, key))
        if task_id == self.task_id:
            return self.xcom.get(key)
        assert task_id in self.upstream, f"pulled an XCom of unexpected task {task_id!r}"
        return self.upstream[task_id].get(key)

    def get_task_states(self, dag_id: str, task_ids: list[str], run_ids: list[str]) -> dict[str, Any]:
        assert (dag_id, run_ids) == (self.dag_id, [self.run_id])
        return {self.run_id: {t: self.states[t] for t in task_ids if self.states.get(t)}}

    def get_first_reschedule_date(self, context: Any) -> Any:
        return self.first_reschedule_date


def set_aws_connection(
    monkeypatch: pytest.MonkeyPatch, conn_id: str = "aws_default", *, login: str | None = None, **extra: Any
) -> str:
    """Define an Airflow AWS connection in the environment (``AIRFLOW_CONN_<ID>``) and return its id.

    :param monkeypatch: removes the connection again after the test.
    :param conn_id: the connection id.
    :param login: an access key id, used with the same string as its secret (the local Glue's way).
    :param extra: the connection's extra, e.g. ``region_name`` or ``endpoint_url``.
    """
    connection: dict[str, Any] = {"conn_type": "aws"}
    if login is not None:
        connection.update(login=login, password=login)
    if extra:
        connection["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
    return conn_id
