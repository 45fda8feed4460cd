"""``glue-flow local ...``: the local Glue's own command, run as a program of its own.

The local Glue is a distribution of its own (``glue-flow-local``; the provider's ``local`` extra installs
it). The provider never imports it: ``glue-flow local serve [options]`` runs ``glue-flow-local serve
[options]`` (or ``python -m glue_flow_local``) with the same options, output and exit status, so
existing commands and docs keep working. The options are the local Glue's (``glue-flow local serve
--help`` shows them).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys

#: The local Glue's console script and its import package (run with ``python -m``, never imported here).
SCRIPT, PACKAGE = "glue-flow-local", "glue_flow_local"
INSTALL_HINT = (
    "The local Glue is not installed. Install it with the provider's extra: "
    "pip install 'airflow-glue-flow[local]' (or on its own: pip install glue-flow-local)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``glue-flow local serve`` takes the local Glue's own options, which are passed on unparsed."""
    parser.description = f"Run `{SCRIPT} serve` with the same options ({SCRIPT} serve --help lists them)."


def local_glue_command() -> list[str] | None:
    """How to run the local Glue's command: its console script, else its package with ``python -m``."""
    script = shutil.which(SCRIPT)
    if script:
        return [script]
    if importlib.util.find_spec(PACKAGE) is not None:  # finds it without importing it
        return [sys.executable, "-m", PACKAGE]
    return None


def serve(args: argparse.Namespace) -> int:
    """Run ``glue-flow-local serve`` with the options given; its exit status is the command's."""
    command = local_glue_command()
    if command is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    try:
        return subprocess.call([*command, "serve", *args.forwarded])
    except KeyboardInterrupt:  # Ctrl-C reaches the server too, which stops on it; its status is lost
        return 130
