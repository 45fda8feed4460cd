"""The Glue Python-shell job's side of the converter: its arguments, checked, and its run.

The job script (``dags/scripts/convert_encoding.py``) reads its ``--KEY value`` arguments with Glue's
``awsglue.utils.getResolvedOptions`` and hands them to :func:`run`; this module checks them and converts.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from airflow_glue_flow.encoding.codec import check_codecs
from airflow_glue_flow.encoding.keys import ParameterProblem, check_prefixes
from airflow_glue_flow.encoding.options import DEFAULT_MAX_WORKERS, ConversionOptions
from airflow_glue_flow.encoding.plan import convert_prefix, s3_client_config
from airflow_glue_flow.encoding.report import log_result, summary_line

log = logging.getLogger(__name__)

#: The seed job's arguments, the names the job script asks ``getResolvedOptions`` for.
REQUIRED_ARGS = ("BUCKET_NAME", "BUCKET_PATH", "BUCKET_PATH_DECODE", "BUCKET_PATH_ORG", "DECODE_LANG")
#: Arguments the job may be given, with the value used when it is not.
OPTIONAL_ARGS = {
    "ENCODE_LANG": "utf-8",
    "ERRORS": "strict",
    "MAX_WORKERS": str(DEFAULT_MAX_WORKERS),
    "DELETE_SOURCE": "true",
    "REPLACE_TARGET": "false",
}
#: The job argument behind each prefix option of :class:`~airflow_glue_flow.encoding.options.ConversionOptions`.
ARGUMENT_OF = {
    "source_prefix": "BUCKET_PATH",
    "target_prefix": "BUCKET_PATH_DECODE",
    "archive_prefix": "BUCKET_PATH_ORG",
}


class ArgumentError(ValueError):
    """A job argument is missing or unusable."""


def job_options(args: Mapping[str, str]) -> ConversionOptions:
    """Check the job arguments, as ``getResolvedOptions`` returns them (without their ``--``).

    Optional keys missing from ``args`` take their :data:`OPTIONAL_ARGS` default.

    :raises ValueError: (:class:`ArgumentError` among them) naming the bad argument.
    """
    missing = [k for k in REQUIRED_ARGS if k not in args]
    if missing:
        raise ArgumentError("missing required job argument(s): " + ", ".join(f"--{k}" for k in missing))
    opts = {**OPTIONAL_ARGS, **args}
    try:
        max_workers = int(opts["MAX_WORKERS"])
    except ValueError:
        raise ArgumentError(f"--MAX_WORKERS must be an integer, not {opts['MAX_WORKERS']!r}") from None
    if not opts["BUCKET_NAME"]:
        raise ArgumentError("--BUCKET_NAME must not be empty")
    check_codecs(opts["DECODE_LANG"], opts["ENCODE_LANG"], opts["ERRORS"])
    try:
        check_prefixes(opts["BUCKET_PATH"], opts["BUCKET_PATH_DECODE"], opts["BUCKET_PATH_ORG"])
    except ParameterProblem as exc:
        raise ArgumentError(f"--{ARGUMENT_OF[exc.name]} {exc.value!r} {exc.problem}") from None
    return ConversionOptions(
        bucket=opts["BUCKET_NAME"],
        source_prefix=opts["BUCKET_PATH"],
        target_prefix=opts["BUCKET_PATH_DECODE"],
        archive_prefix=opts["BUCKET_PATH_ORG"],
        source_encoding=opts["DECODE_LANG"],
        target_encoding=opts["ENCODE_LANG"],
        errors=opts["ERRORS"],
        max_workers=max_workers,
        delete_source=_flag(opts, "DELETE_SOURCE"),
        replace_target=_flag(opts, "REPLACE_TARGET"),
    )


def _flag(opts: Mapping[str, str], name: str) -> bool:
    value = opts[name].strip().lower()
    if value not in ("true", "false"):
        raise ArgumentError(f"--{name} must be true or false, not {opts[name]!r}")
    return value == "true"


def setup_logging() -> None:
    """Send INFO records to stdout: Glue Python shell drops INFO records of its own handlers."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream=sys.stdout)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def run(args: Mapping[str, str], make_s3_client: Callable[[Any], Any]) -> int:
    """Convert as the job arguments say, log each object and the totals, print the report as JSON.

    The Glue script makes the S3 client (``boto3.client("s3", config=config)``), so its endpoint,
    region and credentials come from boto3's usual sources and ``AWS_ENDPOINT_URL`` /
    ``AWS_ENDPOINT_URL_S3`` point it at a local S3.

    :param args: job arguments without their ``--`` (``BUCKET_NAME`` -> value, ...).
    :param make_s3_client: makes the S3 client from the botocore config sized for ``MAX_WORKERS``.
    :return: 0 when every object converted, 1 when any failed, 2 for bad arguments.
    """
    try:
        opts = job_options(args)
    except ValueError as exc:
        log.error("bad job arguments: %s", exc)
        return 2
    report = convert_prefix(make_s3_client(s3_client_config(opts.max_workers)), opts, on_result=log_result)
    log.info(summary_line(report))
    print(json.dumps(report.to_dict(max_converted=0), ensure_ascii=False), flush=True)
    if not report.ok:
        log.error("%d object(s) could not be converted", len(report.failed))
        return 1
    return 0
