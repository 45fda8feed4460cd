"""``glueContext.create_dynamic_frame.from_catalog(...)`` style access to GlueContext methods."""

from __future__ import annotations

from typing import Any

from pyspark.sql.types import StructType

from ._unsupported import unsupported


class _Facade:
    """``glueContext.create_dynamic_frame.from_catalog(...)`` style access to GlueContext methods."""

    _methods: dict[str, str] = {}

    def __init__(self, glue_context: Any) -> None:
        self._glue_context = glue_context

    def __getattr__(self, name: str) -> Any:
        if name in self._methods:
            return getattr(self._glue_context, self._methods[name])
        unsupported(f"{self._label}.{name}")

    _label = ""


class _DynamicFrameReader(_Facade):
    _label = "create_dynamic_frame"
    _methods = {
        "from_catalog": "create_dynamic_frame_from_catalog",
        "from_options": "create_dynamic_frame_from_options",
    }

    # awsglue's DynamicFrameReader.from_rdd names its last parameter sampleRatio, unlike GlueContext's.
    def from_rdd(
        self,
        data: Any,
        name: str,
        schema: StructType | None = None,
        sampleRatio: float | None = None,  # noqa: N803
    ) -> Any:
        return self._glue_context.create_dynamic_frame_from_rdd(data, name, schema, sampleRatio)


class _DynamicFrameWriter(_Facade):
    _label = "write_dynamic_frame"
    _methods = {
        "from_options": "write_dynamic_frame_from_options",
        "from_catalog": "write_dynamic_frame_from_catalog",
    }


class _DataFrameReader(_Facade):
    _label = "create_data_frame"
    _methods = {
        "from_catalog": "create_data_frame_from_catalog",
        "from_options": "create_data_frame_from_options",
    }
