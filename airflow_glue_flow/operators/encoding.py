"""Operator that converts the text encoding of every S3 object under a prefix (e.g. CP932 to UTF-8)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.encoding import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_PART_SIZE,
    ConversionOptions,
    ObjectResult,
    convert_prefix,
    error_text,
    log_result,
    s3_client_config,
    summary_line,
)
from airflow_glue_flow.encoding.keys import ParameterProblem, check_prefixes
from airflow_glue_flow.encoding.options import REPORTED
from airflow_glue_flow.exceptions import GlueTaskParameterError, S3EncodingConversionError

#: XCom key of the report when the task fails (on success the report is the return value).
REPORT_XCOM_KEY = "encoding_report"


class S3EncodingConvertOperator(AwsBaseOperator[S3Hook]):
    """Stream-convert every object under ``source_prefix`` into ``target_prefix`` and archive the originals.

    Each object is decoded incrementally (memory stays flat whatever its size), uploaded to
    ``target_prefix + rest-of-key`` (multipart when large), copied to ``archive_prefix + rest-of-key``,
    checked (archive size and ETag against the bytes that were converted), and only then deleted from
    the source, conditional on its ETag. A converted or archived key that already holds other bytes is
    not replaced: the new version gets the source ETag in its name (``a.csv`` -> ``a.<etag>.csv``). A
    rerun after a failure or a crash converges without losing or duplicating anything.
    Objects that cannot be converted keep their source; the others still convert, and the task then
    fails with :class:`~airflow_glue_flow.exceptions.S3EncodingConversionError` listing every failed key.

    The report (counts, bytes, seconds, per-object lines) is returned, so it lands in XCom; when the task
    fails it is pushed under :data:`REPORT_XCOM_KEY` first.

    :param bucket: the bucket holding the three prefixes.
    :param source_prefix: the folder of the objects to convert (e.g. ``incoming/``); must end with ``/``
        and must not overlap the other two.
    :param target_prefix: the folder the converted objects go to (e.g. ``utf8/``).
    :param archive_prefix: the folder the original bytes go to (e.g. ``shift_jis/``).
    :param source_encoding: codec of the sources: ``cp932`` (default), ``shift_jis``, ``euc-jp``,
        ``iso2022_jp``, ``utf-8-sig``, or any other Python codec.
    :param target_encoding: codec of the outputs.
    :param errors: ``strict`` fails an object on its first invalid byte (naming key, offset and bytes);
        ``replace`` writes U+FFFD instead and counts the replacements.
    :param delete_source: delete each source once converted and archived (only on a store that honours
        conditional deletes; elsewhere the sources stay and the task fails naming them).
    :param replace_target: overwrite a converted object made from an earlier version of the same file
        instead of writing the new version under a versioned key.
    :param keys: convert only these keys under ``source_prefix`` (templated; e.g. the keys S3 event
        notifications reported) instead of every object there; None (default) lists the prefix.
    :param max_workers: objects converted at the same time.
    :param part_size: multipart threshold and part size (bytes) for outputs and archive copies.
    :param max_report_objects: converted objects listed in the returned report (all failures are always
        listed); keeps XCom small for prefixes with many objects. None lists them all.
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client (templated).
    :param botocore_config: botocore client configuration; its settings win over the adaptive retries
        and connection pool this operator sets.
    """

    aws_hook_class = S3Hook
    # Templated: the options a report names (bucket, prefixes, codecs, errors) and the keys.
    template_fields: Sequence[str] = aws_template_fields(*REPORTED, "keys")
    ui_color = "#e8f4d4"

    # The parameters are ConversionOptions' (bar max_report_objects) on purpose: the task and the Glue
    # job run the same conversion with the same settings.
    def __init__(
        self,
        *,
        bucket: str,
        source_prefix: str,
        target_prefix: str,
        archive_prefix: str,
        source_encoding: str = "cp932",
        target_encoding: str = "utf-8",
        errors: str = "strict",
        delete_source: bool = True,
        max_workers: int = DEFAULT_MAX_WORKERS,
        part_size: int = DEFAULT_PART_SIZE,
        max_report_objects: int | None = 1000,
        replace_target: bool = False,
        keys: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        # aws_conn_id="aws_default", region_name, verify and botocore_config are AwsBaseOperator's; it
        # builds the hook from them (and _hook_parameters) on first use, never at DAG parse time.
        super().__init__(**kwargs)
        # Which objects: the bucket's three folders, or only ``keys`` under the source folder.
        self.bucket, self.keys = bucket, keys
        self.source_prefix, self.target_prefix = source_prefix, target_prefix
        self.archive_prefix = archive_prefix
        # How: the codecs, then what happens to the sources and to targets that already exist.
        self.source_encoding, self.target_encoding, self.errors = source_encoding, target_encoding, errors
        self.delete_source, self.replace_target = delete_source, replace_target
        self.max_workers, self.part_size = max_workers, part_size
        self.max_report_objects = max_report_objects

    @property
    def _hook_parameters(self) -> dict[str, Any]:
        """S3 hook settings: the client retries throttling (SlowDown/503) with adaptive backoff."""
        config = s3_client_config(self.max_workers)
        if self.botocore_config:
            config = config.merge(Config(**self.botocore_config))
        return {**super()._hook_parameters, "config": config}

    def _log_object(self, result: ObjectResult) -> None:
        log_result(result, self.log)

    def _check_parameters(self) -> None:
        """Refuse an empty bucket and prefixes that are not folders, naming the task and the parameter."""
        if not self.bucket:
            raise GlueTaskParameterError(self.task_id, "bucket", repr(self.bucket), "must not be empty")
        if isinstance(self.keys, str) or (
            self.keys is not None and not all(isinstance(k, str) for k in self.keys)
        ):
            raise GlueTaskParameterError(self.task_id, "keys", repr(self.keys), "must be a list of S3 keys")
        try:
            check_prefixes(self.source_prefix, self.target_prefix, self.archive_prefix)
        except ParameterProblem as exc:
            raise GlueTaskParameterError(self.task_id, exc.name, repr(exc.value), exc.problem) from exc

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_parameters()
        try:
            options = ConversionOptions.of(self)
            report = convert_prefix(self.hook.get_conn(), options, on_result=self._log_object)
        except ValueError as exc:
            raise GlueTaskParameterError(self.task_id, "parameters", self._describe(), str(exc)) from exc
        except (ClientError, BotoCoreError) as exc:
            # Listing the source prefix failed (no such bucket, access denied, ...).
            raise S3EncodingConversionError(self.bucket, {self.source_prefix: error_text(exc)}) from exc
        self.log.info(summary_line(report))
        result = report.to_dict(max_converted=self.max_report_objects)
        if not report.ok:
            context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=result)
            raise S3EncodingConversionError(self.bucket, report.failed_keys)
        return result

    def _describe(self) -> str:
        named = (*REPORTED, "max_workers")
        return "(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in named) + ")"
