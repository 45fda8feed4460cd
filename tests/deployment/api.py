"""Airflow's public REST API (v2) as a user calls it: a token from the auth manager, then bearer calls."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx

FINISHED_RUN_STATES = frozenset({"success", "failed"})


class AirflowApi:
    """A thin client over ``/api/v2`` with the token of the SimpleAuthManager's all-admins mode.

    :param base_url: the API server, e.g. ``http://127.0.0.1:8080``.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        # docker-compose.yaml makes every user an admin, so GET /auth/token issues a token without a
        # password; with users and passwords it would be POST /auth/token {"username", "password"}.
        response = httpx.get(f"{base_url}/auth/token", timeout=30)
        response.raise_for_status()
        token = response.json()["access_token"]
        self.http = httpx.Client(
            base_url=f"{base_url}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def unpause(self, dag_id: str) -> dict[str, Any]:
        return self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        """Start a manual run with ``conf`` (the trigger form's params); returns the run id."""
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        return run["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns")["dag_runs"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        listed = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
        return {ti["task_id"]: ti for ti in listed}

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        return {task_id: ti["state"] for task_id, ti in self.task_instances(dag_id, run_id).items()}

    def set_task_state(self, dag_id: str, run_id: str, task_id: str, state: str) -> None:
        """Mark a task instance ``state`` as the UI's "Mark as failed/success" does."""
        self.call(
            "PATCH", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", json={"new_state": state}
        )

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.call("GET", path, params={"deserialize": True})["value"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        content = self.call("GET", path, params={"full_content": True})["content"]
        if isinstance(content, str):
            return content
        return "\n".join(
            str(part.get("event", part)) if isinstance(part, dict) else str(part) for part in content
        )

    def run_report(self, dag_id: str, run_id: str, lines: int = 40) -> str:
        """Task states of a run and the log tail of each failed or retried task, for assertion messages."""
        report = [f"{dag_id} run {run_id}: {self.task_states(dag_id, run_id)}"]
        for task_id, ti in self.task_instances(dag_id, run_id).items():
            if ti["state"] in ("failed", "up_for_retry", "upstream_failed") or ti["try_number"] > 1:
                for try_number in range(1, ti["try_number"] + 1):
                    log = self.task_log(dag_id, run_id, task_id, try_number).splitlines()[-lines:]
                    report.append(f"--- {task_id} try {try_number} ---\n" + "\n".join(log))
        return "\n".join(report)

    def wait_run(
        self,
        dag_id: str,
        run_id: str,
        timeout: float = 120,
        on_poll: Callable[[dict[str, str | None]], None] | None = None,
        interval: float = 1.0,
    ) -> str:
        """Poll until the run has finished; ``on_poll`` sees every snapshot of task states."""
        deadline = time.monotonic() + timeout
        while True:
            if on_poll is not None:
                on_poll(self.task_states(dag_id, run_id))
            state = self.run_state(dag_id, run_id)
            if state in FINISHED_RUN_STATES:
                return state
            assert time.monotonic() < deadline, (
                f"{dag_id} run {run_id} still {state} after {timeout} s: {self.task_states(dag_id, run_id)}"
            )
            time.sleep(interval)


class RunWatch:
    """Wait for a DAG run in a thread, noting every state each of its tasks was seen in, so that a test
    can check a run that went on while other tests ran.

    :param api: the API of the deployment; the thread uses a client of its own.
    :param timeout: seconds from now until the run must have finished.
    """

    def __init__(self, api: AirflowApi, dag_id: str, run_id: str, timeout: float) -> None:
        self.seen: defaultdict[str, set[str | None]] = defaultdict(set)
        self._outcome: str | BaseException | None = None
        self._thread = threading.Thread(
            target=self._wait, args=(AirflowApi(api.base_url), dag_id, run_id, timeout), daemon=True
        )
        self._thread.start()

    def _wait(self, api: AirflowApi, dag_id: str, run_id: str, timeout: float) -> None:
        def note(states: dict[str, str | None]) -> None:
            for task_id, state in states.items():
                self.seen[task_id].add(state)

        try:
            self._outcome = api.wait_run(dag_id, run_id, timeout=timeout, on_poll=note)
        except BaseException as error:  # handed to the test by state()
            self._outcome = error

    def state(self) -> str:
        """The run's final state, once it has finished; the wait's error if it did not."""
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome
