"""``glue-flow import asl --check``: run the state machine and the DAG made from it, compare.

The state machine runs on the endpoint (StartExecution, then DescribeExecution until it is SUCCEEDED,
FAILED, TIMED_OUT or ABORTED); the DAG with ``dag.test()``; each from the same starting state, with the
same execution input (the DAG run's conf), for the fault matrix of every Glue job and crawler that the
definition or the DAG names (:func:`~airflow_glue_flow.importers.check.fault_matrix`). A definition read
from a file is created on the endpoint for the check, with its Lambdas from ``lambda_source`` (zipped)
where the endpoint has none of that name, and both are deleted after. Differences the DAG's header declares
are ``declared`` (:mod:`.declared`).
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from airflow_glue_flow.importers.asl.tasks import lambda_functions
from airflow_glue_flow.importers.check import (
    CheckResult,
    Original,
    fault_matrix,
    require_call_log,
    run_matrix,
)
from airflow_glue_flow.importers.check.declared import state_machine_rules, task_arguments
from airflow_glue_flow.importers.check.sides import CheckError, DagSide, run_execution

#: The name prefix of the state machine (and the IAM role of the Lambdas) the check creates.
PREFIX = "glue-flow-check"
_LAMBDA_ARN = re.compile(r"arn:aws:lambda:([a-z0-9-]+):\d{12}:function:([A-Za-z0-9_-]+)")
_ASSUME = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
#: The handler names a ``<function>.py`` source may define, in the order they are looked for.
_HANDLERS = ("lambda_handler", "handler")

#: client(service, region or None for the connection's) -> a boto3 client of the endpoint.
Clients = Callable[[str, str | None], Any]


def glue_resources(document: dict[str, Any], dag_source: str) -> list[tuple[str, str]]:
    """(``JOB`` or ``CRAWLER``, name) of each job and crawler the definition's Glue tasks or the DAG's tasks
    name literally, jobs first, each sorted."""
    jobs, crawlers = set(), set()

    def walk(states: dict[str, Any]) -> None:
        for definition in states.values():
            resource, parameters = str(definition.get("Resource", "")), definition.get("Parameters") or {}
            if ":glue:startJobRun" in resource and isinstance(parameters.get("JobName"), str):
                jobs.add(parameters["JobName"])
            if resource.endswith(":glue:startCrawler") and isinstance(parameters.get("Name"), str):
                crawlers.add(parameters["Name"])
            for branch in definition.get("Branches", []):
                walk(branch.get("States", {}))
            for key in ("Iterator", "ItemProcessor"):
                walk((definition.get(key) or {}).get("States", {}))

    walk(document.get("States", {}))
    for arguments in task_arguments(dag_source).values():
        if isinstance(arguments.get("job_name"), str):
            jobs.add(arguments["job_name"])
        if isinstance(arguments.get("crawler_name"), str):
            crawlers.add(arguments["crawler_name"])
    return [("JOB", name) for name in sorted(jobs)] + [("CRAWLER", name) for name in sorted(crawlers)]


def _package(source: Path, function: str) -> tuple[bytes, str]:
    """The zip of ``source`` as ``lambda_function.py``, and its handler."""
    text = source.read_text(encoding="utf-8")
    handler = next((h for h in _HANDLERS if re.search(rf"^def {h}\(", text, re.MULTILINE)), None)
    if handler is None:
        raise CheckError(f"Lambda {function!r}: {source} defines none of {', '.join(_HANDLERS)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", text)
    return buffer.getvalue(), f"lambda_function.{handler}"


@contextmanager
def _lambdas(document: dict[str, Any], clients: Clients, lambda_source: Path | None) -> Iterator[None]:
    """Create each Lambda the definition invokes that the endpoint lacks; delete them after."""
    regions = {name: region for region, name in _LAMBDA_ARN.findall(json.dumps(document))}
    created: list[tuple[Any, str]] = []
    role: str | None = None
    try:
        for function in lambda_functions(document):
            lam = clients("lambda", regions.get(function))
            try:
                lam.get_function(FunctionName=function)
                continue
            except lam.exceptions.ResourceNotFoundException:
                pass
            source = lambda_source / f"{function}.py" if lambda_source else None
            if source is None or not source.is_file():
                raise CheckError(
                    f"Lambda {function!r} does not exist on the endpoint and --lambda-source has no {function}.py"
                )
            if role is None:
                role = _role(clients("iam", None))
            package, handler = _package(source, function)
            lam.create_function(
                FunctionName=function,
                Runtime="python3.11",
                Role=role,
                Handler=handler,
                Code={"ZipFile": package},
            )
            created.append((lam, function))
        yield
    finally:
        for lam, function in created:
            lam.delete_function(FunctionName=function)


def _role(iam: Any) -> str:
    """The ARN of the check's Lambda role, created when missing."""
    try:
        return str(iam.get_role(RoleName=PREFIX)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=PREFIX, AssumeRolePolicyDocument=json.dumps(_ASSUME))
        return str(role["Role"]["Arn"])


