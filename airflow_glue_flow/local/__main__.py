"""``python -m airflow_glue_flow.local [serve] [options]``: the same as ``glue-flow local serve``.

``python -m airflow_glue_flow.local warm`` builds the Python environments of Python-shell jobs (no
library set and ``analytics``) ahead of their first run, e.g. in a container image.
"""

from __future__ import annotations

import argparse
import sys

from airflow_glue_flow.local.serve import add_arguments, serve


def main(argv: list[str] | None = None) -> int:
    """Parse the ``serve`` options and run the server.

    :param argv: arguments (default: ``sys.argv[1:]``); a leading ``serve`` is accepted.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["warm"]:
        from airflow_glue_flow.local.job_env import warm

        for python in warm():
            print(python)
        return 0
    if args[:1] == ["serve"]:
        args = args[1:]
    parser = argparse.ArgumentParser(
        prog="python -m airflow_glue_flow.local", description="Run the local Glue."
    )
    add_arguments(parser)
    return serve(parser.parse_args(args))


if __name__ == "__main__":
    sys.exit(main())
