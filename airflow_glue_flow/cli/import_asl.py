"""``glue-flow import asl DEFINITION.json -o DAG.py``: a Step Functions state machine as an Airflow DAG file.

DEFINITION.json is the state machine's definition (ASL). The report (what each state became, the DAG
params, what was not carried) goes to stdout and, with ``--report``, to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from airflow_glue_flow.cli.import_output import write_import
from airflow_glue_flow.importers.asl import AslImportError, import_asl


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``glue-flow import asl``."""
    parser.add_argument("definition", type=Path, help="the state machine definition (ASL JSON)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the DAG file to write")
    parser.add_argument("--dag-id", help="the DAG id (default: the definition's file name as an identifier)")
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


def run(args: argparse.Namespace) -> int:
    """Translate the state machine; exit 1 naming the state and construct that have no translation."""
    try:
        document = json.loads(args.definition.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"glue-flow import asl: cannot read {args.definition}: {err}", file=sys.stderr)
        return 1
    resources = dict(item.split("=", 1) for item in args.resource if "=" in item)
    for item in args.resource:
        if "=" not in item:
            print(f"glue-flow import asl: --resource {item!r} is not NAME=ARN", file=sys.stderr)
            return 1
    try:
        result = import_asl(
            document,
            name=args.definition.stem,
            dag_id=args.dag_id,
            lambda_source=args.lambda_source,
            allow_partial=args.allow_partial,
            resources=resources,
        )
    except AslImportError as err:
        print(f"glue-flow import asl: {args.definition}: {err}", file=sys.stderr)
        return 1
    return write_import(args.output, result.dag_source, result.report, args.report, result.report_text())
