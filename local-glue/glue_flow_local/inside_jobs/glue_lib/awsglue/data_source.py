"""DataSource, as ``GlueContext.getSource`` returns it."""

from __future__ import annotations

from typing import Any

from ._unsupported import NamedMissingAttributes


class DataSource(NamedMissingAttributes):
    """An s3 source; ``setFormat`` then ``getFrame``."""

    def __init__(
        self, glue_context: Any, options: dict[str, Any], fmt: str | None, ctx: str, predicate: str
    ) -> None:
        self._glue_context = glue_context
        self._options = options
        self._format = fmt
        self._format_options: dict[str, Any] = {}
        self._ctx = ctx
        self._predicate = predicate

    def setFormat(self, format: str, **options: Any) -> None:  # noqa: N802, A002
        self._format = format
        self._format_options = options

    def getFrame(self, **_: Any) -> Any:  # noqa: N802
        return self._glue_context.create_dynamic_frame_from_options(
            "s3", self._options, self._format, self._format_options, self._ctx, self._predicate
        )
