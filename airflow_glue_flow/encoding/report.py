"""What a conversion did: per-object results, the run's report, and their log lines."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_glue_flow.encoding.options import ConversionOptions

log = logging.getLogger(__name__)


@dataclass
class ObjectResult:
    """The outcome for one source object."""

    key: str
    status: str  # converted | skipped | failed
    target_key: str = ""
    archive_key: str = ""
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    replacements: int = 0
    reason: str = ""
    source_etag: str = ""

    @property
    def mb_per_s(self) -> float:
        """Source megabytes (10^6 bytes) converted per second."""
        return self.bytes_in / 1e6 / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ConversionReport:
    """What :func:`convert_prefix` did: one :class:`ObjectResult` per listed object, plus totals."""

    options: ConversionOptions
    objects: list[ObjectResult] = field(default_factory=list)
    seconds: float = 0.0

    def _with(self, status: str) -> list[ObjectResult]:
        return [o for o in self.objects if o.status == status]

    @property
    def converted(self) -> list[ObjectResult]:
        return self._with("converted")

    @property
    def skipped(self) -> list[ObjectResult]:
        return self._with("skipped")

    @property
    def failed(self) -> list[ObjectResult]:
        return self._with("failed")

    @property
    def failed_keys(self) -> dict[str, str]:
        """Source key -> reason, for every object that was not converted."""
        return {o.key: o.reason for o in self.failed}

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self, max_converted: int | None = None) -> dict[str, Any]:
        """A JSON-serialisable summary.

        :param max_converted: list at most this many converted objects (skipped and failed ones are
            always listed in full); ``None`` lists all.
        """
        converted = self.converted
        bytes_in = sum(o.bytes_in for o in converted)
        return {
            **self.options.reported(),
            "objects_converted": len(converted),
            "objects_skipped": len(self.skipped),
            "objects_failed": len(self.failed),
            "bytes_in": bytes_in,
            "bytes_out": sum(o.bytes_out for o in converted),
            "replacements": sum(o.replacements for o in converted),
            "seconds": round(self.seconds, 3),
            "mb_per_s": round(bytes_in / 1e6 / self.seconds, 3) if self.seconds > 0 else 0.0,
            "converted": [
                {k: v for k, v in asdict(o).items() if k not in ("status", "reason")}
                for o in converted[:max_converted]
            ],
            "skipped": [{"key": o.key, "reason": o.reason} for o in self.skipped],
            "failed": [{"key": o.key, "reason": o.reason} for o in self.failed],
        }


def log_result(result: ObjectResult, logger: logging.Logger | Any = log) -> None:
    """Log one line for an object: key, bytes, seconds and MB/s (or why it was skipped/failed)."""
    if result.status == "converted":
        logger.info(
            "converted s3 key %s -> %s: %d bytes in, %d bytes out, %.3f s, %.2f MB/s%s",
            result.key,
            result.target_key,
            result.bytes_in,
            result.bytes_out,
            result.seconds,
            result.mb_per_s,
            f", {result.replacements} replacement(s)" if result.replacements else "",
        )
    elif result.status == "skipped":
        logger.info("skipped s3 key %s: %s", result.key, result.reason)
    else:
        logger.error("FAILED s3 key %s: %s", result.key, result.reason)


def summary_line(report: ConversionReport) -> str:
    """One line with the totals of a run."""
    data = report.to_dict(max_converted=0)
    return (
        f"s3://{data['bucket']}/{data['source_prefix']} ({data['source_encoding']} -> {data['target_encoding']}): "
        f"{data['objects_converted']} converted, {data['objects_skipped']} skipped, "
        f"{data['objects_failed']} failed; {data['bytes_in']} bytes in, {data['bytes_out']} bytes out, "
        f"{data['replacements']} replacement(s), {data['seconds']} s, {data['mb_per_s']} MB/s"
    )
