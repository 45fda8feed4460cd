"""Unbox, UnnestFrame, SplitRows, MapToCollection and FlatMap, which the local library refused before, and
the transforms it still refuses, by name.

AWS's transform pages:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-Unbox.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-UnnestFrame.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-SplitRows.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-FlatMap.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-MapToCollection.html
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _frame(glue_context: Any, rows: list[tuple[Any, ...]], schema: str, name: str = "people") -> Any:
    from awsglue.dynamicframe import DynamicFrame  # type: ignore[import-not-found]

    return DynamicFrame.fromDF(glue_context.spark_session.createDataFrame(rows, schema), glue_context, name)


def _rows(frame: Any) -> list[dict[str, Any]]:
    return [row.asDict(recursive=True) for row in frame.toDF().collect()]


def test_unbox_parses_a_json_string_field_into_a_struct(glue_context: Any) -> None:
    from awsglue.transforms import Unbox  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1, '{"city": "Oslo", "zip": 150}'), (2, None)], "id long, address string")
    out = Unbox.apply(frame=frame, path="address", format="json")
    assert _rows(out) == [{"id": 1, "address": {"city": "Oslo", "zip": 150}}, {"id": 2, "address": None}]
    assert out.schema()["address"].dataType.simpleString() == "struct<city:string,zip:bigint>"


def test_unnest_frame_moves_nested_fields_to_the_top(glue_context: Any) -> None:
    from awsglue.transforms import UnnestFrame  # type: ignore[import-not-found]

    frame = _frame(
        glue_context,
        [(1, (("Oslo",), "NO"), ["a"])],
        "id long, home struct<addr:struct<city:string>,cc:string>, t array<string>",
    )
    out = UnnestFrame.apply(frame=frame)
    assert _rows(out) == [{"id": 1, "home.addr.city": "Oslo", "home.cc": "NO", "t": ["a"]}]


def test_split_rows_splits_off_the_rows_meeting_every_comparison(glue_context: Any) -> None:
    from awsglue.transforms import SplitRows  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1, 9), (2, 15), (3, 20), (4, None)], "id long, age long")
    parts = SplitRows.apply(frame, {"age": {">": 10, "<": 20}}, "teens", "others")
    assert sorted(parts.keys()) == ["others", "teens"]
    assert [r["id"] for r in _rows(parts["teens"])] == [2]
    assert sorted(r["id"] for r in _rows(parts["others"])) == [1, 3, 4]
    default = SplitRows.apply(frame=frame, comparison_dict={"age": {"=": 9}})
    assert sorted(default.keys()) == ["frame1", "frame2"]
    with pytest.raises(ValueError, match="SplitRows comparator '~' for age"):
        SplitRows.apply(frame, {"age": {"~": 1}})


def test_map_to_collection_and_flat_map(glue_context: Any) -> None:
    from awsglue.transforms import (  # type: ignore[import-not-found]
        FlatMap,
        MapToCollection,
        SplitFields,
        SplitRows,
    )

    frame = _frame(glue_context, [(1, "a", 30), (2, "b", 5)], "id long, name string, age long")
    parts = SplitFields.apply(frame, ["id", "age"], "ids", "names")
    renamed = MapToCollection.apply(parts, lambda f, ctx: f.drop_fields(["id"]))
    assert _rows(renamed["ids"]) == [{"age": 30}, {"age": 5}]
    with pytest.raises(TypeError, match="callable must return a DynamicFrame"):
        MapToCollection.apply(parts, lambda f, ctx: None)
    # FlatMap applies a transform to each frame (as its frame_name argument) and gathers the results.
    from awsglue.dynamicframe import DynamicFrameCollection  # type: ignore[import-not-found]

    flat = FlatMap.apply(
        dfc=DynamicFrameCollection({"people": frame}, glue_context),
        BaseTransform=SplitRows,
        frame_name="frame",
        comparison_dict={"age": {">": 10}},
        name1="old",
        name2="young",
    )
    assert sorted(flat.keys()) == ["old", "young"]
    assert [r["id"] for r in _rows(flat["old"])] == [1]
    assert [r["id"] for r in _rows(flat["young"])] == [2]


def test_fill_missing_values_and_errors_as_dynamic_frame_refuse_naming_themselves(glue_context: Any) -> None:
    from awsglue._unsupported import NotSupportedLocally  # type: ignore[import-not-found]
    from awsglue.transforms import ErrorsAsDynamicFrame  # type: ignore[import-not-found]
    from awsglueml.transforms import FillMissingValues  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1, None)], "id long, age long")
    with pytest.raises(NotSupportedLocally, match=r"awsglueml\.transforms\.FillMissingValues is not"):
        FillMissingValues.apply(frame, missing_values_column="age")
    with pytest.raises(NotSupportedLocally, match=r"awsglue\.transforms\.ErrorsAsDynamicFrame is not"):
        ErrorsAsDynamicFrame.apply(frame)
