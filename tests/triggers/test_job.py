"""GlueJobRunTrigger: serialisation, one event per outcome, verbose logs, stop on kill."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow.exceptions import GlueFlowError, GlueJobRunFailedError, GlueJobRunTimeoutError
from airflow_glue_flow.states import JOB_FAILURE_STATES
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.support.airflow_internals import trigger_runner_task
from tests.support.glue_job_fakes import JOB, RUN, FakeAsyncLogs, FakeGlue, patch_glue
from tests.support.triggerer import pushed_xcoms

KWARGS: dict[str, Any] = {
    "job_name": JOB,
    "run_id": RUN,
    "poll_interval": 0,
    "max_attempts": 3,
    "verbose": False,
    "stop_on_kill": True,
    "follow_retries": False,
    "aws_conn_id": None,
    "region_name": "us-east-1",
    "verify": None,
    "botocore_config": None,
    "end_from_trigger": False,
}


def run_trigger(trigger: GlueJobRunTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


TI = SimpleNamespace(dag_id="glue_flow", task_id="run_job", run_id="manual__1", map_index=None)


def glue_with_run(states: list[Any], error_message: str = "") -> FakeGlue:
    glue = FakeGlue(states=states, error_message=error_message)
    glue.add_run(RUN, "STARTING", {})
    return glue


def test_serialize_round_trips_to_init_kwargs():
    classpath, kwargs = GlueJobRunTrigger(**KWARGS).serialize()
    assert classpath == "airflow_glue_flow.triggers.job.GlueJobRunTrigger"
    assert kwargs == KWARGS
    assert GlueJobRunTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_success_yields_one_success_event():
    glue = glue_with_run(["STARTING", "RUNNING", "SUCCEEDED"])
    with patch_glue(glue):
        events = run_trigger(GlueJobRunTrigger(**KWARGS))
    assert events == [
        {
            "status": "success",
            "run_id": RUN,
            "state": "SUCCEEDED",
            "attempts": [{"run_id": RUN, "attempt": 0, "state": "SUCCEEDED", "error_message": ""}],
        }
    ]
    assert len(glue.calls_to("GetJobRun")) == 3


@pytest.mark.parametrize("state", sorted(JOB_FAILURE_STATES))
def test_each_failure_state_yields_the_failed_error(state):
    glue = glue_with_run(["RUNNING", state], error_message="Command failed with exit code 1")
    with patch_glue(glue):
        events = run_trigger(GlueJobRunTrigger(**KWARGS))
    assert len(events) == 1
    event = events[0]
    assert (event["status"], event["state"], event["run_id"]) == ("error", state, RUN)
    error = GlueFlowError.from_event(event)
    assert type(error) is GlueJobRunFailedError
    assert str(error) == f"Glue job {JOB!r} run {RUN} ended {state}: Command failed with exit code 1"


def test_out_of_attempts_yields_the_timeout_error_after_exactly_max_attempts_checks():
    glue = glue_with_run(["RUNNING"])
    with patch_glue(glue):
        events = run_trigger(GlueJobRunTrigger(**{**KWARGS, "poll_interval": 0, "max_attempts": 4}))
    assert len(glue.calls_to("GetJobRun")) == 4
    assert [e["state"] for e in events] == ["RUNNING"]
    error = GlueFlowError.from_event(events[0])
    assert type(error) is GlueJobRunTimeoutError
    assert str(error) == f"Glue job {JOB!r} run {RUN} still RUNNING after 4 checks over 0 s"


def test_waits_poll_interval_before_each_check():
    glue = glue_with_run(["RUNNING", "SUCCEEDED"])
    with patch_glue(glue), mock.patch("airflow_glue_flow.waits.drive.asyncio.sleep") as sleep:
        run_trigger(GlueJobRunTrigger(**{**KWARGS, "poll_interval": 30}))
    assert [c.args[0] for c in sleep.call_args_list] == [30, 30]


def test_verbose_reads_both_log_groups_at_every_check():
    glue = glue_with_run(["RUNNING", "SUCCEEDED"])
    logs = FakeAsyncLogs({})
    trigger = GlueJobRunTrigger(**{**KWARGS, "verbose": True})
    with patch_glue(glue), patch_async_logs(logs):
        run_trigger(trigger)
    groups = [r["logGroupName"] for r in logs.requests]
    assert groups == ["/aws-glue/python-jobs/output", "/aws-glue/python-jobs/error"] * 2


def test_not_verbose_reads_no_logs():
    glue = glue_with_run(["SUCCEEDED"])
    logs = FakeAsyncLogs({})
    with patch_glue(glue), patch_async_logs(logs):
        run_trigger(GlueJobRunTrigger(**KWARGS))
    assert logs.requests == []


def patch_async_logs(logs: FakeAsyncLogs):
    return mock.patch(
        "airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_async_conn",
        mock.AsyncMock(return_value=logs),
    )


@pytest.mark.parametrize("stop_on_kill", [True, False])
def test_on_kill_stops_the_run(stop_on_kill):
    glue = glue_with_run(["RUNNING"])
    with patch_glue(glue):
        asyncio.run(GlueJobRunTrigger(**{**KWARGS, "stop_on_kill": stop_on_kill}).on_kill())
    assert glue.calls_to("BatchStopJobRun") == (
        [{"JobName": JOB, "JobRunIds": [RUN]}] if stop_on_kill else []
    )


@pytest.mark.parametrize(
    "state, stopped", [("failed", True), ("deferred", False)], ids=["killed", "handed-over"]
)
def test_the_triggerer_stops_the_run_of_a_killed_task_only(state, stopped):
    """Airflow's own triggerer cancels the trigger as it does when a user kills the deferred task (3.3+:
    with its user-action message, then on_kill(); before 3.3: a plain cancel, after which the trigger
    reads its task's state). A task still deferred (a hand-over) keeps its run going."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    from airflow_glue_flow.compat import TRIGGER_ON_KILL

    glue = glue_with_run(["RUNNING"])
    trigger = GlueJobRunTrigger(**{**KWARGS, "poll_interval": 0.01, "max_attempts": 10_000})
    # What the triggerer's runner reads of the task instance besides TI's fields.
    runner_ti = {"id": "0190e1b2-0000-7000-8000-000000000001", "try_number": 1, "context_carrier": None}
    trigger.task_instance = SimpleNamespace(**{**vars(TI), "map_index": -1, **runner_ti})

    async def kill_while_polling() -> None:
        runner, task = trigger_runner_task(1, trigger)
        while not glue.calls_to("GetJobRun"):
            if task.done():
                task.result()  # the runner ended before the trigger polled: say why
            await asyncio.sleep(0.01)
        if TRIGGER_ON_KILL and state == "deferred":
            task.cancel()  # 3.3 cancels a handed-over trigger without its user-action message
        else:
            runner.to_cancel.append(1)
            await runner.cancel_triggers()
        with pytest.raises(asyncio.CancelledError):
            await task

    states = {TI.run_id: {TI.task_id: state}}
    with patch_glue(glue), mock.patch.object(RuntimeTaskInstance, "get_task_states", return_value=states):
        asyncio.run(kill_while_polling())
    assert glue.calls_to("BatchStopJobRun") == ([{"JobName": JOB, "JobRunIds": [RUN]}] if stopped else [])


