"""One ASL Task state (its ``Resource`` and ``Parameters``) as an operator, and its Retry as task retries.

Service integrations: https://docs.aws.amazon.com/step-functions/latest/dg/integrate-services.html
(Glue's optimized integration has ``startJobRun`` only; crawlers go through ``aws-sdk:glue:startCrawler``:
https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html). Retriers:
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from airflow_glue_flow.importers.asl.model import AslImportError, Code, Params, placeholders

_LAMBDA_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]*:[^:]*:function:(?P<name>[^:]+)(?::(?P<qualifier>.+))?$")
_ACTIVITY = re.compile(r"^arn:[^:]+:states:[^:]*:[^:]*:activity:")
_INTEGRATION = "arn:aws:states:::"
#: Checks of a nested execution's .sync wait, a minute apart: a day (the original waits up to a year).
SYNC_WAITS = 1440


#: The first amazon provider release whose AthenaOperator takes no database (earlier ones require it).
ATHENA_DATABASE_OPTIONAL = "9.33.0"


@dataclass
class TaskSpec:
    """An operator kind, its arguments, and the fields of the state it did not carry."""

    kind: str
    args: dict[str, Any]
    note: str
    not_carried: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # where the task behaves otherwise than the state


def lambda_function(state: str, definition: dict[str, Any]) -> str | None:
    """The function a Lambda Task invokes (plain ARN or ``lambda:invoke``), or None for other Tasks."""
    resource = str(definition.get("Resource", ""))
    match = _LAMBDA_ARN.match(resource)
    if match:
        return match.group("name")
    if resource.startswith(_INTEGRATION + "lambda:invoke") and "waitForTaskToken" not in resource:
        name = (definition.get("Parameters") or {}).get("FunctionName")
        if not isinstance(name, str):
            raise AslImportError(state, "lambda:invoke without a literal Parameters.FunctionName")
        arn = _LAMBDA_ARN.match(name)
        return arn.group("name") if arn else name
    return None


def _literal(state: str, parameters: dict[str, Any], key: str, params: Params, required: bool) -> Any:
    if key in parameters:
        return params.value(parameters[key], f"state {state!r} Parameters.{key}")
    if key + ".$" in parameters:
        path = parameters[key + ".$"]
        kind = "object" if key == "Arguments" else "string"
        template = params.path(path, state, f"state {state!r} Parameters.{key}.$", kind)
        if template is not None:
            return template
        raise AslImportError(state, f"Parameters.{key}.$ {path!r} (a path into state data, not a literal)")
    if required:
        raise AslImportError(state, f"a Task without Parameters.{key}")
    return None


def _dropped(parameters: dict[str, Any], used: set[str], base: str) -> list[str]:
    return [f"{base}.Parameters.{k}" for k in parameters if k.removesuffix(".$") not in used]


def task_spec(state: str, definition: dict[str, Any], params: Params, base: str) -> TaskSpec:
    """The operator for a Task state outside Glue's poll loops.

    :raises ~airflow_glue_flow.importers.asl.model.AslImportError: ``.waitForTaskToken``, an activity, an invalid or untranslated integration.
    """
    resource = str(definition.get("Resource", ""))
    parameters: dict[str, Any] = definition.get("Parameters") or {}
    if resource.endswith(".waitForTaskToken"):
        raise AslImportError(state, f"the callback pattern {resource} (.waitForTaskToken)")
    if _ACTIVITY.match(resource):
        raise AslImportError(state, f"the activity {resource}")
    function = lambda_function(state, definition)
    if function is not None:
        qualifier = _LAMBDA_ARN.match(resource)
        args: dict[str, Any] = {"function_name": params.template(function, f"state {state!r} Resource")}
        if qualifier and qualifier.group("qualifier"):
            args["qualifier"] = qualifier.group("qualifier")
        payload = parameters.get("Payload") if resource.startswith(_INTEGRATION) else parameters or None
        dropped = []
        if payload is not None and ".$" not in json.dumps(payload):
            args["payload"] = json.dumps(params.value(payload, f"state {state!r} Payload"), sort_keys=True)
        elif payload is not None:
            dropped.append(f"{base}.Parameters (paths into state data)")
        if resource.startswith(_INTEGRATION):
            dropped += _dropped(parameters, {"FunctionName", "Payload"}, base)
        elif payload is None:
            dropped.append(f"{base} (its input, which the original passes as the Lambda's payload)")
        return TaskSpec("lambda", args, f"invoke Lambda {function!r}", dropped)
    if placeholders(resource):
        raise AslImportError(
            state,
            f"the Resource {resource}, an unresolved template placeholder "
            f"(give it with --resource {placeholders(resource)[0]}=ARN)",
        )
    if not resource.startswith(_INTEGRATION):
        raise AslImportError(state, f"the Resource {resource!r} (neither a Lambda nor a service integration)")
    service = resource[len(_INTEGRATION) :]
    if service in ("glue:startJobRun.sync", "glue:startJobRun"):
        job = _literal(state, parameters, "JobName", params, True)
        args = {"job_name": job}
        arguments = _literal(state, parameters, "Arguments", params, False)
        if arguments:
            args["script_args"] = arguments
        if service == "glue:startJobRun":
            args["wait_for_completion"] = False
        note = "start a Glue job run" + (" and wait for it to end (.sync)" if "sync" in service else "")
        return TaskSpec("job", args, note, _dropped(parameters, {"JobName", "Arguments"}, base))
    if service == "aws-sdk:glue:startCrawler":
        crawler = _literal(state, parameters, "Name", params, True)
        return TaskSpec("crawl_start", {"crawler_name": crawler}, "start a crawl; nothing waits for it", [])
    if service.startswith("glue:") and service != "glue:startJobRun.sync":
        raise AslImportError(
            state, f"the invalid integration {resource} (Glue's optimized integration is startJobRun only)"
        )
    if service.startswith("athena:startQueryExecution"):
        args = {"query": _literal(state, parameters, "QueryString", params, True)}
        workgroup = _literal(state, parameters, "WorkGroup", params, False)
        if workgroup:
            args["workgroup"] = workgroup
        context = parameters.get("QueryExecutionContext") or {}
        if "Database" in context:
            args["database"] = params.value(context["Database"], f"state {state!r}")
        output = (parameters.get("ResultConfiguration") or {}).get("OutputLocation")
        if output:
            args["output_location"] = params.value(output, f"state {state!r}")
        used = {"QueryString", "WorkGroup", "QueryExecutionContext", "ResultConfiguration"}
        flags = (
            []
            if "database" in args
            else [
                f"state {state!r}: an AthenaOperator without a database needs "
                f"apache-airflow-providers-amazon {ATHENA_DATABASE_OPTIONAL} or later"
            ]
        )
        return TaskSpec(
            "athena", args, "run an Athena query and wait for it", _dropped(parameters, used, base), flags
        )
    if service == "athena:getQueryResults":
        # The results of the query the Athena task before it ran: its query execution id through XCom
        # (filled in by the planner once the task before it is known).
        path = parameters.get("QueryExecutionId.$")
        if path != "$.QueryExecution.QueryExecutionId":
            raise AslImportError(state, f"athena:getQueryResults on {path!r} (not the Athena task's output)")
        args = {"python_callable": Code("athena_query_results"), "op_kwargs": {"state": state}}
        dropped = _dropped(parameters, {"QueryExecutionId"}, base)
        return TaskSpec("python", args, "read the results of the Athena query before it", dropped)
    if service in ("sns:publish", "aws-sdk:sns:publish"):
        args = {"target_arn": _literal(state, parameters, "TopicArn", params, True)}
        if "Message" in parameters and ".$" not in json.dumps(parameters["Message"]):
            message = params.value(parameters["Message"], f"state {state!r}")
            args["message"] = message if isinstance(message, str) else json.dumps(message, sort_keys=True)
        else:
            args["message"] = f"Step Functions state {state}"
        subject = _literal(state, parameters, "Subject", params, False)
        if subject:
            args["subject"] = subject
        dropped = _dropped(parameters, {"TopicArn", "Subject", "Message"}, base)
        flags = []
        if "Message" not in parameters or ".$" in json.dumps(parameters["Message"]):
            dropped.append(f"{base}.Parameters.Message (paths into state data)")
            flags.append(
                f"state {state!r}: publishes {args['message']!r}, not the state data the original sends"
            )
        return TaskSpec("sns", args, "publish to SNS", dropped, flags)
    if service in ("states:startExecution", "states:startExecution.sync", "states:startExecution.sync:2"):
        args = {"state_machine_arn": _literal(state, parameters, "StateMachineArn", params, True)}
        used = {"StateMachineArn"}
        if "Input" in parameters and ".$" not in json.dumps(parameters["Input"]):
            args["state_machine_input"] = params.value(
                parameters["Input"], f"state {state!r} Parameters.Input"
            )
            used.add("Input")
        note = "start a Step Functions execution; nothing waits for it"
        if service != "states:startExecution":
            # .sync: wait for the execution to end; it fails the task unless SUCCEEDED.
            # https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
            args |= {"deferrable": True, "waiter_delay": 60, "waiter_max_attempts": SYNC_WAITS}
            note = "start a Step Functions execution and wait for it to end (.sync, deferred)"
        flags = [f"state {state!r}: the .sync wait ends after a day ({SYNC_WAITS} checks a minute apart)"]
        flags = flags if "deferrable" in args else []
        return TaskSpec("sfn_start", args, note, _dropped(parameters, used, base), flags)
    raise AslImportError(state, f"the integration {resource} (no operator of the amazon provider)")


def retry_args(state: str, retriers: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Task retries for a Retry field, and how each retrier was carried or approximated.

    Airflow retries a task on any error with one budget; Step Functions keeps one budget per retrier and
    matches errors by name. The retrier with the most attempts sets the budget.
    """
    active = [r for r in retriers if int(r.get("MaxAttempts", 3)) > 0]
    if not active:
        return {}, [f"state {state!r}: every retrier has MaxAttempts 0: no retries"] if retriers else []
    chosen = max(active, key=lambda r: int(r.get("MaxAttempts", 3)))
    attempts, interval = int(chosen.get("MaxAttempts", 3)), chosen.get("IntervalSeconds", 1)
    rate = float(chosen.get("BackoffRate", 2.0))
    args: dict[str, Any] = {"retries": attempts, "retry_delay": Code(f"timedelta(seconds={interval})")}
    if rate > 1:
        args["retry_exponential_backoff"] = Code(f"backoff({rate!r})")
    if "MaxDelaySeconds" in chosen:
        args["max_retry_delay"] = Code(f"timedelta(seconds={chosen['MaxDelaySeconds']})")
    notes = []
    errors = chosen.get("ErrorEquals", [])
    if errors != ["States.ALL"]:
        notes.append(f"retries on every error, not only {', '.join(errors)}")
    if len(active) > 1:
        notes.append(f"{len(active)} retriers: the one with MaxAttempts {attempts} sets the one budget")
    if rate not in (1.0, 2.0):
        notes.append(
            f"BackoffRate {rate:g}: Airflow 3.2 and later multiply by it, Airflow 3.1 doubles the delay"
        )
    if chosen.get("JitterStrategy", "NONE") != "NONE":
        notes.append(f"JitterStrategy {chosen['JitterStrategy']} not carried")
    return args, notes


def lambda_functions(document: dict[str, Any]) -> list[str]:
    """The Lambda functions a definition's Task states invoke by a literal name, sorted."""
    found: set[str] = set()

    def walk(states: dict[str, Any]) -> None:
        for state, definition in states.items():
            if definition.get("Type") == "Task":
                try:
                    function = lambda_function(state, definition)
                except AslImportError:
                    function = None
                if function and not placeholders(function):
                    found.add(function)
            for branch in definition.get("Branches", []):
                walk(branch.get("States", {}))
            for key in ("Iterator", "ItemProcessor"):
                walk((definition.get(key) or {}).get("States", {}))

    walk(document.get("States", {}))
    return sorted(found)
