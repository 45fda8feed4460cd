"""Streaming, parallel, lossless text-encoding conversion of S3 objects (CP932/Shift_JIS to UTF-8).

This package imports nothing from Airflow (only the standard library and boto3), so it is both the
core of :class:`airflow_glue_flow.operators.encoding.S3EncodingConvertOperator` and what a Glue
Python-shell job imports. Modules:

* :mod:`~airflow_glue_flow.encoding.codec`: streaming and parallel re-encoding of bytes;
* :mod:`~airflow_glue_flow.encoding.s3io`: the streaming S3 writer and the expected-ETag digest;
* :mod:`~airflow_glue_flow.encoding.steps`: the crash-safe steps for one object;
* :mod:`~airflow_glue_flow.encoding.options`: :class:`ConversionOptions`, what one run is asked to do;
* :mod:`~airflow_glue_flow.encoding.plan`: :func:`convert_prefix`, the run over a whole prefix;
* :mod:`~airflow_glue_flow.encoding.report`: per-object results, the run's report and log lines;
* :mod:`~airflow_glue_flow.encoding.job`: the Glue job's arguments, checked, and its run;
* :mod:`~airflow_glue_flow.encoding.bundle`: the ``--extra-py-files`` zip the job imports the package from.
"""

from airflow_glue_flow.encoding.codec import (
    DEFAULT_CHUNK_SIZE,
    LINE_SPLITTABLE,
    DecodeFailure,
    TranscodeResult,
    transcode_file,
    transcode_stream,
)
from airflow_glue_flow.encoding.options import DEFAULT_MAX_WORKERS, DEFAULT_PART_SIZE, ConversionOptions
from airflow_glue_flow.encoding.plan import convert_prefix, s3_client_config
from airflow_glue_flow.encoding.report import ConversionReport, ObjectResult, log_result, summary_line
from airflow_glue_flow.encoding.s3io import error_text
from airflow_glue_flow.encoding.steps import SOURCE_ETAG_METADATA

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_PART_SIZE",
    "LINE_SPLITTABLE",
    "SOURCE_ETAG_METADATA",
    "ConversionOptions",
    "ConversionReport",
    "DecodeFailure",
    "ObjectResult",
    "TranscodeResult",
    "convert_prefix",
    "error_text",
    "log_result",
    "s3_client_config",
    "summary_line",
    "transcode_file",
    "transcode_stream",
]
