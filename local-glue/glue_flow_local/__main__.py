"""``python -m glue_flow_local [serve|warm] [options]``: the ``glue-flow-local`` command."""

from __future__ import annotations

import sys

from glue_flow_local.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m glue_flow_local"))
