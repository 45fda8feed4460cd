"""``glue-flow import workflow GRAPH.json -o DAG.py``: a Glue workflow as an Airflow DAG file.

GRAPH.json is what ``aws glue get-workflow --name NAME --include-graph`` prints; with ``--name`` the graph
is read live instead (GetWorkflow with IncludeGraph, from ``--endpoint-url`` or the AWS connection). The
report (what each trigger and node became) goes to stdout and, with ``--report``, to a JSON file. With
``--check --endpoint-url URL`` the workflow and the DAG then both run on that local Glue for a fault
matrix, and a table compares them (:mod:`airflow_glue_flow.importers.check`); the exit status is 1 when
they differ in a way the DAG's header does not declare.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from airflow_glue_flow.cli.check_options import add_check_arguments, progress, run_check
from airflow_glue_flow.cli.import_output import write_import
from airflow_glue_flow.cli.target import add_target_arguments, aws_hook_arguments, endpoint_connection
from airflow_glue_flow.importers import ImportError_, import_workflow
from airflow_glue_flow.importers.workflow import ON_FAILURE

_PROG = "glue-flow import workflow"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``glue-flow import workflow``."""
    parser.add_argument(
        "graph", type=Path, nargs="?", help="aws glue get-workflow --include-graph output (JSON)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="the DAG file to write")
    parser.add_argument("--dag-id", help="the DAG id (default: the workflow's name as an identifier)")
    parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")
    parser.add_argument(
        "--on-failure",
        choices=ON_FAILURE,
        default="strict",
        help="a run in which a job run or crawl fails: strict (default) fails the DAG run; completed "
        "lets it succeed as Glue's COMPLETED does (the DAG's header says which)",
    )
    parser.add_argument(
        "--name", help="read the workflow NAME live (GetWorkflow IncludeGraph) instead of a GRAPH.json file"
    )
    add_check_arguments(parser, "workflow")
    add_target_arguments(parser)


def _read_live(args: argparse.Namespace) -> dict[str, Any]:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    with aws_hook_arguments(args) as hook_arguments:
        glue = AwsBaseHook(client_type="glue", **hook_arguments).get_conn()
        workflow: dict[str, Any] = glue.get_workflow(Name=args.name, IncludeGraph=True)["Workflow"]
    return {"Workflow": workflow}


def _read(args: argparse.Namespace) -> dict[str, Any] | None:
    if (args.graph is None) == (args.name is None):
        print(f"{_PROG}: give either GRAPH.json or --name NAME", file=sys.stderr)
        return None
    if args.name is not None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return _read_live(args)
        except (BotoCoreError, ClientError) as err:
            print(f"{_PROG}: cannot read workflow {args.name!r}: {err}", file=sys.stderr)
            return None
    try:
        document: dict[str, Any] = json.loads(args.graph.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"{_PROG}: cannot read {args.graph}: {err}", file=sys.stderr)
        return None
    return document


def _check(args: argparse.Namespace, document: dict[str, Any]) -> int:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from airflow_glue_flow.importers.check import check_workflow

    workflow = document.get("Workflow", document)
    with aws_hook_arguments(args) as hook_arguments:
        glue = AwsBaseHook(client_type="glue", **hook_arguments).get_conn()
        s3 = S3Hook(**hook_arguments).get_conn()
        return run_check(
            _PROG,
            lambda: check_workflow(
                workflow,
                args.check_dag or args.output,
                glue=glue,
                s3=s3,
                endpoint_url=args.endpoint_url,
                connection=endpoint_connection(args.endpoint_url, args.region),
                timeout=args.check_timeout,
                progress=progress,
            ),
            "workflow",
            "Glue workflow",
        )


def run(args: argparse.Namespace) -> int:
    """Translate the workflow; exit 1 naming the trigger or node that has no translation.

    With ``--check``, exit 1 when the check finds an undeclared difference, 2 when it cannot run.
    """
    if args.check and not args.endpoint_url:
        print(f"{_PROG}: --check needs --endpoint-url (the local Glue both sides run on)", file=sys.stderr)
        return 2
    document = _read(args)
    if document is None:
        return 1
    source = args.graph if args.graph is not None else f"workflow {args.name!r}"
    try:
        result = import_workflow(document, args.dag_id, args.on_failure)
    except ImportError_ as err:
        print(f"{_PROG}: {source}: {err}", file=sys.stderr)
        return 1
    write_import(args.output, result.dag_source, result.report, args.report, result.report_text())
    if args.check:
        return _check(args, document)
    return 0
