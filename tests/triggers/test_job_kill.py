"""GlueJobRunTrigger on an Airflow whose triggerer calls no ``on_kill`` (before 3.3): a cancelled trigger
stops its Glue run only when its task was killed, read from the task's state as the amazon provider's EMR
Serverless trigger does (``safe_to_cancel``)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow import compat
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.support.glue_job_fakes import JOB, RUN, patch_glue
from tests.triggers.test_job import KWARGS, TI, glue_with_run

STOPPED = [{"JobName": JOB, "JobRunIds": [RUN]}]


def task_states(states: dict[str, Any] | Exception) -> Any:
    """Patch the task SDK's task-state read (the triggerer's supervisor answers it in a deployment)."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    return mock.patch.object(
        RuntimeTaskInstance,
        "get_task_states",
        side_effect=states if isinstance(states, Exception) else lambda **query: states,
    )


def cancel_while_polling(trigger: GlueJobRunTrigger, glue: Any, message: str | None = None) -> None:
    """Run ``trigger`` until it polls Glue, then cancel it (with ``message``) as the triggerer does."""

    async def run() -> None:
        task = asyncio.create_task(anext(aiter(trigger.run())))
        while not glue.calls_to("GetJobRun"):
            if task.done():
                task.result()  # the trigger ended before it polled: say why
            await asyncio.sleep(0.01)
        task.cancel(message)
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())


def polling_trigger(**overrides: Any) -> GlueJobRunTrigger:
    trigger = GlueJobRunTrigger(**{**KWARGS, "poll_interval": 0.01, "max_attempts": 10_000, **overrides})
    trigger.task_instance = TI
    return trigger


@pytest.fixture
def without_trigger_on_kill():
    """The path of Airflow 3.1 and 3.2, whatever Airflow is installed."""
    with mock.patch.object(compat, "TRIGGER_ON_KILL", False):
        yield


@pytest.mark.usefixtures("without_trigger_on_kill")
@pytest.mark.parametrize("state", ["failed", "success", None, "scheduled"])
def test_a_cancelled_trigger_whose_task_was_killed_stops_the_run(state):
    # Mark failed/success leaves the task failed/success; a clear leaves it with no state or scheduled.
    glue = glue_with_run(["RUNNING"])
    with patch_glue(glue), task_states({TI.run_id: {TI.task_id: state}}) as read:
        cancel_while_polling(polling_trigger(), glue)
    assert glue.calls_to("BatchStopJobRun") == STOPPED
    read.assert_called_once_with(
        dag_id="glue_flow", task_ids=["run_job"], run_ids=["manual__1"], map_index=-1
    )


@pytest.mark.usefixtures("without_trigger_on_kill")
def test_a_cancelled_trigger_whose_task_is_still_deferred_leaves_the_run_going():
    # A triggerer that stops or hands its triggers over: the trigger runs again elsewhere.
    glue = glue_with_run(["RUNNING"])
    with patch_glue(glue), task_states({TI.run_id: {TI.task_id: "deferred"}}):
        cancel_while_polling(polling_trigger(), glue)
    assert glue.calls_to("BatchStopJobRun") == []


@pytest.mark.usefixtures("without_trigger_on_kill")
def test_a_mapped_task_is_read_by_its_map_index():
    # The execution API names a mapped task instance "<task_id>_<map_index>".
    glue = glue_with_run(["RUNNING"])
    trigger = polling_trigger()
    trigger.task_instance = SimpleNamespace(**{**vars(TI), "map_index": 2})
    states = {TI.run_id: {"run_job": "failed", "run_job_2": "deferred"}}
    with patch_glue(glue), task_states(states) as read:
        cancel_while_polling(trigger, glue)
    assert glue.calls_to("BatchStopJobRun") == []
    assert read.call_args.kwargs["map_index"] == 2


@pytest.mark.usefixtures("without_trigger_on_kill")
def test_a_task_that_no_longer_exists_counts_as_killed():
    # Its DAG run was deleted: nobody waits for the Glue run any more.
    glue = glue_with_run(["RUNNING"])
    with patch_glue(glue), task_states({}):
        cancel_while_polling(polling_trigger(), glue)
    assert glue.calls_to("BatchStopJobRun") == STOPPED


@pytest.mark.usefixtures("without_trigger_on_kill")
def test_a_state_that_cannot_be_read_leaves_the_run_going_and_says_so(capsys):
    glue = glue_with_run(["RUNNING"])
    with patch_glue(glue), task_states(RuntimeError("supervisor gone")):
        cancel_while_polling(polling_trigger(), glue)
    assert glue.calls_to("BatchStopJobRun") == []
    assert (
        f"Trigger of Glue job {JOB} run {RUN} cancelled; its task's state could not be read"
        in capsys.readouterr().out
    )


@pytest.mark.usefixtures("without_trigger_on_kill")
@pytest.mark.parametrize(
    "overrides, task_instance", [({"stop_on_kill": False}, TI), ({}, None)], ids=["no-stop", "no-task"]
)
def test_no_stop_without_stop_on_kill_or_a_task(overrides, task_instance):
    glue = glue_with_run(["RUNNING"])
    trigger = polling_trigger(**overrides)
    trigger.task_instance = task_instance
    with patch_glue(glue), task_states({TI.run_id: {TI.task_id: "failed"}}) as read:
        cancel_while_polling(trigger, glue)
    assert glue.calls_to("BatchStopJobRun") == []
    assert not read.called


def test_where_the_triggerer_calls_on_kill_a_cancel_alone_never_stops_the_run():
    # Airflow 3.3+: on_kill() does it, so the run is not stopped twice (nor on a triggerer's stop).
    glue = glue_with_run(["RUNNING"])
    with (
        mock.patch.object(compat, "TRIGGER_ON_KILL", True),
        patch_glue(glue),
        task_states({TI.run_id: {TI.task_id: "failed"}}) as read,
    ):
        cancel_while_polling(polling_trigger(), glue)
    assert glue.calls_to("BatchStopJobRun") == [] and not read.called


def test_the_installed_airflow_takes_the_kill_path_its_triggerer_supports():
    # 3.3's triggerer cancels a killed task's trigger with its user-action message, then calls on_kill().
    from airflow.jobs import triggerer_job_runner

    assert compat.TRIGGER_ON_KILL == hasattr(triggerer_job_runner, "_USER_ACTION_CANCEL_MSG")
