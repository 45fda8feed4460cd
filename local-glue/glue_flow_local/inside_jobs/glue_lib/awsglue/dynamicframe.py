"""DynamicFrame for the local Glue: a named Spark DataFrame with Glue's transform methods.

A local DynamicFrame holds one Spark DataFrame; a field whose records hold values of several types (a
choice, as Glue's readers make them) is a struct of one member per type until ``resolveChoice`` resolves
it, and ``schema()`` is Spark's ``StructType``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pyspark.sql import DataFrame

from . import _frames, _reshape
from ._frames import DynamicRecord
from ._relationalize import relationalize
from ._unsupported import NamedMissingAttributes


class DynamicFrame(NamedMissingAttributes):
    """A distributed collection of records.

    :param df: the Spark DataFrame holding the records.
    :param glue_ctx: the GlueContext.
    :param name: the frame's name.
    """

    def __init__(self, df: DataFrame, glue_ctx: Any, name: str = "") -> None:
        self._df = df
        self.glue_ctx = glue_ctx
        self.name = name

    def _new(self, df: DataFrame, name: str | None = None) -> DynamicFrame:
        return DynamicFrame(df, self.glue_ctx, self.name if name is None else name)

    @classmethod
    def fromDF(cls, dataframe: DataFrame, glue_ctx: Any, name: str = "") -> DynamicFrame:  # noqa: N802
        """A DynamicFrame on a Spark DataFrame."""
        return cls(dataframe, glue_ctx, name)

    def toDF(self, options: Any = None) -> DataFrame:  # noqa: N802
        """The Spark DataFrame (ResolveOption lists have nothing to resolve: there are no choice types)."""
        return self._df

    def count(self) -> int:
        """The number of records."""
        return self._df.count()

    def schema(self) -> Any:
        """The frame's schema (Spark's StructType)."""
        return self._df.schema

    def printSchema(self) -> None:  # noqa: N802
        """Print the schema tree."""
        self._df.printSchema()

    def show(self, num_rows: int = 20) -> None:
        """Print the first ``num_rows`` records, one JSON object per line, as Glue does."""
        for row in self._df.limit(num_rows).toJSON().collect():
            print(json.dumps(json.loads(row)))

    def getNumPartitions(self) -> int:  # noqa: N802
        """The number of partitions."""
        return self._df.rdd.getNumPartitions()

    def repartition(self, num_partitions: int, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """The records in ``num_partitions`` partitions."""
        return self._new(self._df.repartition(num_partitions))

    def coalesce(
        self, num_partitions: int, shuffle: bool = False, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """The records in at most ``num_partitions`` partitions."""
        df = self._df.repartition(num_partitions) if shuffle else self._df.coalesce(num_partitions)
        return self._new(df)

    def apply_mapping(
        self,
        mappings: list[tuple[Any, ...]],
        case_sensitive: bool = False,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Only the mapped fields, renamed and cast (see :class:`awsglue.transforms.ApplyMapping`)."""
        return self._new(_frames.apply_mapping(self._df, mappings, case_sensitive))

    def applyMapping(self, *args: Any, **kwargs: Any) -> DynamicFrame:  # noqa: N802
        if args and isinstance(args[0], DynamicFrame):
            args = args[1:]
        return self.apply_mapping(*args, **kwargs)

    # The same parameters as the ResolveChoice transform it calls, as in AWS's library.
    def resolveChoice(  # noqa: N802
        self,
        specs: Any = None,
        choice: str = "",
        database: str | None = None,
        table_name: str | None = None,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        catalog_id: str | None = None,
    ) -> DynamicFrame:
        """Resolve choice types (see :class:`awsglue.transforms.ResolveChoice`)."""
        columns = None
        if choice and choice.lower() == "match_catalog":
            if not database or not table_name:
                raise ValueError("ResolveChoice with match_catalog needs database and table_name")
            from ._catalog import get_table

            table = get_table(database, table_name, catalog_id)
            descriptor = table.get("StorageDescriptor") or {}
            columns = list(descriptor.get("Columns") or []) + list(table.get("PartitionKeys") or [])
        return self._new(_frames.resolve_choice(self._df, specs, choice, columns))

    def drop_fields(self, paths: str | Iterable[str], transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Without ``paths``."""
        return self._new(_frames.drop_fields(self._df, paths))

    def select_fields(
        self, paths: str | Iterable[str], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Only ``paths``."""
        return self._new(_frames.select_fields(self._df, paths))

    def rename_field(
        self, oldName: str, newName: str, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:  # noqa: N803
        """One field renamed."""
        return self._new(_frames.rename_field(self._df, oldName, newName))

    def split_fields(
        self, paths: str | Iterable[str], name1: str, name2: str, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrameCollection:
        """Two frames: ``name1`` with ``paths``, ``name2`` with the other fields."""
        first, second = _frames.split_fields(self._df, paths)
        return DynamicFrameCollection(
            {name1: self._new(first, name1), name2: self._new(second, name2)}, self.glue_ctx
        )

    def join(
        self,
        paths1: str | Iterable[str],
        paths2: str | Iterable[str],
        frame2: DynamicFrame,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrame:
        """Inner equality join with ``frame2`` on ``paths1`` = ``paths2``."""
        return self._new(_frames.join(self._df, frame2._df, paths1, paths2), self.name + frame2.name)

    def filter(
        self, f: Callable[[DynamicRecord], bool], transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """The records for which ``f`` is true."""
        return self._new(_frames.filter_records(self._df, f))

    def map(self, f: Callable[[DynamicRecord], Any], transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """Each record through ``f``."""
        return self._new(_frames.map_records(self._df, f))

    def relationalize(
        self,
        root_table_name: str,
        staging_path: str | None = None,
        options: Any = None,
        transformation_ctx: str = "",
        **_: Any,
    ) -> DynamicFrameCollection:
        """Flattened structs and one frame per array column (see :class:`awsglue.transforms.Relationalize`)."""
        frames = relationalize(self._df, root_table_name)
        return DynamicFrameCollection({n: self._new(df, n) for n, df in frames.items()}, self.glue_ctx)

    def spigot(
        self, path: str, options: dict[str, Any] | None = None, transformation_ctx: str = "", **_: Any
    ) -> DynamicFrame:
        """Write a sample (``topk`` first records, default 100, or a ``prob`` fraction) to ``path`` as JSON;
        the frame passes through unchanged."""
        options = options or {}
        sample = self._df
        if "prob" in options:
            sample = sample.sample(fraction=float(options["prob"]))
        sample = sample.limit(int(options.get("topk", 100)))
        sample.coalesce(1).write.mode("append").json(path)
        return self

    def unbox(
        self,
        path: str,
        format: str,  # noqa: A002
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
        **options: Any,
    ) -> DynamicFrame:
        """The JSON string field at ``path`` as a struct (see :class:`awsglue.transforms.Unbox`)."""
        return self._new(_reshape.unbox(self._df, path, format))

    def unnest(
        self,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> DynamicFrame:
        """Nested struct fields as top-level fields named ``a.b``."""
        return self._new(_reshape.unnest(self._df))

    def split_rows(
        self,
        comparison_dict: dict[str, dict[str, Any]],
        name1: str,
        name2: str,
        transformation_ctx: str = "",
        info: str = "",
        stageThreshold: int = 0,  # noqa: N803
        totalThreshold: int = 0,  # noqa: N803
    ) -> DynamicFrameCollection:
        """``name1``: the rows meeting every comparison; ``name2``: the others."""
        first, second = _reshape.split_rows(self._df, comparison_dict)
        return DynamicFrameCollection(
            {name1: self._new(first, name1), name2: self._new(second, name2)}, self.glue_ctx
        )

    def union(self, other_frame: DynamicFrame, transformation_ctx: str = "", **_: Any) -> DynamicFrame:
        """All records of both frames (fields matched by name)."""
        return self._new(self._df.unionByName(other_frame._df, allowMissingColumns=True))

    def write(
        self,
        connection_type: str,
        connection_options: dict[str, Any] | None = None,
        format: str | None = None,  # noqa: A002
        format_options: dict[str, Any] | None = None,
        accumulator_size: int = 0,
    ) -> DynamicFrame:
        """Write the frame (as ``GlueContext.write_dynamic_frame.from_options``)."""
        return self.glue_ctx.write_dynamic_frame_from_options(
            self, connection_type, connection_options or {}, format, format_options or {}
        )

    def errorsCount(self) -> int:  # noqa: N802
        """Error records are dropped as they occur, so none are kept: 0."""
        return 0

    def stageErrorsCount(self) -> int:  # noqa: N802
        return 0


class DynamicFrameCollection(NamedMissingAttributes):
    """Named DynamicFrames, as SplitFields and Relationalize return them.

    :param dynamic_frames: the frames by name.
    :param glue_ctx: the GlueContext.
    """

    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: Any) -> None:
        self._df_dict = dict(dynamic_frames)
        self.glue_ctx = glue_ctx

    def __getitem__(self, key: str) -> DynamicFrame:
        return self._df_dict[key]

    def __len__(self) -> int:
        return len(self._df_dict)

    def keys(self) -> Any:
        return self._df_dict.keys()

    def values(self) -> Any:
        return self._df_dict.values()

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        """The frame named ``key``."""
        return self._df_dict[key]

    def map(
        self, callable: Callable[[DynamicFrame, str], DynamicFrame], transformation_ctx: str = ""
    ) -> DynamicFrameCollection:  # noqa: A002
        """Each frame through ``callable(frame, transformation_ctx)``, which must return a DynamicFrame."""
        out = {}
        for name, frame in self._df_dict.items():
            result = callable(frame, f"{transformation_ctx}:{name}")
            if not isinstance(result, DynamicFrame):
                raise TypeError(f"callable must return a DynamicFrame. Got {type(result)}")
            out[name] = result
        return DynamicFrameCollection(out, self.glue_ctx)

    def flatmap(
        self, f: Callable[[DynamicFrame, str], Any], transformation_ctx: str = ""
    ) -> DynamicFrameCollection:
        """Each frame through ``f``; the frames and collections it returns gathered in one collection."""
        out: dict[str, DynamicFrame] = {}
        for frame in self._df_dict.values():
            result = f(frame, f"{transformation_ctx}:{frame.name}")
            if isinstance(result, DynamicFrame):
                out[result.name] = result
            elif isinstance(result, DynamicFrameCollection):
                out.update(result._df_dict)
            else:
                raise TypeError(
                    f"Function argument to flatmap must return DynamicFrame or DynamicFrameCollection. "
                    f"Got {type(result)}"
                )
        return DynamicFrameCollection(out, self.glue_ctx)
