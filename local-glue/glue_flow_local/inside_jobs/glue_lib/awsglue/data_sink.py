"""DataSink, as ``GlueContext.getSink`` returns it."""

from __future__ import annotations

from typing import Any

from ._unsupported import NamedMissingAttributes, unsupported


class DataSink(NamedMissingAttributes):
    """An s3 sink; ``setFormat``, optionally ``setCatalogInfo``, then ``writeFrame``."""

    def __init__(self, glue_context: Any, options: dict[str, Any], fmt: str | None, ctx: str) -> None:
        self._glue_context = glue_context
        self._options = options
        self._format = fmt
        self._format_options: dict[str, Any] = {}
        self._ctx = ctx

    def setFormat(self, format: str, **options: Any) -> None:  # noqa: N802, A002
        self._format = format
        self._format_options = options

    def setCatalogInfo(
        self, catalogDatabase: str, catalogTableName: str, catalogId: str | None = None
    ) -> None:  # noqa: N802, N803
        if self._options.get("enableUpdateCatalog"):
            unsupported("DataSink with enableUpdateCatalog (catalog updates from a sink)")

    def writeFrame(self, dynamic_frame: Any, info: str = "") -> Any:  # noqa: N802
        return self._glue_context.write_dynamic_frame_from_options(
            dynamic_frame, "s3", self._options, self._format, self._format_options, self._ctx
        )
