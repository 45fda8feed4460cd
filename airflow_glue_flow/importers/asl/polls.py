"""Lambda status poll loops as :class:`~airflow_glue_flow.importers.asl.sensors.LambdaPollSensor` tasks, and
the tasks that read the result of the task before them through XCom."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_glue_flow.importers.asl import model
from airflow_glue_flow.importers.asl.loops import UNBOUNDED_SECONDS, Loop

if TYPE_CHECKING:
    from airflow_glue_flow.importers.asl.plan import Planner

#: Fields with which a state's output is not its task's result as is.
_CHANGES = ("OutputPath", "ResultPath", "ResultSelector")


def lambda_poll(
    planner: Planner, loop: Loop, states: dict[str, Any], group: str | None, retry: dict[str, Any]
) -> model.Task:
    choice, fails = states[loop.members[0]], [s for s in loop.members if states[s].get("Type") == "Fail"]
    inside = {loop.starter, *loop.members[:2]}

    def action(target: str | None) -> str | None:
        return (
            None if target is None else "poll" if target in inside else "fail" if target in fails else "exit"
        )

    choices = [{**rule, "Next": action(rule["Next"])} for rule in choice.get("Choices", [])]
    args: dict[str, Any] = {
        "state": loop.starter,
        "function_name": planner.params.template(str(loop.name), f"state {loop.starter!r} Resource"),
        "payload": None,
        "choices": choices,
        "default": action(choice.get("Default")),
    }
    if fails:
        fail = states[fails[0]]
        args["fail_with"] = {"state": fails[0], "error": fail.get("Error"), "cause": fail.get("Cause")}
    args |= {"poke_interval": loop.wait_time, "timeout": UNBOUNDED_SECONDS, **retry}
    members = ", ".join(repr(s) for s in [loop.starter, *loop.members])
    comment = [f"From the Lambda poll loop {members}: invoke {loop.name!r} until the Choice leaves the loop."]
    planner.plan_.flags += [f"{loop.starter!r}: {note}" for note in loop.notes]
    return planner.add(
        model.Task(planner.names.allocate(loop.starter), "lambda_poll", loop.starter, args, comment), group
    )


def poll_inputs(planner: Planner, states: dict[str, Any], by_var: dict[str, model.Task]) -> None:
    """A Lambda poll loop's first input: the output of the Lambda before it, through XCom."""
    for task in planner.plan_.tasks:
        if task.kind != "lambda_poll" or task.state not in states or task.args["payload"] is not None:
            continue
        ups = [by_var[var] for var, kind in task.upstream if kind == "next"]
        before = states.get(ups[0].state, {}) if len(ups) == 1 else {}
        if (
            len(ups) == 1
            and ups[0].kind in ("lambda", "lambda_poll")
            and not any(k in before for k in ("OutputPath", "ResultPath", "ResultSelector"))
        ):
            task.args["payload"] = "{{ ti.xcom_pull(task_ids='" + ups[0].task_id + "') }}"
        else:
            task.args["payload"] = "{}"
            planner.plan_.flags.append(
                f"{task.state!r}: the Lambda poll loop's first input is {{}}, not the data that reached it"
            )


def athena_inputs(planner: Planner, states: dict[str, Any], by_var: dict[str, model.Task]) -> None:
    """``athena:getQueryResults`` reads the query of the Athena task right before it (its XCom is the query
    execution id); with anything else before it, the task fails naming that."""
    for task in planner.plan_.tasks:
        kwargs = task.args.get("op_kwargs") or {}
        if str(task.args.get("python_callable")) != "athena_query_results" or task.state not in states:
            continue
        ups = [by_var[var] for var, kind in task.upstream if kind == "next"]
        before = states.get(ups[0].state, {}) if len(ups) == 1 else {}
        if len(ups) == 1 and ups[0].kind == "athena" and not any(k in before for k in _CHANGES):
            kwargs["query_execution_id"] = "{{ ti.xcom_pull(task_ids='" + ups[0].task_id + "') }}"
        else:
            planner.plan_.flags.append(
                f"{task.state!r}: no Athena task right before it gives the query: its task fails"
            )
