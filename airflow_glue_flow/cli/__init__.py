"""The ``glue-flow`` command line and the ready flows' shared set-up (sample data, job definitions, params).

Nothing in the provider's hooks, operators, sensors or triggers imports this package.
"""

from airflow_glue_flow.cli.commands import COMMANDS, Command, build_parser, main, parse_args

__all__ = ["COMMANDS", "Command", "build_parser", "main", "parse_args"]
