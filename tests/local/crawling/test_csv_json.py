"""Glue's built-in CSV and JSON classifiers as the local Glue infers them (no server needed)."""

from __future__ import annotations

import gzip

import pytest

from airflow_glue_flow.local.crawling.csv_json import (
    ClassifyError,
    classify,
    decode_object,
    merge_types,
    value_type,
)
from airflow_glue_flow.local.crawling.scan import table_name
from tests.conftest import REPO_ROOT
from tests.local_glue import SEED_COLUMNS

SEED_CSV = REPO_ROOT / "dags" / "data" / "csvlog.csv"


def test_seed_csv_schema_matches_glue():
    schema = classify("s3://b/k", SEED_CSV.read_text(encoding="utf-8"))

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
    assert merge_types("struct<a:bigint>", "struct<a:double,b:string>") == "struct<a:double,b:string>"


def test_all_string_csv_has_no_header_and_generic_names():
    schema = classify("s3://b/k", "name,country\nalice,JP\nbob,FR\n")

    assert schema.columns == [("col0", "string"), ("col1", "string")]
    assert schema.record_count == 3


@pytest.mark.parametrize("delimiter", ["\t", "|", ";"])
def test_csv_delimiter_is_detected(delimiter):
    text = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["x", "1", "2.5"]) + "\n"

    schema = classify("s3://b/k", text + text.splitlines()[1] + "\n")

    assert schema.columns == [("a", "string"), ("b", "bigint"), ("c", "double")]
    assert schema.properties["delimiter"] == delimiter


def test_quoted_csv_keeps_delimiters_inside_quotes():
    schema = classify("s3://b/k", 'city,pop\n"Tokyo, JP",14\n"Paris, FR",2\n')

    assert schema.columns == [("city", "string"), ("pop", "bigint")]
    assert schema.properties["areColumnsQuoted"] == "true"


def test_ragged_csv_is_unreadable():
    with pytest.raises(ClassifyError, match="row 3 has 3 fields"):
        classify("s3://b/k", "a,b\n1,2\n1,2,3\n")


def test_json_lines_types_and_invalid_line():
    schema = classify("s3://b/k", '{"a": 1, "b": {"c": [1, 2.5]}}\n{"a": null, "d": true}\n')
    assert schema.columns == [("a", "bigint"), ("b", "struct<c:array<double>>"), ("d", "boolean")]

    with pytest.raises(ClassifyError, match="line 2 is not valid JSON"):
        classify("s3://b/k", '{"a": 1}\n{"a": \n')


def test_decode_rejects_non_utf8_and_reads_gzip():
    with pytest.raises(ClassifyError, match="not UTF-8"):
        decode_object("s3://b/k", "デバイス,id\n".encode("cp932"))

    assert decode_object("s3://b/k", gzip.compress(b"a,b\n1,2\n")) == "a,b\n1,2\n"


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


def test_crlf_and_bom_csv_reads_like_lf():
    text = SEED_CSV.read_text(encoding="utf-8")
    body = ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")

    schema = classify("s3://b/k", decode_object("s3://b/k", body))

    assert schema.columns == classify("s3://b/k", text).columns
    assert schema.record_count == 19
