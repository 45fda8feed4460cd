"""``glue-flow import asl --check``: its options and its run (:mod:`airflow_glue_flow.importers.check.state_machine`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from airflow_glue_flow.cli.check_options import add_check_arguments, progress, run_check
from airflow_glue_flow.cli.target import aws_hook_arguments, endpoint_connection


def add_asl_check_arguments(parser: argparse.ArgumentParser) -> None:
    """``--check`` with its options, and ``--check-input``."""
    add_check_arguments(parser, "state machine")
    parser.add_argument(
        "--check-input",
        default="{}",
        metavar="JSON",
        help="with --check: the execution input (JSON object), also the DAG run's conf (default {})",
    )


def _deployed_arn(sfn: Any, name: str | None) -> str | None:
    """The ARN of the deployed state machine ``name`` (None for a definition read from a file)."""
    if name is None:
        return None
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                return str(machine["stateMachineArn"])
    return None


def check_asl(
    args: argparse.Namespace,
    document: dict[str, Any],
    name: str,
    report: dict[str, Any],
    lambda_source: Path | None,
) -> int:
    """Run the check; exit 0 when the DAG does what the state machine does, 1 when not, 2 when it cannot run."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    from airflow_glue_flow.importers.check.state_machine import check_state_machine

    prog = "glue-flow import asl --check"
    try:
        execution_input = json.loads(args.check_input)
    except ValueError as err:
        print(f"{prog}: --check-input is not JSON: {err}", file=sys.stderr)
        return 2
    if not isinstance(execution_input, dict):
        print(f"{prog}: --check-input is not a JSON object", file=sys.stderr)
        return 2
    became = {row["state"]: str(row["became"]).split(" ", 1)[0] for row in report["states"]}
    with aws_hook_arguments(args) as hook_arguments:

        def clients(service: str, region: str | None) -> Any:
            arguments = {**hook_arguments, "region_name": region or hook_arguments.get("region_name")}
            return AwsBaseHook(client_type=service, **arguments).get_conn()

        def check() -> Any:
            arn = args.arn or _deployed_arn(clients("stepfunctions", None), args.name)
            return check_state_machine(
                document,
                args.check_dag or args.output,
                became=became,
                clients=clients,
                endpoint_url=args.endpoint_url,
                connection=endpoint_connection(args.endpoint_url, args.region),
                name=name,
                machine_arn=arn,
                lambda_source=lambda_source if arn is None else None,
                execution_input=execution_input,
                timeout=args.check_timeout,
                progress=progress,
            )

        return run_check("glue-flow import asl", check, "state machine", "state machine")