@contextmanager
def deployed(
    document: dict[str, Any], name: str, clients: Clients, lambda_source: Path | None
) -> Iterator[str]:
    """The definition as state machine ``glue-flow-check-<name>`` (replacing one of that name) with its
    Lambdas; yields its ARN and deletes what it created after."""
    sfn = clients("stepfunctions", None)
    machine = f"{PREFIX}-{re.sub(r'[^A-Za-z0-9_-]', '-', name)}"[:80]
    with ExitStack() as stack:
        stack.enter_context(_lambdas(document, clients, lambda_source))
        for existing in sfn.list_state_machines()["stateMachines"]:
            if existing["name"] == machine:
                sfn.delete_state_machine(stateMachineArn=existing["stateMachineArn"])
        role = _role(clients("iam", None))
        arn = str(
            sfn.create_state_machine(name=machine, definition=json.dumps(document), roleArn=role)[
                "stateMachineArn"
            ]
        )
        stack.callback(sfn.delete_state_machine, stateMachineArn=arn)
        yield arn


def check_state_machine(
    document: dict[str, Any],
    dag_file: Path,
    *,
    became: dict[str, str],
    clients: Clients,
    endpoint_url: str,
    connection: dict[str, Any],
    name: str,
    machine_arn: str | None = None,
    lambda_source: Path | None = None,
    execution_input: dict[str, Any] | None = None,
    timeout: float = 600,
    progress: Callable[[str], None] = lambda line: None,
) -> CheckResult:
    """Run the fault matrix on the state machine and the DAG, and compare.

    :param document: the definition.
    :param dag_file: the DAG file to check.
    :param became: state name -> the task id it became (the import's report).
    :param clients: makes the endpoint's boto3 clients (service, region).
    :param endpoint_url: the local Glue's URL.
    :param connection: the Airflow AWS connection (JSON fields) that reaches the endpoint.
    :param name: the state machine's name (for the one the check creates).
    :param machine_arn: the deployed state machine to run instead of creating one from ``document``.
    :param lambda_source: the directory of ``<function>.py`` sources of Lambdas the endpoint lacks.
    :param execution_input: the execution input, also the DAG run's conf.
    :param timeout: seconds one side of one scenario may take.
    :param progress: called with a line as each side of each scenario starts.
    :raises ~airflow_glue_flow.importers.check.sides.CheckError: the endpoint has no call log, a Lambda has no source, or a side could not run.
    """
    dag_source = dag_file.read_text(encoding="utf-8")
    require_call_log(endpoint_url)
    glue, s3, sfn = clients("glue", None), clients("s3", None), clients("stepfunctions", None)
    text = json.dumps(execution_input or {})
    with ExitStack() as stack:
        if machine_arn is None:
            machine_arn = stack.enter_context(deployed(document, name, clients, lambda_source))
        arn = machine_arn
        original = Original(f"the state machine {name!r}", lambda: run_execution(sfn, arn, text, timeout))
        nodes = glue_resources(document, dag_source)
        return run_matrix(
            lambda: fault_matrix(nodes, glue, s3),
            original,
            DagSide(dag_file, connection, timeout),
            state_machine_rules(dag_source, became),
            s3=s3,
            endpoint_url=endpoint_url,
            conf=execution_input,
            progress=progress,
        )
