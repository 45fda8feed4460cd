"""Each awsglue transform on a small frame with a known result.

Semantics follow AWS's transform reference:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _frame(glue_context: Any, rows: list[dict[str, Any]] | list[tuple], schema: str | None = None) -> Any:
    from awsglue.dynamicframe import DynamicFrame  # type: ignore[import-not-found]

    df = glue_context.spark_session.createDataFrame(rows, schema)
    return DynamicFrame.fromDF(df, glue_context, "people")


def _rows(frame: Any) -> list[dict[str, Any]]:
    return [row.asDict(recursive=True) for row in frame.toDF().collect()]


def test_apply_mapping_renames_casts_and_drops_unmapped(glue_context: Any) -> None:
    from awsglue.transforms import ApplyMapping  # type: ignore[import-not-found]

    frame = _frame(glue_context, [("7", "JP", "x")], "appid string, country string, other string")
    out = ApplyMapping.apply(
        frame=frame,
        mappings=[
            ("appid", "string", "app", "long"),
            ("Country", "string", "loc.country", "string"),
            ("gone", "string", "g", "string"),
        ],
    )
    assert _rows(out) == [{"app": 7, "loc": {"country": "JP"}}]
    assert out.schema()["app"].dataType.typeName() == "long"


def test_resolve_choice_cast_spec_and_make_struct(glue_context: Any) -> None:
    from awsglue.transforms import ResolveChoice  # type: ignore[import-not-found]

    frame = _frame(glue_context, [("1", 2)], "a string, b long")
    assert _rows(ResolveChoice.apply(frame, specs=[("a", "cast:int")])) == [{"a": 1, "b": 2}]
    assert (
        ResolveChoice.apply(frame, specs=[("a", "cast:int")]).schema()["a"].dataType.typeName() == "integer"
    )
    # No choice types in the frame: make_struct and make_cols change nothing.
    assert _rows(ResolveChoice.apply(frame, choice="make_struct")) == [{"a": "1", "b": 2}]
    assert _rows(ResolveChoice.apply(frame, choice="make_cols")) == [{"a": "1", "b": 2}]
    assert _rows(ResolveChoice.apply(frame, specs=[("b", "project:string")])) == [{"a": "1", "b": "2"}]
    with pytest.raises(ValueError, match="both specified"):
        ResolveChoice.apply(frame, specs=[("a", "cast:int")], choice="make_struct")
    with pytest.raises(ValueError, match="both missing"):
        ResolveChoice.apply(frame)


def test_drop_null_fields_drops_all_null_columns_only(glue_context: Any) -> None:
    from awsglue.transforms import DropNullFields  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1, None, None), (2, None, "x")], "id long, empty string, sometimes string")
    assert _rows(DropNullFields.apply(frame=frame)) == [
        {"id": 1, "sometimes": None},
        {"id": 2, "sometimes": "x"},
    ]


def test_select_drop_rename_fields(glue_context: Any) -> None:
    from awsglue.transforms import DropFields, RenameField, SelectFields  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1, "a", (3, 4))], "id long, name string, s struct<x:int,y:int>")
    assert _rows(SelectFields.apply(frame, ["id", "s.y"])) == [{"id": 1, "s": {"y": 4}}]
    assert _rows(DropFields.apply(frame, ["name", "s.x"])) == [{"id": 1, "s": {"y": 4}}]
    assert _rows(RenameField.apply(frame, "name", "label")) == [
        {"id": 1, "label": "a", "s": {"x": 3, "y": 4}}
    ]
    assert _rows(RenameField.apply(frame, "s.x", "s.z")) == [{"id": 1, "name": "a", "s": {"y": 4, "z": 3}}]


def test_split_fields_returns_both_parts(glue_context: Any) -> None:
    from awsglue.transforms import SplitFields  # type: ignore[import-not-found]

    parts = SplitFields.apply(
        _frame(glue_context, [(1, "a", True)], "id long, name string, ok boolean"), ["id"], "ids", "rest"
    )
    assert sorted(parts.keys()) == ["ids", "rest"]
    assert _rows(parts["ids"]) == [{"id": 1}]
    assert _rows(parts.select("rest")) == [{"name": "a", "ok": True}]


def test_filter_and_map(glue_context: Any) -> None:
    from awsglue.transforms import Filter, Map  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1, "JP"), (2, "FR"), (3, None)], "id long, country string")
    assert _rows(Filter.apply(frame=frame, f=lambda r: r["country"] == "JP")) == [{"id": 1, "country": "JP"}]

    def label(record: Any) -> Any:
        record["label"] = record["country"].lower()  # fails on the null country: an error record
        return record

    assert sorted(_rows(Map.apply(frame=frame, f=label)), key=lambda r: r["id"]) == [
        {"id": 1, "country": "JP", "label": "jp"},
        {"id": 2, "country": "FR", "label": "fr"},
    ]


def test_join_keeps_fields_of_both(glue_context: Any) -> None:
    from awsglue.transforms import Join  # type: ignore[import-not-found]

    people = _frame(glue_context, [(1, "ann"), (2, "bob")], "org_id long, name string")
    orgs = _frame(glue_context, [(1, "acme")], "id long, org string")
    assert _rows(Join.apply(people, orgs, "org_id", "id")) == [
        {"org_id": 1, "name": "ann", "id": 1, "org": "acme"}
    ]


def test_relationalize_flattens_structs_and_pivots_arrays(glue_context: Any) -> None:
    from awsglue.transforms import Relationalize  # type: ignore[import-not-found]

    frame = _frame(
        glue_context,
        [("ann", ("JP",), [("u1",), ("u2",)], ["a"]), ("bob", ("FR",), [], ["b", "c"])],
        "name string, home struct<country:string>, images array<struct<url:string>>, tags array<string>",
    )
    tables = Relationalize.apply(frame=frame, staging_path="s3://unused/tmp/", name="root")
    assert sorted(tables.keys()) == ["root", "root_images", "root_tags"]
    assert _rows(tables["root"]) == [
        {"name": "ann", "home.country": "JP", "images": 1, "tags": 1},
        {"name": "bob", "home.country": "FR", "images": 2, "tags": 2},
    ]
    assert _rows(tables["root_images"]) == [
        {"id": 1, "index": 0, "images.val.url": "u1"},
        {"id": 1, "index": 1, "images.val.url": "u2"},
    ]
    assert _rows(tables["root_tags"]) == [
        {"id": 1, "index": 0, "tags.val": "a"},
        {"id": 2, "index": 0, "tags.val": "b"},
        {"id": 2, "index": 1, "tags.val": "c"},
    ]


def test_spigot_writes_a_sample_and_passes_the_frame(glue_context: Any, tmp_path: Any) -> None:
    from awsglue.transforms import Spigot  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(i,) for i in range(5)], "id long")
    out = Spigot.apply(frame, str(tmp_path / "sample"), options={"topk": 2})
    assert out.count() == 5
    lines = [
        json.loads(line) for f in (tmp_path / "sample").glob("part-*") for line in f.read_text().splitlines()
    ]
    assert len(lines) == 2


def test_unimplemented_apis_name_themselves(glue_context: Any) -> None:
    from awsglue._unsupported import NotSupportedLocally  # type: ignore[import-not-found]
    from awsglue.transforms import ErrorsAsDynamicFrame  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1,)], "id long")
    with pytest.raises(NotSupportedLocally, match=r"awsglue\.transforms\.ErrorsAsDynamicFrame is not"):
        ErrorsAsDynamicFrame.apply(frame)
    with pytest.raises(NotSupportedLocally, match=r"DynamicFrame\.unnest_ddb_json is not implemented"):
        frame.unnest_ddb_json()
    with pytest.raises(NotSupportedLocally, match=r"GlueContext\.purge_s3_path is not implemented"):
        glue_context.purge_s3_path("s3://b/p", {})
    with pytest.raises(NotSupportedLocally, match=r"connection_type 'dynamodb'"):
        glue_context.create_dynamic_frame.from_options("dynamodb", {})


def test_show_prints_json_records(glue_context: Any, capsys: Any) -> None:
    _frame(glue_context, [(1, "a")], "id long, name string").show()
    assert capsys.readouterr().out.strip() == '{"id": 1, "name": "a"}'


def test_print_schema_prints_the_schema_tree(glue_context: Any, capsys: Any) -> None:
    # printSchema() prints the schema of the frame's data:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html
    _frame(glue_context, [(1, "a")], "id long, name string").printSchema()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "root"
    assert [line.split("(")[0].strip() for line in lines[1:] if line.strip()] == [
        "|-- id: long",
        "|-- name: string",
    ]


@pytest.mark.parametrize("fmt", ["parquet", "orc", "csv", "json"])
def test_a_frame_without_fields_writes_nothing(glue_context: Any, tmp_path: Any, fmt: str) -> None:
    # A bookmarked read with no new file gives a frame without fields; the run goes on, nothing is
    # written (a job bookmark run processes only new data:
    # https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html). Spark's own writers
    # refuse it ("Datasource does not support writing empty or nested empty schemas").
    from awsglue import _s3io  # type: ignore[import-not-found]
    from pyspark.sql.types import StructType

    empty = glue_context.spark_session.createDataFrame([], StructType([]))

    _s3io.write(empty, str(tmp_path / "out"), fmt)

    assert not (tmp_path / "out").exists()


# The parameters of awsglue's own transforms and GlueContext methods, as awslabs/aws-glue-libs defines them
# (commit 0af215e71bba01eaa331b93d19f8d9090db06cb3: awsglue/transforms/*.py, awsglue/context.py, and the
# create_dynamic_frame / write_dynamic_frame / create_data_frame readers in awsglue/dynamicframe.py and
# awsglue/dataframereader.py). A script that passes a keyword awsglue does not take fails there with a
# TypeError, so it must fail here with one too, never run with the keyword ignored.
AWSGLUE_TRANSFORMS = {
    "ApplyMapping": "frame, mappings, case_sensitive=False, transformation_ctx='', info='', stageThreshold=0, "
    "totalThreshold=0",
    "ResolveChoice": "frame, specs=None, choice='', database=None, table_name=None, transformation_ctx='', "
    "info='', stageThreshold=0, totalThreshold=0, catalog_id=None",
    "DropNullFields": "frame, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "SelectFields": "frame, paths, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "DropFields": "frame, paths, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "RenameField": "frame, old_name, new_name, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "SplitFields": "frame, paths, name1=None, name2=None, transformation_ctx='', info='', stageThreshold=0, "
    "totalThreshold=0",
    "SplitRows": "frame, comparison_dict, name1='frame1', name2='frame2', transformation_ctx='', info=None, "
    "stageThreshold=0, totalThreshold=0",
    "Join": "frame1, frame2, keys1, keys2, transformation_ctx=''",
    "Spigot": "frame, path, options, transformation_ctx=''",
    "Filter": "frame, f, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "Map": "frame, f, preservesPartitioning=False, transformation_ctx='', info='', stageThreshold=0, "
    "totalThreshold=0",
    "Relationalize": "frame, staging_path=None, name='roottable', options=None, transformation_ctx='', info='', "
    "stageThreshold=0, totalThreshold=0",
    "Repartition": "frame, num_partitions, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "Coalesce": "frame, num_partitions, shuffle=False, transformation_ctx='', info='', stageThreshold=0, "
    "totalThreshold=0",
    "Union": "frame1, frame2, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
    "SelectFromCollection": "dfc, key, transformation_ctx=''",
    "MapToCollection": "dfc, callable, transformation_ctx=''",
    "FlatMap": "dfc, BaseTransform, frame_name, transformation_ctx='', **base_kwargs",
    "ErrorsAsDynamicFrame": "frame",
    "Unbox": "frame, path, format, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0, **options",
    "UnnestFrame": "frame, transformation_ctx='', info='', stageThreshold=0, totalThreshold=0",
}
_CATALOG_READ = (
    "database=None, table_name=None, redshift_tmp_dir='', transformation_ctx='', push_down_predicate='', "
    "additional_options={}, catalog_id=None, **kwargs"
)
_OPTIONS_READ = (
    "connection_type, connection_options={}, format=None, format_options={}, transformation_ctx='', "
    "push_down_predicate='', **kwargs"
)
_OPTIONS_WRITE = (
    "frame, connection_type, connection_options={}, format=None, format_options={}, transformation_ctx=''"
)
_CATALOG_WRITE = (
    "frame, database=None, table_name=None, redshift_tmp_dir='', transformation_ctx='', additional_options={}, "
    "catalog_id=None, **kwargs"
)
AWSGLUE_GLUE_CONTEXT = {
    "getSource": "connection_type, format=None, transformation_ctx='', push_down_predicate='', **options",
    "getSink": "connection_type, format=None, transformation_ctx='', **options",
    "get_catalog_schema_as_spark_schema": "database=None, table_name=None, catalog_id=None",
    "create_dynamic_frame_from_rdd": "data, name, schema=None, sample_ratio=None, transformation_ctx=''",
    "create_dynamic_frame_from_catalog": _CATALOG_READ,
    "create_data_frame_from_catalog": _CATALOG_READ,
    "create_dynamic_frame_from_options": _OPTIONS_READ,
    "create_data_frame_from_options": _OPTIONS_READ,
    "write_dynamic_frame_from_options": _OPTIONS_WRITE,
    "write_dynamic_frame_from_catalog": _CATALOG_WRITE,
    "get_logger": "",
    "currentTimeMillis": "",
    "create_dynamic_frame.from_rdd": "data, name, schema=None, sampleRatio=None",
    "create_dynamic_frame.from_options": _OPTIONS_READ,
    "create_dynamic_frame.from_catalog": _CATALOG_READ,
    "write_dynamic_frame.from_options": _OPTIONS_WRITE,
    "write_dynamic_frame.from_catalog": _CATALOG_WRITE,
    "create_data_frame.from_catalog": _CATALOG_READ,
    "create_data_frame.from_options": _OPTIONS_READ,
}


def _shape(parameters: str) -> list[tuple[str, str, bool]]:
    """(name, kind, has a default) of each parameter of ``def f(<parameters>)``."""
    import ast

    args = ast.parse(f"def f({parameters}): pass").body[0].args  # type: ignore[attr-defined]
    first_default = len(args.args) - len(args.defaults)
    out = [(a.arg, "POSITIONAL_OR_KEYWORD", i >= first_default) for i, a in enumerate(args.args)]
    return out + ([(args.kwarg.arg, "VAR_KEYWORD", False)] if args.kwarg else [])


def _local_shape(function: Any, skip_self: bool) -> list[tuple[str, str, bool]]:
    import inspect

    parameters = list(inspect.signature(function).parameters.values())[1 if skip_self else 0 :]
    return [(p.name, p.kind.name, p.default is not inspect.Parameter.empty) for p in parameters]


@pytest.mark.parametrize("name", sorted(AWSGLUE_TRANSFORMS))
def test_every_transform_takes_awsglues_parameters(glue_context: Any, name: str) -> None:
    import awsglue.transforms  # type: ignore[import-not-found]

    transform = getattr(awsglue.transforms, name)
    assert transform in awsglue.transforms.ALL_TRANSFORMS
    assert _local_shape(transform.__call__, skip_self=True) == _shape(AWSGLUE_TRANSFORMS[name])


def test_the_transforms_are_awsglues_set(glue_context: Any) -> None:
    import awsglue.transforms  # type: ignore[import-not-found]

    assert {t.__name__ for t in awsglue.transforms.ALL_TRANSFORMS} == set(AWSGLUE_TRANSFORMS)


@pytest.mark.parametrize("name", sorted(AWSGLUE_GLUE_CONTEXT))
def test_every_glue_context_method_takes_awsglues_parameters(glue_context: Any, name: str) -> None:
    owner, _, method = name.rpartition(".")
    function = getattr(getattr(glue_context, owner) if owner else glue_context, method)
    assert _local_shape(function, skip_self=False) == _shape(AWSGLUE_GLUE_CONTEXT[name])


def test_a_keyword_awsglue_does_not_take_raises_its_type_error(glue_context: Any, tmp_path: Any) -> None:
    # The probes: Filter ran with stage_threshold ignored, and ApplyMapping(mapping=...)
    # complained about a missing "mappings" instead of the unexpected "mapping".
    from awsglue.transforms import ApplyMapping, ErrorsAsDynamicFrame, Filter  # type: ignore[import-not-found]

    frame = _frame(glue_context, [(1,)], "id long")
    with pytest.raises(TypeError, match="unexpected keyword argument 'stage_threshold'"):
        Filter.apply(frame=frame, f=lambda r: True, stage_threshold=10)
    assert Filter.apply(frame=frame, f=lambda r: True, stageThreshold=10).count() == 1  # awsglue's name
    with pytest.raises(TypeError, match="unexpected keyword argument 'mapping'"):
        ApplyMapping.apply(frame=frame, mapping=[("id", "long", "id", "long")])
    with pytest.raises(TypeError, match="unexpected keyword argument 'transformation_ctx'"):
        ErrorsAsDynamicFrame.apply(frame=frame, transformation_ctx="errors")
    with pytest.raises(TypeError, match="unexpected keyword argument 'partitionKeys'"):
        glue_context.write_dynamic_frame.from_options(
            frame, "s3", {"path": str(tmp_path)}, "json", partitionKeys=["id"]
        )
