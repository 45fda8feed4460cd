"""Glue's built-in CSV and JSON classifiers as the local Glue infers them (no server needed).

AWS's CSV rules: https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html (built-in CSV classifier).
"""

from __future__ import annotations

import pytest
from local_glue_support import SEED_COLUMNS
from local_glue_support import SEED_CSV_PATH as SEED_CSV

from glue_flow_local.glue.crawler.csv_json import (
    ClassifyError,
    CsvOptions,
    classify_csv,
    classify_json,
    merge_types,
    value_type,
)
from glue_flow_local.glue.crawler.scan import table_name


def test_seed_csv_schema_matches_glue():
    schema = classify_csv(SEED_CSV.read_text(encoding="utf-8"), CsvOptions())

    assert schema.classification == "csv"
    assert schema.columns == SEED_COLUMNS
    assert schema.properties["header"] == "true"
    assert schema.record_count == 19


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("007", "bigint"),
        ("-12", "bigint"),
        ("1.5", "double"),
        ("1e3", "double"),
        ("TRUE", "boolean"),
        ("JP", "string"),
    ],
)
def test_value_types(value, kind):
    assert value_type(value) == kind


def test_merge_widens_numbers_and_falls_back_to_string():
    assert merge_types("bigint", "double") == "double"
    assert merge_types("bigint", "string") == "string"
    assert merge_types(None, "boolean") == "boolean"
    assert merge_types("int", "bigint") == "bigint"
    assert merge_types("struct<a:bigint>", "struct<a:double,b:string>") == "struct<a:double,b:string>"


def test_all_string_csv_has_no_header_and_generic_names():
    schema = classify_csv("name,country\nalice,JP\nbob,FR\n", CsvOptions())

    assert schema.columns == [("col0", "string"), ("col1", "string")]
    assert schema.record_count == 3


@pytest.mark.parametrize("delimiter", ["\t", "|", ";", "\x01"], ids=["tab", "pipe", "semicolon", "ctrl-a"])
def test_csv_delimiter_is_detected(delimiter):
    text = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["x", "1", "2.5"]) + "\n"

    schema = classify_csv(text + text.splitlines()[1] + "\n", CsvOptions())

    assert schema.columns == [("a", "string"), ("b", "bigint"), ("c", "double")]
    assert schema.properties["delimiter"] == delimiter


def test_quoted_csv_keeps_delimiters_inside_quotes():
    schema = classify_csv('city,pop\n"Tokyo, JP",14\n"Paris, FR",2\n', CsvOptions())

    assert schema.columns == [("city", "string"), ("pop", "bigint")]
    assert schema.properties["areColumnsQuoted"] == "true"


@pytest.mark.parametrize(
    "text",
    ["a,b\n1,2\n1,2,3\n", "just one column\nof text\n", "a,b\n"],
    ids=["ragged", "one-column", "one-row"],
)
def test_text_that_breaks_aws_csv_rules_does_not_match(text):
    # At least two columns and two rows, one width throughout.
    with pytest.raises(ClassifyError, match="not CSV"):
        classify_csv(text, CsvOptions())


def test_header_cells_of_150_characters_are_data():
    long_name = "x" * 150
    schema = classify_csv(f"{long_name},b\nv,1\nw,2\n", CsvOptions())

    assert schema.properties["header"] == "false"
    assert [name for name, _ in schema.columns] == ["col0", "col1"]


def test_trailing_delimiter_adds_no_column():
    schema = classify_csv("a,b,\nx,1,\ny,2,\n", CsvOptions())

    assert schema.columns == [("a", "string"), ("b", "bigint")]


def test_custom_options_override_detection():
    options = CsvOptions(delimiter="#", header="ABSENT", names=["Id", "Label"], trim=False)

    schema = classify_csv("1#a\n2#b\n", options)

    assert schema.columns == [("id", "bigint"), ("label", "string")]
    assert (schema.properties["delimiter"], schema.record_count) == ("#", 2)


def test_json_lines_types():
    schema = classify_json('{"a": 1, "b": {"c": [1, 2.5]}}\n{"a": null, "d": true}\n')

    assert schema.columns == [("a", "bigint"), ("b", "struct<c:array<double>>"), ("d", "boolean")]
    assert schema.record_count == 2


def test_json_document_and_top_level_array():
    # A top-level array is one column named "array", as AWS's crawler makes it.
    assert classify_json('{\n  "a": 1,\n  "b": "x"\n}\n').columns == [("a", "bigint"), ("b", "string")]
    assert classify_json('[{"a": 1}, {"a": 2}]').columns == [("array", "array<struct<a:bigint>>")]
    with pytest.raises(ClassifyError, match="not JSON"):
        classify_json('{"a": 1}\n{"a": \n')


@pytest.mark.parametrize(
    ("prefix", "path", "name"),
    [
        ("se2_", "s3://test-glue00/se2/in0/", "se2_in0"),
        ("", "s3://b/My-Data", "my_data"),
        ("x_", "s3://bucket/", "x_bucket"),
    ],
)
def test_table_name_is_the_target_folder(prefix, path, name):
    assert table_name(prefix, path) == name


def test_crlf_csv_reads_like_lf():
    text = SEED_CSV.read_text(encoding="utf-8")

    schema = classify_csv(text.replace("\n", "\r\n"), CsvOptions())

    assert schema.columns == classify_csv(text, CsvOptions()).columns
    assert schema.record_count == 19
