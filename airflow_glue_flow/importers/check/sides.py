"""The two sides of a check: the original (a Glue workflow or a state machine execution), run by the
endpoint, and the generated DAG, run by ``dag.test()`` in a subprocess with its AWS connection pointed at
the same endpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from airflow_glue_flow.importers.check.dag_runner import RESULT_MARKER

#: Workflow run states that are not final (https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html).
_RUNNING = ("RUNNING", "STOPPING")
#: Execution statuses that are final (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
_EXECUTION_ENDS = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
#: WorkflowRunStatistics counters of actions that did not succeed.
_NOT_SUCCEEDED = ("FailedActions", "TimeoutActions", "StoppedActions", "ErroredActions")


class CheckError(RuntimeError):
    """A side could not be run (not a difference between the sides); the message says which and why."""


def run_workflow(glue: Any, workflow: str, timeout: float) -> tuple[str, bool]:
    """StartWorkflowRun, then GetWorkflowRun until the run is COMPLETED, STOPPED or ERROR.

    :returns: the outcome (``COMPLETED``, with the counts of actions that did not succeed) and whether
        the run COMPLETED (which Glue reports even when an action failed).
    :raises CheckError: the run did not end within ``timeout`` seconds.
    """
    run_id = glue.start_workflow_run(Name=workflow)["RunId"]
    deadline = time.monotonic() + timeout
    while True:
        run = glue.get_workflow_run(Name=workflow, RunId=run_id)["Run"]
        if run["Status"] not in _RUNNING:
            break
        if time.monotonic() > deadline:
            raise CheckError(
                f"workflow {workflow!r} run {run_id} is still {run['Status']} after {timeout:g} s"
            )
        time.sleep(0.5)
    stats = run.get("Statistics") or {}
    failed = {key: stats[key] for key in _NOT_SUCCEEDED if stats.get(key)}
    outcome = run["Status"]
    if failed:
        outcome += " (" + ", ".join(f"{key} {value}" for key, value in failed.items()) + ")"
    return outcome, run["Status"] == "COMPLETED"


def run_execution(
    sfn: Any, machine_arn: str, execution_input: str, timeout: float
) -> tuple[str, bool, list[str]]:
    """StartExecution, then DescribeExecution until it is SUCCEEDED, FAILED, TIMED_OUT or ABORTED.

    :returns: the outcome (the status, with the error of a run that did not succeed), whether it
        SUCCEEDED, and the errors of the states that failed in a run that went on (GetExecutionHistory's
        ``*Failed`` events: retried or caught).
    :raises CheckError: the execution did not end within ``timeout`` seconds.
    """
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=execution_input)["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        execution = sfn.describe_execution(executionArn=arn)
        if execution["status"] in _EXECUTION_ENDS:
            break
        if time.monotonic() > deadline:
            raise CheckError(f"execution {arn} is still {execution['status']} after {timeout:g} s")
        time.sleep(0.5)
    outcome, succeeded = execution["status"], execution["status"] == "SUCCEEDED"
    if not succeeded and execution.get("error"):
        outcome += f" ({execution['error']})"
    errors = []
    for event in sfn.get_execution_history(executionArn=arn)["events"] if succeeded else []:
        if event["type"].endswith("Failed"):
            details: dict[str, Any] = next(
                (v for k, v in event.items() if k.endswith("FailedEventDetails")), {}
            )
            errors.append(str(details.get("error") or event["type"]))
    return outcome, succeeded, errors


class DagSide:
    """Runs a DAG file with ``dag.test()`` in a subprocess, in an Airflow home made for the check.

    :param dag_file: the generated DAG file.
    :param connection: the Airflow AWS connection (JSON fields) the DAG's tasks use as ``aws_default``.
    :param timeout: seconds one run may take.
    """

    def __init__(self, dag_file: Path, connection: dict[str, Any], timeout: float) -> None:
        self._home = Path(tempfile.mkdtemp(prefix="glue-flow-check-"))
        (self._home / "dags").mkdir()
        self.dag_file = self._home / "dags" / dag_file.name
        shutil.copyfile(dag_file, self.dag_file)
        self._timeout = timeout
        self._env = {
            **os.environ,
            "AIRFLOW_HOME": str(self._home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self._home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
        }
        self._migrated = False

    def _run(self, args: list[str], what: str) -> str:
        try:
            done = subprocess.run(
                [sys.executable, *args],
                env=self._env,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CheckError(f"{what} did not end within {self._timeout:g} s") from None
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).splitlines()[-15:])
            raise CheckError(f"{what} failed (exit {done.returncode}):\n{tail}")
        return done.stdout

    def run(self, conf: dict[str, Any] | None = None) -> tuple[str, bool, dict[str, str]]:
        """Run the DAG once, with ``conf`` as the run's conf when given.

        :returns: the DAG run's state, whether it is ``success``, and each task's state.
        :raises CheckError: the DAG could not be run (not a failed run: a run that fails is an outcome).
        """
        if not self._migrated:
            self._run(["-m", "airflow", "db", "migrate"], "airflow db migrate (the check's Airflow home)")
            self._migrated = True
        conf_args = [] if conf is None else [json.dumps(conf)]
        out = self._run(
            ["-m", "airflow_glue_flow.importers.check.dag_runner", str(self.dag_file), *conf_args],
            f"dag.test() of {self.dag_file.name}",
        )
        lines = [line for line in out.splitlines() if line.startswith(RESULT_MARKER)]
        if not lines:
            raise CheckError(f"dag.test() of {self.dag_file.name} printed no result")
        result = json.loads(lines[-1][len(RESULT_MARKER) :])
        state = str(result["state"])
        return state, state == "success", dict(result["tasks"])

    def close(self) -> None:
        """Remove the check's Airflow home."""
        shutil.rmtree(self._home, ignore_errors=True)