def test_end_from_trigger_ends_a_succeeded_run_with_the_operators_xcoms():
    from airflow.triggers.base import TaskSuccessEvent

    glue = glue_with_run(["RUNNING", "SUCCEEDED"])
    trigger = GlueJobRunTrigger(**{**KWARGS, "end_from_trigger": True})
    trigger.task_instance = TI
    with patch_glue(glue), pushed_xcoms() as pushed:
        [event] = asyncio.run(_collect(trigger))
    assert isinstance(event, TaskSuccessEvent)
    assert event.xcoms is None  # pushed through the XCom API instead (see GlueFlowAwsTrigger.outcome)
    assert pushed == {
        ("run_job", "return_value"): RUN,
        ("run_job", "glue_state"): "SUCCEEDED",
        ("run_job", "glue_job_run_id"): RUN,
    }


def test_end_from_trigger_without_a_task_instance_resumes_the_task():
    glue = glue_with_run(["SUCCEEDED"])
    with patch_glue(glue), pushed_xcoms() as pushed:
        [event] = asyncio.run(_collect(GlueJobRunTrigger(**{**KWARGS, "end_from_trigger": True})))
    assert event.payload["status"] == "success" and pushed == {}


@pytest.mark.parametrize("states", [["RUNNING", "FAILED"], ["RUNNING"]], ids=["failed", "timeout"])
def test_end_from_trigger_still_resumes_the_task_on_failure(states):
    from airflow.triggers.base import BaseTaskEndEvent

    glue = glue_with_run(states)
    trigger = GlueJobRunTrigger(**{**KWARGS, "end_from_trigger": True})
    trigger.task_instance = TI
    with patch_glue(glue), pushed_xcoms() as pushed:
        [event] = asyncio.run(_collect(trigger))
    assert not isinstance(event, BaseTaskEndEvent) and pushed == {}
    assert event.payload["status"] == "error"


async def _collect(trigger: GlueJobRunTrigger) -> list[Any]:
    return [event async for event in trigger.run()]
