"""The ``glue-flow`` command: ``glue-flow local serve`` runs the local Glue, ``glue-flow sample upload``
lands the sample CSV where ``glue_etl_flow`` looks for new files, ``glue-flow events setup`` sets up
the S3 event notifications ``glue_etl_event_flow`` runs on.

Each command group registers itself in :data:`COMMANDS`; a group adds its sub-parser and returns.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _add_local(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from airflow_glue_flow.local.serve import add_arguments, serve

    local = subparsers.add_parser("local", help="the local Glue (S3, Glue API, CloudWatch Logs on one port)")
    actions = local.add_subparsers(dest="action", required=True)
    serve_parser = actions.add_parser("serve", help="run the local Glue and print its endpoint URL")
    add_arguments(serve_parser)
    serve_parser.set_defaults(func=serve)


def _add_sample(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from airflow_glue_flow.sample import add_arguments, run

    sample = subparsers.add_parser("sample", help="the sample data of glue_etl_flow")
    actions = sample.add_subparsers(dest="action", required=True)
    upload = actions.add_parser(
        "upload", help="upload the sample CSV (Japanese text, CP932) to the local Glue or to S3"
    )
    add_arguments(upload)
    upload.set_defaults(func=run)


def _add_events(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from airflow_glue_flow.events_setup import add_arguments, run

    events = subparsers.add_parser("events", help="S3 event notifications for glue_etl_event_flow")
    actions = events.add_subparsers(dest="action", required=True)
    setup = actions.add_parser(
        "setup", help="create the SQS queue and the bucket's notification configuration (idempotent)"
    )
    add_arguments(setup)
    setup.set_defaults(func=run)


#: Command groups of ``glue-flow``: each adds its parser to the sub-parsers.
COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_local,
    _add_sample,
    _add_events,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``glue-flow`` argument parser with every registered command group."""
    parser = argparse.ArgumentParser(prog="glue-flow", description="Run AWS Glue flows with Apache Airflow.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``glue-flow``.

    :param argv: arguments (default: ``sys.argv[1:]``).
    """
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
