"""What both ``glue-flow import`` commands share for ``--check``: its options and how its result is printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_check_arguments(parser: argparse.ArgumentParser, original: str) -> None:
    """``--check``, ``--check-dag`` and ``--check-timeout``; ``original`` names what the DAG is checked against."""
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"run the {original} and the DAG on the local Glue at --endpoint-url for a fault matrix and "
        "compare them (exit 1 on a difference the DAG's header does not declare)",
    )
    parser.add_argument(
        "--check-dag",
        type=Path,
        help="with --check: check this DAG file (e.g. the generated one after editing) instead of --output",
    )
    parser.add_argument(
        "--check-timeout", type=float, default=600, help="seconds one side of one scenario may take"
    )


def progress(line: str) -> None:
    """A progress line of the check, on stderr."""
    print(f"check: {line}", file=sys.stderr, flush=True)


def run_check(prog: str, check: Callable[[], Any], original: str, column: str) -> int:
    """Run ``check`` and print its result (:func:`print_check`); exit 2, saying why, when it cannot run."""
    from botocore.exceptions import BotoCoreError, ClientError

    from airflow_glue_flow.importers.check import CheckError

    try:
        result = check()
    except (CheckError, OSError, ClientError, BotoCoreError) as err:
        print(f"{prog} --check: {err}", file=sys.stderr)
        return 2
    return print_check(result, original, column)


def print_check(result: Any, original: str, column: str) -> int:
    """Print the check's table (``column`` names the original's column), each undeclared difference and
    the verdict (``original`` names what the DAG was checked against); the exit status (0 or 1)."""
    from airflow_glue_flow.importers.check import table

    sys.stdout.write(table(result.rows, column))
    for row in result.differences():
        print(f"DIFFERENT in scenario {row.scenario!r}: {row.item}: {row.original} vs {row.dag}")
    print(f"check: the DAG does what the {original} does" if result.ok else "check: the DAG differs")
    return 0 if result.ok else 1
