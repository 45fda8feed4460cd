"""A ``glue:startJobRun.sync`` Task that times out or whose execution is stopped stops its job run.

- TimeoutSeconds: the Task fails with ``States.Timeout``, which Retry and Catch see like any error
  (``States.TaskFailed`` does not match it): https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
  and https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
- Run a Job (.sync): when the Task times out or the execution is stopped, Step Functions stops the job it
  started, for Glue with BatchStopJobRun (the run ends STOPPED):
  https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-sync and
  https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from glue_flow_local.stepfunctions import tasks as tasks_module
from glue_flow_local.stepfunctions.interpreter import History, Interpreter
from glue_flow_local.stepfunctions.paths import StatesError
from glue_flow_local.stepfunctions.tasks import Tasks
from glue_flow_local.testing import LocalGlue, create_python_job, wait_for_run
from test_stepfunctions.support import role, wait_for_execution

SYNC = "arn:aws:states:::glue:startJobRun.sync"


class SlowGlue:
    """A Glue whose job runs stay RUNNING until BatchStopJobRun stops them."""

    def __init__(self) -> None:
        self.runs: dict[str, str] = {}
        self.stopped: list[tuple[str, list[str]]] = []

    def start_job_run(self, JobName: str, **extra: Any) -> dict[str, Any]:  # noqa: N803 - boto3's names
        run_id = f"jr_{len(self.runs) + 1}"
        self.runs[run_id] = "RUNNING"
        return {"JobRunId": run_id}

    def get_job_run(self, JobName: str, RunId: str) -> dict[str, Any]:  # noqa: N803
        return {"JobRun": {"Id": RunId, "JobName": JobName, "JobRunState": self.runs[RunId]}}

    def batch_stop_job_run(self, JobName: str, JobRunIds: list[str]) -> dict[str, Any]:  # noqa: N803
        self.stopped.append((JobName, JobRunIds))
        for run_id in JobRunIds:
            self.runs[run_id] = "STOPPED"
        return {
            "SuccessfulSubmissions": [{"JobName": JobName, "JobRunId": r} for r in JobRunIds],
            "Errors": [],
        }


class FakeTasks(Tasks):
    def __init__(self, glue: SlowGlue) -> None:
        # No server: the Glue calls go to ``glue``.
        self.region = "us-east-1"
        self.glue = glue

    def client(self, service: str, region: str | None = None) -> Any:
        assert service == "glue"
        return self.glue


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks_module, "POLL_SECONDS", 0.01)


def interpreter(glue: SlowGlue, history: History, stop: threading.Event | None = None) -> Interpreter:
    return Interpreter(history, FakeTasks(glue), 0.01, stop or threading.Event(), {"Execution": {"Id": "x"}})


def sync_task(**extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": SYNC, "Parameters": {"JobName": "load"}, "TimeoutSeconds": 2, **extra}


def test_a_timed_out_sync_task_stops_its_job_run_and_fails_with_states_timeout() -> None:
    glue = SlowGlue()
    history = History()
    machine = {
        "StartAt": "Load",
        "States": {
            "Load": sync_task(
                # TaskFailed does not match a timeout; the retrier for States.Timeout runs it once more.
                Retry=[
                    {"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 5},
                    {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 1},
                ],
                Catch=[{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Alert"}],
            ),
            "Alert": {"Type": "Pass", "End": True},
        },
    }

    output = interpreter(glue, history).run(machine, {"in": 1})

    assert output["error"]["Error"] == "States.Timeout"
    # Two attempts, each job run stopped by the timeout and left STOPPED.
    assert glue.stopped == [("load", ["jr_1"]), ("load", ["jr_2"])]
    assert glue.runs == {"jr_1": "STOPPED", "jr_2": "STOPPED"}
    failed = [e for e in history.events if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["States.Timeout"] * 2


def test_stopping_the_execution_stops_the_running_sync_job_run() -> None:
    glue = SlowGlue()
    stop = threading.Event()
    machine = {"StartAt": "Load", "States": {"Load": sync_task(TimeoutSeconds=3600, End=True)}}
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    # The stopped execution's task ends at once (StopExecution records the execution ABORTED).
    with pytest.raises(StatesError, match="Execution stopped"):
        interpreter(glue, History(), stop).run(machine, {})
    timer.cancel()

    assert glue.stopped == [("load", ["jr_1"])]
    assert glue.runs["jr_1"] == "STOPPED"


@pytest.mark.slow
def test_on_the_server_a_timed_out_sync_task_leaves_its_job_run_stopped(
    local_glue: LocalGlue, unique: Any
) -> None:
    glue, s3, sfn = local_glue.client("glue"), local_glue.client("s3"), local_glue.client("stepfunctions")
    job, bucket = unique("job"), unique("bucket").replace("_", "-")
    s3.create_bucket(Bucket=bucket)
    create_python_job(glue, s3, bucket, job, b"import time\nprint('working', flush=True)\ntime.sleep(60)\n")
    definition = {
        "StartAt": "Load",
        "States": {
            "Load": {
                "Type": "Task",
                "Resource": SYNC,
                "Parameters": {"JobName": job},
                "TimeoutSeconds": 2,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Alert"}],
                "Next": "Alert",
            },
            "Alert": {"Type": "Pass", "End": True},
        },
    }
    arn = sfn.create_state_machine(
        name=unique("timeout"),
        definition=json.dumps(definition),
        roleArn=role(local_glue.client("iam"), "sfn"),
    )["stateMachineArn"]

    ended = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"])

    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"])["error"]["Error"] == "States.Timeout"
    (run,) = glue.get_job_runs(JobName=job)["JobRuns"]
    assert wait_for_run(glue, job, run["Id"])["JobRunState"] == "STOPPED"
