"""Glue Python-shell job: convert the text objects under an S3 prefix to UTF-8 (the seed's encoding job).

Runs the ``airflow_glue_flow.encoding`` package (standard library and boto3 only), shipped to the job
as a zip with ``--extra-py-files`` (``python -m airflow_glue_flow.encoding.bundle encoding.zip`` writes
it; ``GlueDeployOperator(py_packages=...)`` uploads it).

Job arguments (``--KEY value``, read with ``getResolvedOptions``) are the seed job's: ``--BUCKET_NAME``,
``--BUCKET_PATH``, ``--BUCKET_PATH_DECODE``, ``--BUCKET_PATH_ORG``, ``--DECODE_LANG``, and optionally
``--ENCODE_LANG``, ``--ERRORS``, ``--MAX_WORKERS``, ``--DELETE_SOURCE``, ``--REPLACE_TARGET``.
A missing required argument ends the run FAILED with getResolvedOptions' error; exit code 0: every
object converted; 1: some failed (each is logged); 2: an argument has a bad value.
"""

import sys

import boto3
from awsglue.utils import getResolvedOptions

from airflow_glue_flow.encoding.job import OPTIONAL_ARGS, REQUIRED_ARGS, run, setup_logging


def passed(argv, name):
    """Whether ``--name`` is among the arguments (``--name value`` or ``--name=value``)."""
    return any(arg == f"--{name}" or arg.startswith(f"--{name}=") for arg in argv[1:])


if __name__ == "__main__":
    setup_logging()
    # getResolvedOptions requires every name it is given: ask for the optional ones only when passed.
    names = [*REQUIRED_ARGS, *(name for name in OPTIONAL_ARGS if passed(sys.argv, name))]
    args = getResolvedOptions(sys.argv, names)
    sys.exit(run({name: args[name] for name in names}, lambda config: boto3.client("s3", config=config)))
