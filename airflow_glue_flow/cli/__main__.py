"""``python -m airflow_glue_flow.cli``: the same as ``glue-flow``."""

import sys

from airflow_glue_flow.cli.commands import main

sys.exit(main())
