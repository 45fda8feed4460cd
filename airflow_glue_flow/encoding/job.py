"""The Glue Python-shell job entry point (also ``python -m airflow_glue_flow.encoding``)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

from airflow_glue_flow.encoding.cli import REQUIRED_ARGS, job_options, resolve_options
from airflow_glue_flow.encoding.plan import convert_prefix, s3_client_config
from airflow_glue_flow.encoding.report import log_result, summary_line

log = logging.getLogger(__name__)


def setup_logging() -> None:
    """Send INFO records to stdout: Glue Python shell drops INFO records of its own handlers."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream=sys.stdout)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def run(args: Mapping[str, str], s3_client: Any = None) -> int:
    """Convert as the job arguments say, log each object and the totals, print the report as JSON.

    The S3 endpoint, region and credentials come from boto3's usual sources, so
    ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` point it at a local S3.

    :param args: job arguments without their ``--`` (``BUCKET_NAME`` -> value, ...).
    :param s3_client: the S3 client to use; a new boto3 one when None.
    :return: 0 when every object converted, 1 when any failed, 2 for bad arguments.
    """
    try:
        opts = job_options(args)
    except ValueError as exc:
        log.error("bad job arguments: %s", exc)
        return 2
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3", config=s3_client_config(opts.max_workers))
    report = convert_prefix(
        s3_client,
        opts.bucket,
        opts.source_prefix,
        opts.target_prefix,
        opts.archive_prefix,
        source_encoding=opts.source_encoding,
        target_encoding=opts.target_encoding,
        errors=opts.errors,
        delete_source=opts.delete_source,
        replace_target=opts.replace_target,
        max_workers=opts.max_workers,
        on_result=log_result,
    )
    log.info(summary_line(report))
    print(json.dumps(report.to_dict(max_converted=0), ensure_ascii=False), flush=True)
    if not report.ok:
        log.error("%d object(s) could not be converted", len(report.failed))
        return 1
    return 0


def main(argv: list[str] | None = None, s3_client: Any = None) -> int:
    """Read ``--KEY value`` arguments from ``argv`` (``sys.argv`` when None) and :func:`run`."""
    setup_logging()
    try:
        args = resolve_options(sys.argv if argv is None else argv, REQUIRED_ARGS)
    except ValueError as exc:
        log.error("bad job arguments: %s", exc)
        return 2
    return run(args, s3_client)
