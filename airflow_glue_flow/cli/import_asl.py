"""``glue-flow import asl DEFINITION.json -o DAG.py``: a Step Functions state machine as an Airflow DAG file.

DEFINITION.json is the state machine's definition (ASL); ``--arn`` or ``--name`` reads it from the
deployed state machine instead (``--endpoint-url`` for the local Glue, else the AWS connection), with its
Lambdas' code. The report (what each state became, the DAG params, what was not carried) goes to stdout
and, with ``--report``, to a JSON file. With ``--check --endpoint-url URL`` the state machine and the DAG
then both run on that local Glue for a fault matrix (:mod:`airflow_glue_flow.importers.check.state_machine`);
the exit status is 1 when they differ in a way the DAG's header does not declare, 2 when the check cannot run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.cli.check_asl import add_asl_check_arguments, check_asl
from airflow_glue_flow.cli.import_output import write_import
from airflow_glue_flow.cli.target import add_target_arguments, aws_hook_arguments
from airflow_glue_flow.importers.asl import AslImportError, import_asl
from airflow_glue_flow.importers.asl.tasks import lambda_functions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``glue-flow import asl``."""
    parser.add_argument(
        "definition", type=Path, nargs="?", help="the state machine definition (ASL JSON); or --arn/--name"
    )
    parser.add_argument("--arn", help="read the definition of this deployed state machine")
    parser.add_argument("--name", help="read the definition of the deployed state machine of this name")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the DAG file to write")
    parser.add_argument(
        "--dag-id", help="the DAG id (default: the file's or the state machine's name as an identifier)"
    )
    parser.add_argument("--lambda-source", type=Path, help="a directory of <function-name>.py Lambda sources")
    parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")
    parser.add_argument(
        "--resource",
        action="append",
        default=[],
        metavar="NAME=ARN",
        help="the ARN a Task Resource's ${NAME} placeholder stands for (repeatable)",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="write a task that fails naming each state with no translation instead of stopping",
    )
    add_target_arguments(parser)
    add_asl_check_arguments(parser)
    parser.add_argument(
        "--aws-conn-id", dest="conn_id", default=argparse.SUPPRESS, help="the same as --conn-id"
    )


def _read_live(args: argparse.Namespace, lambda_dir: Path) -> tuple[str, dict[str, Any]]:
    """The deployed state machine's name and definition; its Lambdas' code written into ``lambda_dir``."""
    from airflow_glue_flow.hooks.state_machine_source import read_lambda_sources, read_state_machine

    if args.lambda_source is not None:
        for path in sorted(args.lambda_source.glob("*.py")):
            shutil.copyfile(path, lambda_dir / path.name)
    with aws_hook_arguments(args) as hook_arguments:
        name, document = read_state_machine(hook_arguments, arn=args.arn, name=args.name)
        wanted = [f for f in lambda_functions(document) if not (lambda_dir / f"{f}.py").exists()]
        missing = read_lambda_sources(hook_arguments, wanted, lambda_dir)
    for function, why in missing.items():
        print(f"glue-flow import asl: Lambda {function!r}: {why}", file=sys.stderr)
    return name, document


def run(args: argparse.Namespace) -> int:
    """Translate the state machine; exit 1 naming the state and construct that have no translation."""
    live = args.arn is not None or args.name is not None
    if args.check and not args.endpoint_url:
        print(
            "glue-flow import asl: --check needs --endpoint-url (the local Glue both sides run on)",
            file=sys.stderr,
        )
        return 2
    if live == (args.definition is not None):
        print("glue-flow import asl: give DEFINITION.json or --arn/--name (one of them)", file=sys.stderr)
        return 1
    resources = dict(item.split("=", 1) for item in args.resource if "=" in item)
    for item in args.resource:
        if "=" not in item:
            print(f"glue-flow import asl: --resource {item!r} is not NAME=ARN", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="glue-flow-lambdas-") as scratch:
        lambda_source = args.lambda_source
        if live:
            source = args.arn or args.name
            try:
                name, document = _read_live(args, Path(scratch))
            except (LookupError, ClientError, BotoCoreError, OSError, ValueError) as err:
                print(f"glue-flow import asl: cannot read state machine {source}: {err}", file=sys.stderr)
                return 1
            lambda_source = Path(scratch)
        else:
            source, name = str(args.definition), args.definition.stem
            try:
                document = json.loads(args.definition.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                print(f"glue-flow import asl: cannot read {args.definition}: {err}", file=sys.stderr)
                return 1
        try:
            result = import_asl(
                document,
                name=name,
                dag_id=args.dag_id,
                lambda_source=lambda_source,
                allow_partial=args.allow_partial,
                resources=resources,
            )
        except AslImportError as err:
            print(f"glue-flow import asl: {source}: {err}", file=sys.stderr)
            return 1
        write_import(args.output, result.dag_source, result.report, args.report, result.report_text())
        if args.check:
            return check_asl(args, document, name, result.report, lambda_source)
    return 0
