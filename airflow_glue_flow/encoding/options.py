"""What one conversion run is asked to do: the bucket and its folders, the codecs, and how to run.

:func:`~airflow_glue_flow.encoding.plan.convert_prefix` takes these options, the Glue job builds them
from its arguments and the Airflow operator from its parameters, so all three name each option once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

#: Objects converted at the same time.
DEFAULT_MAX_WORKERS = 8
#: Multipart threshold and part size (bytes) of outputs and archive copies.
DEFAULT_PART_SIZE = 8 << 20
#: The options a report names: what was converted, from where to where, with which codecs.
REPORTED = (
    "bucket",
    "source_prefix",
    "target_prefix",
    "archive_prefix",
    "source_encoding",
    "target_encoding",
    "errors",
)


@dataclass(frozen=True)
class ConversionOptions:
    """The options of one conversion run.

    :param bucket: the bucket holding all three prefixes.
    :param source_prefix: where the objects to convert are; must not overlap the other two.
    :param target_prefix: where the converted objects go.
    :param archive_prefix: where the original bytes go.
    :param source_encoding: codec of the sources.
    :param target_encoding: codec of the outputs.
    :param errors: ``strict`` (an invalid byte fails that object) or ``replace`` (U+FFFD, counted).
    :param delete_source: delete each source once its conversion and archive copy are verified.
    :param max_workers: objects converted at the same time.
    :param part_size: multipart threshold and part size for outputs and archive copies.
    :param replace_target: overwrite a converted object made from another source version instead of
        writing the new version under a versioned key (archived originals are never overwritten).
    :param keys: convert only these keys (each under ``source_prefix``), e.g. the ones S3 event
        notifications reported, instead of listing the prefix; a key that no longer exists (converted by
        an earlier run, or deleted) is reported ``skipped``.
    """

    bucket: str
    source_prefix: str
    target_prefix: str
    archive_prefix: str
    source_encoding: str = "cp932"
    target_encoding: str = "utf-8"
    errors: str = "strict"
    delete_source: bool = True
    max_workers: int = DEFAULT_MAX_WORKERS
    part_size: int = DEFAULT_PART_SIZE
    replace_target: bool = False
    keys: Sequence[str] | None = None

    @classmethod
    def of(cls, source: Any) -> ConversionOptions:
        """The options held as attributes of the same names by ``source`` (e.g. an operator).

        :param source: any object with an attribute for every option.
        """
        return cls(**{option.name: getattr(source, option.name) for option in fields(cls)})

    def reported(self) -> dict[str, Any]:
        """The options a report names (:data:`REPORTED`), by name."""
        return {name: getattr(self, name) for name in REPORTED}
