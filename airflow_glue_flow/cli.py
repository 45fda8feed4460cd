"""The ``glue-flow`` command: ``glue-flow local serve`` runs the local Glue, ``glue-flow sample upload``
lands the sample CSV where ``glue_etl_flow`` looks for new files, ``glue-flow events setup`` sets up
the S3 event notifications ``glue_etl_event_flow`` runs on.

Each command is a row of :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
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


#: The commands of ``glue-flow``; each module is imported only when the parser is built.
COMMANDS: list[Command] = [
    Command(
        "local",
        "the local Glue (S3, Glue API, CloudWatch Logs on one port)",
        "serve",
        "run the local Glue and print its endpoint URL",
        "glue_flow_local.serve",
        "serve",
    ),
    Command(
        "sample",
        "the sample data of glue_etl_flow",
        "upload",
        "upload the sample CSV (Japanese text, CP932) to the local Glue or to S3",
        "airflow_glue_flow.sample",
    ),
    Command(
        "events",
        "S3 event notifications for glue_etl_event_flow",
        "setup",
        "create the SQS queue and the bucket's notification configuration (idempotent)",
        "airflow_glue_flow.events_setup",
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
        action = groups[command.group].add_parser(command.action, help=command.action_help)
        module.add_arguments(action)
        action.set_defaults(func=getattr(module, command.function))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``glue-flow``.

    :param argv: arguments (default: ``sys.argv[1:]``).
    """
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
