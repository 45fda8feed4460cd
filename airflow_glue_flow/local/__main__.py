"""Deprecated: ``python -m airflow_glue_flow.local serve|warm`` runs ``glue-flow-local serve|warm``."""

from __future__ import annotations

import sys
import warnings

from glue_flow_local.cli import main

if __name__ == "__main__":
    warnings.warn(
        "'python -m airflow_glue_flow.local' is deprecated: run 'glue-flow-local' "
        "(or 'python -m glue_flow_local')",
        DeprecationWarning,
        stacklevel=1,
    )
    sys.exit(main(prog="python -m airflow_glue_flow.local"))
