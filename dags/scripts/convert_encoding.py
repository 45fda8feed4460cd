"""Glue Python-shell job: convert the text objects under an S3 prefix to UTF-8 (the seed's encoding job).

Runs the ``airflow_glue_flow.encoding`` package (standard library and boto3 only), shipped to the job
as a zip with ``--extra-py-files``::

    zip -r encoding.zip airflow_glue_flow/__init__.py airflow_glue_flow/encoding -x '*__pycache__*'

Job arguments (``--KEY value``, read with ``getResolvedOptions``) are the seed job's: ``--BUCKET_NAME``,
``--BUCKET_PATH``, ``--BUCKET_PATH_DECODE``, ``--BUCKET_PATH_ORG``, ``--DECODE_LANG``, and optionally
``--ENCODE_LANG``, ``--ERRORS``, ``--MAX_WORKERS``, ``--DELETE_SOURCE``. Exit code 0: every object
converted; 1: some failed (each is logged); 2: bad arguments.
"""

import sys

from awsglue.utils import getResolvedOptions

from airflow_glue_flow.encoding.cli import OPTIONAL_ARGS, REQUIRED_ARGS
from airflow_glue_flow.encoding.job import run, setup_logging


def passed(argv, name):
    """Whether ``--name`` is among the arguments (``--name value`` or ``--name=value``)."""
    return any(arg == f"--{name}" or arg.startswith(f"--{name}=") for arg in argv[1:])


if __name__ == "__main__":
    setup_logging()
    args = getResolvedOptions(sys.argv, list(REQUIRED_ARGS))
    # getResolvedOptions requires every name it is given: ask for the optional ones only when passed.
    optional = [name for name in OPTIONAL_ARGS if passed(sys.argv, name)]
    if optional:
        args.update(getResolvedOptions(sys.argv, optional))
    sys.exit(run({name: value for name, value in args.items() if value is not None}))
