"""Glue's readers over S3 and the Data Catalog: schema-on-read JSON, choice types, single-file tables.

AWS's DynamicFrame page (schema-on-read, each record self-describing; choice types):
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-dynamic-frame.html
ResolveChoice's actions (cast, make_cols giving columnA_int / columnA_string, make_struct, project):
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-ResolveChoice.html
"""

from __future__ import annotations

from typing import Any

import pytest

from .lake import moto_catalog, mount_bucket, write_json_lines

pytestmark = pytest.mark.slow

_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


def _json_table(client: Any, name: str, location: str, columns: list[tuple[str, str]], **extra: Any) -> None:
    # As the crawler stores a JSON table: lower-case column names, classification json.
    client.create_table(
        DatabaseName="db",
        TableInput={
            "Name": name,
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Location": location,
                "Columns": [{"Name": n, "Type": t} for n, t in columns],
                "SerdeInfo": {"SerializationLibrary": _JSON_SERDE},
            },
            **extra,
        },
    )


def _rows(frame: Any) -> list[dict[str, Any]]:
    return sorted(
        (row.asDict(recursive=True) for row in frame.toDF().collect()),
        key=lambda r: sorted(r.items(), key=str),
    )


def test_camel_case_json_keys_read_from_a_crawled_table_keep_their_values(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The probe: the crawler lower-cases customerName to customername; the reader gave null in
    # every camelCase column and the run succeeded.
    bucket, folder = mount_bucket(glue_context, tmp_path)
    write_json_lines(
        folder / "customers" / "part-1.json",
        [{"customerName": "Ann", "serialNumber": "s-1", "email": "a@x", "shareWithResearchAsOfDate": 16}],
    )
    with moto_catalog(monkeypatch) as client:
        _json_table(
            client,
            "customers",
            f"s3://{bucket}/customers/",
            [
                ("customername", "string"),
                ("serialnumber", "string"),
                ("email", "string"),
                ("sharewithresearchasofdate", "bigint"),
            ],
        )
        frame = glue_context.create_dynamic_frame.from_catalog(database="db", table_name="customers")
        rows = _rows(frame)
    assert rows == [
        {"customerName": "Ann", "serialNumber": "s-1", "email": "a@x", "shareWithResearchAsOfDate": 16}
    ]
    # Names resolve case-insensitively, as the catalog's lower-case names in a script do.
    from awsglue.transforms import ApplyMapping  # type: ignore[import-not-found]

    mapped = ApplyMapping.apply(frame=frame, mappings=[("customername", "string", "name", "string")])
    assert _rows(mapped) == [{"name": "Ann"}]


def test_a_json_table_with_partitions_reads_them_and_an_empty_one_has_the_catalog_columns(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket, folder = mount_bucket(glue_context, tmp_path)
    write_json_lines(folder / "events" / "year=2024" / "a.json", [{"eventId": 1, "kind": "x"}])
    with moto_catalog(monkeypatch) as client:
        _json_table(
            client,
            "events",
            f"s3://{bucket}/events/",
            [("eventid", "bigint"), ("kind", "string")],
            PartitionKeys=[{"Name": "year", "Type": "string"}],
        )
        _json_table(client, "nothing", f"s3://{bucket}/nothing/", [("eventid", "bigint")])
        rows = _rows(glue_context.create_dynamic_frame.from_catalog(database="db", table_name="events"))
        empty = glue_context.create_dynamic_frame.from_catalog(database="db", table_name="nothing")
        assert rows == [{"eventId": 1, "kind": "x", "year": "2024"}]
        assert empty.count() == 0 and empty.toDF().columns == ["eventid"]


def test_a_table_whose_location_is_one_file_is_read(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The crawler makes such a table for each file of a folder that holds several formats; reading one
    # failed with Spark's "Option 'basePath' must be a directory".
    bucket, folder = mount_bucket(glue_context, tmp_path)
    write_json_lines(folder / "mixed" / "persons.json", [{"id": 1, "name": "Ann"}])
    (folder / "mixed" / "notes.csv").write_text("a,b\n1,2\n")
    with moto_catalog(monkeypatch) as client:
        _json_table(
            client, "persons_json", f"s3://{bucket}/mixed/persons.json", [("id", "int"), ("name", "string")]
        )
        client.create_table(
            DatabaseName="db",
            TableInput={
                "Name": "persons_parquet",
                "Parameters": {"classification": "parquet"},
                "StorageDescriptor": {
                    "Location": f"s3://{bucket}/p/persons.parquet",
                    "Columns": [{"Name": "id", "Type": "bigint"}],
                },
            },
        )
        glue_context.spark_session.createDataFrame([(5,)], "id bigint").coalesce(1).write.parquet(
            str(folder / "p" / "tmp")
        )
        next((folder / "p" / "tmp").glob("part-*.parquet")).rename(folder / "p" / "persons.parquet")
        json_rows = _rows(
            glue_context.create_dynamic_frame.from_catalog(database="db", table_name="persons_json")
        )
        parquet_rows = _rows(
            glue_context.create_dynamic_frame.from_catalog(database="db", table_name="persons_parquet")
        )
    assert json_rows == [{"id": 1, "name": "Ann"}]
    assert parquet_rows == [{"id": 5}]


def _provider_frame(glue_context: Any, tmp_path: Any) -> Any:
    bucket, folder = mount_bucket(glue_context, tmp_path)
    write_json_lines(
        folder / "providers" / "a.json",
        [{"id": 1, "provider": 12}, {"id": 2, "provider": "acme"}, {"id": 3, "provider": None}],
    )
    return glue_context.create_dynamic_frame.from_options(
        "s3", {"paths": [f"s3://{bucket}/providers/"]}, "json"
    )


def test_mixed_types_in_a_json_field_make_a_choice(glue_context: Any, tmp_path: Any) -> None:
    frame = _provider_frame(glue_context, tmp_path)
    # toDF() of a choice is a struct of its members, each record's value under its own type.
    assert _rows(frame) == [
        {"id": 1, "provider": {"int": 12, "string": None}},
        {"id": 2, "provider": {"int": None, "string": "acme"}},
        {"id": 3, "provider": None},
    ]


def test_resolve_choice_gives_glues_shapes(glue_context: Any, tmp_path: Any) -> None:
    frame = _provider_frame(glue_context, tmp_path)
    make_cols = frame.resolveChoice(specs=[("provider", "make_cols")])
    assert make_cols.toDF().columns == ["id", "provider_int", "provider_string"]
    assert _rows(make_cols) == [
        {"id": 1, "provider_int": 12, "provider_string": None},
        {"id": 2, "provider_int": None, "provider_string": "acme"},
        {"id": 3, "provider_int": None, "provider_string": None},
    ]
    assert _rows(frame.resolveChoice(choice="make_cols")) == _rows(make_cols)
    struct = frame.resolveChoice(specs=[("provider", "make_struct")])
    assert struct.schema()["provider"].dataType.simpleString() == "struct<int:int,string:string>"
    cast = frame.resolveChoice(specs=[("provider", "cast:int")])
    assert [r["provider"] for r in _rows(cast)] == [12, None, None]
    assert cast.schema()["provider"].dataType.typeName() == "integer"
    as_string = frame.resolveChoice(specs=[("provider", "cast:string")])
    assert [r["provider"] for r in _rows(as_string)] == ["12", "acme", None]
    project = frame.resolveChoice(specs=[("provider", "project:string")])
    assert [r["provider"] for r in _rows(project)] == [None, "acme", None]
    # A resolved frame has no choice left: make_cols leaves it as it is.
    assert _rows(cast.resolveChoice(choice="make_cols")) == _rows(cast)


def test_resolve_choice_on_a_nested_or_array_path_is_refused_naming_it(
    glue_context: Any, tmp_path: Any
) -> None:
    # Glue keeps a choice wherever a field's values differ in type, nested ones too (AWS's ResolveChoice
    # page: specs paths such as "myList[].price"). The local frame keeps choices at top level only, where
    # Spark widened {"v": 1} and {"v": "x"} to text: make_cols gave the string unchanged and an array path
    # was skipped. Both are refused, naming the path; a cast still converts.
    from awsglue._unsupported import NotSupportedLocally  # type: ignore[import-not-found]

    bucket, folder = mount_bucket(glue_context, tmp_path)
    rows = [{"p": {"v": 1}, "items": [{"price": 1}]}, {"p": {"v": "x"}, "items": [{"price": "2"}]}]
    write_json_lines(folder / "nested" / "a.json", rows)
    frame = glue_context.create_dynamic_frame.from_options(
        "s3", {"paths": [f"s3://{bucket}/nested/"]}, "json"
    )
    for action in ("make_cols", "make_struct", "project:long"):
        with pytest.raises(NotSupportedLocally, match="nested field 'p.v'"):
            frame.resolveChoice(specs=[("p.v", action)])
    with pytest.raises(NotSupportedLocally, match=r"array path 'items\[\].price'"):
        frame.resolveChoice(specs=[("items[].price", "cast:long")])
    cast = frame.resolveChoice(specs=[("p.v", "cast:long")]).toDF().collect()
    assert sorted((r["p"]["v"] for r in cast), key=str) == [1, None]


def test_match_catalog_casts_a_choice_to_the_catalog_type(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _provider_frame(glue_context, tmp_path)
    with moto_catalog(monkeypatch) as client:
        _json_table(client, "providers", "s3://x/providers/", [("id", "bigint"), ("provider", "string")])
        matched = frame.resolveChoice(choice="match_catalog", database="db", table_name="providers")
        rows = _rows(matched)
    assert [r["provider"] for r in rows] == ["12", "acme", None]


def test_numbers_of_one_field_widen_and_make_no_choice(glue_context: Any, tmp_path: Any) -> None:
    bucket, folder = mount_bucket(glue_context, tmp_path)
    write_json_lines(folder / "n" / "a.json", [{"v": 1}, {"v": 2.5}])
    frame = glue_context.create_dynamic_frame.from_options("s3", {"paths": [f"s3://{bucket}/n/"]}, "json")
    assert [r["v"] for r in _rows(frame)] == [1.0, 2.5]


def test_filter_and_map_see_a_choice_fields_own_value(glue_context: Any, tmp_path: Any) -> None:
    from awsglue.transforms import Filter, Map  # type: ignore[import-not-found]

    frame = _provider_frame(glue_context, tmp_path)
    assert [r["id"] for r in _rows(Filter.apply(frame=frame, f=lambda r: r["provider"] == 12))] == [1]

    def kind(record: Any) -> Any:
        record["kind"] = type(record["provider"]).__name__
        return record

    mapped = Map.apply(frame=frame, f=kind)
    assert [(r["id"], r["kind"]) for r in _rows(mapped)] == [(1, "int"), (2, "str"), (3, "NoneType")]
    # The field Map passed on is still a choice.
    assert _rows(mapped.resolveChoice(specs=[("provider", "cast:string")]))[0]["provider"] == "12"


def test_csv_columns_of_numbers_and_text_make_a_choice(
    glue_context: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS's Medicare example: a crawled bigint "provider id" column whose records also hold text reads as
    # choice<long,string> (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html);
    # Spark's reader with the catalog schema read the text as null.
    bucket, folder = mount_bucket(glue_context, tmp_path)
    (folder / "providers").mkdir()
    (folder / "providers" / "a.csv").write_text("provider id,name\n10001,ann\nABC,bob\n10002,cy\n")
    inferred = glue_context.create_dynamic_frame.from_options(
        "s3", {"paths": [f"s3://{bucket}/providers/"]}, "csv", {"withHeader": True}
    )
    assert inferred.resolveChoice(specs=[("provider id", "make_cols")]).toDF().columns == [
        "provider id_long",
        "provider id_string",
        "name",
    ]
    with moto_catalog(monkeypatch) as client:
        client.create_table(
            DatabaseName="db",
            TableInput={
                "Name": "providers",
                "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
                "StorageDescriptor": {
                    "Location": f"s3://{bucket}/providers/",
                    "Columns": [
                        {"Name": "provider id", "Type": "bigint"},
                        {"Name": "name", "Type": "string"},
                    ],
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                        "Parameters": {"field.delim": ","},
                    },
                },
            },
        )
        frame = glue_context.create_dynamic_frame.from_catalog(database="db", table_name="providers")
        rows = [r.asDict(recursive=True) for r in frame.toDF().collect()]
    assert rows == [
        {"provider id": {"long": 10001, "string": None}, "name": "ann"},
        {"provider id": {"long": None, "string": "ABC"}, "name": "bob"},
        {"provider id": {"long": 10002, "string": None}, "name": "cy"},
    ]
    cast = frame.resolveChoice(specs=[("provider id", "cast:long")])
    assert [r["provider id"] for r in cast.toDF().collect()] == [10001, None, 10002]
    assert cast.schema()["provider id"].dataType.typeName() == "long"


def test_apply_mapping_converts_a_choice_and_text_sinks_write_each_records_value(
    glue_context: Any, tmp_path: Any
) -> None:
    # ApplyMapping with a target type converts each record's own value (casting the struct of members
    # failed); CSV and JSON sinks write the value, not the struct.
    from awsglue.transforms import ApplyMapping  # type: ignore[import-not-found]

    frame = _provider_frame(glue_context, tmp_path)
    mapped = ApplyMapping.apply(
        frame=frame, mappings=[("id", "long", "id", "long"), ("provider", "string", "provider", "string")]
    )
    assert [r["provider"] for r in _rows(mapped)] == ["12", "acme", None]
    out = tmp_path / "csv-out"
    glue_context.write_dynamic_frame.from_options(frame, "s3", {"path": str(out)}, "csv")
    lines = sorted(line for f in out.glob("part-*") for line in f.read_text().splitlines())
    assert lines == ["1,12", "2,acme", "3,", "id,provider"]


def test_a_make_struct_result_is_written_as_a_struct_by_text_sinks(glue_context: Any, tmp_path: Any) -> None:
    # make_struct resolves the choice into a struct field
    # (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-transforms-ResolveChoice.html),
    # so a JSON sink writes the struct; it wrote each record's value as text, as for an unresolved choice
    # (aws-glue-samples' resolve_choice.py writes its make_struct frame to JSON).
    import json

    struct = _provider_frame(glue_context, tmp_path).resolveChoice(specs=[("provider", "make_struct")])
    out = tmp_path / "json-out"
    glue_context.write_dynamic_frame.from_options(struct, "s3", {"path": str(out)}, "json")
    records = sorted(
        (json.loads(line) for f in out.glob("part-*") for line in f.read_text().splitlines()), key=str
    )
    assert records == [
        {"id": 1, "provider": {"int": 12}},
        {"id": 2, "provider": {"string": "acme"}},
        {"id": 3},
    ]
