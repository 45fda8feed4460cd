"""What the steps for one object pass between them: the run's :class:`Settings` and what streaming the source
gave (:class:`Streamed`). Both the conversion (:mod:`.steps`) and the archiving (:mod:`.archive`) read them,
so they live apart from either."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from airflow_glue_flow.encoding.codec import TranscodeResult
from airflow_glue_flow.encoding.s3io import SourceDigest
from airflow_glue_flow.encoding.store import StoreConditions


@dataclass
class Settings:
    """One run's settings, shared by every object; ``conditions`` is learnt from the store at start."""

    bucket: str
    source_encoding: str
    target_encoding: str
    errors: str
    part_size: int
    chunk_size: int
    replace_target: bool = False
    conditions: StoreConditions | None = None


class Streamed(NamedTuple):
    """What reading the source and writing the converted object gave."""

    result: TranscodeResult
    target_key: str
    digest: SourceDigest
    source_md5: str
    opaque_etag: bool
    copy_part: int | None
