"""``glue-flow-local serve [options]`` runs the local Glue; ``glue-flow-local warm`` builds the Python
environments of Python-shell jobs (no library set and ``analytics``) ahead of their first run, e.g. in a
container image. ``python -m glue_flow_local ...`` is the same command without the console script.
"""

from __future__ import annotations

import argparse
import sys

from glue_flow_local.serve import add_arguments, serve


def main(argv: list[str] | None = None, prog: str = "glue-flow-local") -> int:
    """Run ``serve`` (the default when no subcommand is given) or ``warm``.

    :param argv: arguments (default: ``sys.argv[1:]``).
    :param prog: the command's name in help and error messages.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["warm"]:
        from glue_flow_local.glue.jobs.env import warm

        argparse.ArgumentParser(
            prog=f"{prog} warm", description="Build the Python environments of Python-shell jobs."
        ).parse_args(args[1:])
        for python in warm():
            print(python)
        return 0
    if args[:1] == ["serve"]:
        args = args[1:]
    parser = argparse.ArgumentParser(
        prog=f"{prog} serve",
        description="Run the local Glue (S3, Glue, CloudWatch Logs) and print its endpoint URL as the first line.",
        epilog=f"'{prog} warm' builds the Python environments of Python-shell jobs ahead of their first run.",
    )
    add_arguments(parser)
    return serve(parser.parse_args(args))
