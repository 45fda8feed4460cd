"""The ``glue-flow`` command: ``glue-flow local serve`` runs the local Glue (a program of its own),
``glue-flow sample upload`` lands the sample CSV where ``glue_etl_flow`` looks for new files,
``glue-flow events setup`` sets up the S3 event notifications ``glue_etl_event_flow`` runs on,
``glue-flow import workflow`` writes a Glue workflow as a DAG file, ``glue-flow import asl`` a Step Functions
state machine.

Each command is a row of :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NamedTuple


class Command(NamedTuple):
    """One ``glue-flow GROUP ACTION`` command; ``module`` gives ``add_arguments(parser)`` and ``function``."""

    group: str
    group_help: str
    action: str
    action_help: str
    module: str
    function: str = "run"
    #: The action's options belong to another program: they are passed on unparsed (``args.forwarded``).
    forwards: bool = False


#: The commands of ``glue-flow``; each module is imported only when the parser is built.
COMMANDS: list[Command] = [
    Command(
        "local",
        "the local Glue (S3, Glue API, CloudWatch Logs on one port)",
        "serve",
        "run the local Glue and print its endpoint URL (its options: glue-flow local serve --help)",
        "airflow_glue_flow.cli.local",
        "serve",
        forwards=True,
    ),
    Command(
        "sample",
        "the sample data of glue_etl_flow",
        "upload",
        "upload the sample CSV (Japanese text, CP932) to the local Glue or to S3",
        "airflow_glue_flow.cli.sample",
    ),
    Command(
        "events",
        "S3 event notifications for glue_etl_event_flow",
        "setup",
        "create the SQS queue and the bucket's notification configuration (idempotent)",
        "airflow_glue_flow.cli.events_setup",
    ),
    Command(
        "import",
        "translate existing flows into Airflow DAG files",
        "workflow",
        "a Glue workflow (aws glue get-workflow --include-graph output) as a DAG file and a report",
        "airflow_glue_flow.cli.importer",
    ),
    Command(
        "import",
        "translate existing flows into Airflow DAG files",
        "asl",
        "a Step Functions state machine (ASL JSON) as a DAG file and a report",
        "airflow_glue_flow.cli.import_asl",
    ),
]


def build_parser() -> argparse.ArgumentParser:
    """The ``glue-flow`` argument parser with every registered command group."""
    parser = argparse.ArgumentParser(prog="glue-flow", description="Run AWS Glue flows with Apache Airflow.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for command in COMMANDS:
        if command.group not in groups:
            group = subparsers.add_parser(command.group, help=command.group_help)
            groups[command.group] = group.add_subparsers(dest="action", required=True)
        module = importlib.import_module(command.module)
        action = groups[command.group].add_parser(
            command.action, help=command.action_help, add_help=not command.forwards
        )
        module.add_arguments(action)
        action.set_defaults(func=getattr(module, command.function), forwards=command.forwards)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``glue-flow``'s arguments; a forwarding action's unknown options go to ``args.forwarded``.

    :param argv: arguments (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not args.forwards:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.forwarded = rest
    return args


def main(argv: list[str] | None = None) -> int:
    """Run ``glue-flow``.

    :param argv: arguments (default: ``sys.argv[1:]``).
    """
    # A command's output is its report: the hooks' INFO lines (which connection, which credentials) would
    # go to stdout between its lines. Warnings and errors still show; Airflow reads the level when it is
    # first imported, which building the parser or running the command does.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    args = parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
