"""``glue-flow import workflow GRAPH.json -o DAG.py``: a Glue workflow as an Airflow DAG file.

GRAPH.json is what ``aws glue get-workflow --name NAME --include-graph`` prints. The report (what each
trigger and node became) goes to stdout and, with ``--report``, to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from airflow_glue_flow.cli.import_output import write_import
from airflow_glue_flow.importers import ImportError_, import_workflow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``glue-flow import workflow``."""
    parser.add_argument("graph", type=Path, help="aws glue get-workflow --include-graph output (JSON)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the DAG file to write")
    parser.add_argument("--dag-id", help="the DAG id (default: the workflow's name as an identifier)")
    parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")


def run(args: argparse.Namespace) -> int:
    """Translate the workflow; exit 1 naming the trigger or node that has no translation."""
    try:
        document = json.loads(args.graph.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"glue-flow import workflow: cannot read {args.graph}: {err}", file=sys.stderr)
        return 1
    try:
        result = import_workflow(document, args.dag_id)
    except ImportError_ as err:
        print(f"glue-flow import workflow: {args.graph}: {err}", file=sys.stderr)
        return 1
    return write_import(args.output, result.dag_source, result.report, args.report, result.report_text())
