"""Glue Python-shell job: convert the text encoding of every object under --BUCKET_PATH (CP932 -> UTF-8).

The conversion is the ``airflow_glue_flow.encoding`` package, which the job gets as a zip in
``--extra-py-files`` (built by ``airflow_glue_flow.encoding.bundle`` and uploaded by the deploy task).

Required arguments: --BUCKET_NAME, --BUCKET_PATH (source folder), --BUCKET_PATH_DECODE (converted
copies), --BUCKET_PATH_ORG (archived originals), --DECODE_LANG. Optional: --ENCODE_LANG (utf-8),
--ERRORS (strict | replace), --MAX_WORKERS (8), --DELETE_SOURCE (true), --REPLACE_TARGET (false).
Exit 0: every object converted; 1: some could not be (listed in the log); 2: bad arguments.
"""

import sys

from awsglue.utils import getResolvedOptions

from airflow_glue_flow.encoding.cli import OPTIONAL_ARGS, REQUIRED_ARGS
from airflow_glue_flow.encoding.job import run, setup_logging

setup_logging()
# getResolvedOptions requires every name it is asked for, so optional ones are asked for only when given.
given = [
    name
    for name in OPTIONAL_ARGS
    if any(a == f"--{name}" or a.startswith(f"--{name}=") for a in sys.argv[1:])
]
sys.exit(run(getResolvedOptions(sys.argv, [*REQUIRED_ARGS, *given])))
