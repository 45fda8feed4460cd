"""Classifier choice for one object: custom CSV first, then Glue's built-ins, else UNKNOWN (no server).

Order, compressions and the UNKNOWN fallback: https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html
"""

from __future__ import annotations

import bz2
import datetime as dt
import decimal
import gzip
import io
import json
import zipfile

import fastavro
import pyarrow as pa
import pyarrow.orc as pa_orc
import pyarrow.parquet as pq
import pytest

from glue_flow_local.glue.crawler.classifiers import classify_object, custom_csv
from glue_flow_local.glue.crawler.errors import CrawlError

CSV = b"name,count\nx,1\ny,2\n"
TABLE = pa.table(
    {
        "Id": pa.array([1, 2], pa.int64()),
        "small": pa.array([1, 2], pa.int32()),
        "score": pa.array([1.5, 2.5], pa.float64()),
        "ok": pa.array([True, False]),
        "name": pa.array(["a", "b"]),
        "day": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 2)]),
        "at": pa.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)], pa.timestamp("ms")),
        "price": pa.array([decimal.Decimal("1.25"), decimal.Decimal("2.50")], pa.decimal128(10, 2)),
        "tags": pa.array([["x"], []], pa.list_(pa.string())),
        "geo": pa.array([{"lat": 1.0}, {"lat": 2.0}]),
    }
)
TABLE_COLUMNS = [
    ("id", "bigint"),
    ("small", "int"),
    ("score", "double"),
    ("ok", "boolean"),
    ("name", "string"),
    ("day", "date"),
    ("at", "timestamp"),
    ("price", "decimal(10,2)"),
    ("tags", "array<string>"),
    ("geo", "struct<lat:double>"),
]


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(TABLE, out)
    return out.getvalue()


def _orc() -> bytes:
    out = io.BytesIO()
    pa_orc.write_table(TABLE, out)
    return out.getvalue()


def _avro() -> bytes:
    schema = {
        "type": "record",
        "name": "Event",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": ["null", "string"]},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
        ],
    }
    out = io.BytesIO()
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    fastavro.writer(
        out,
        schema,
        [{"id": 1, "name": "a", "at": at, "tags": ["x"]}, {"id": 2, "name": None, "at": at, "tags": []}],
    )
    return out.getvalue()


@pytest.mark.parametrize(("make", "kind"), [(_parquet, "parquet"), (_orc, "orc")])
def test_parquet_and_orc_schemas_come_from_the_file(make, kind):
    schema = classify_object("s3://b/k", make(), [])

    assert (schema.classification, schema.compression, schema.record_count) == (kind, "none", 2)
    assert schema.columns == TABLE_COLUMNS


def test_avro_schema_comes_from_the_file():
    schema = classify_object("s3://b/k", _avro(), [])

    assert (schema.classification, schema.record_count) == ("avro", 2)
    assert schema.columns == [
        ("id", "bigint"),
        ("name", "string"),
        ("at", "timestamp"),
        ("tags", "array<string>"),
    ]
    # AvroSerDe reads rows with the writer's schema, kept as it is in the file's header.
    assert json.loads(schema.properties["avro.schema.literal"])["name"] == "Event"


@pytest.mark.parametrize(("compress", "name"), [(gzip.compress, "gzip"), (bz2.compress, "bzip2")])
def test_compressed_text_is_classified_with_its_compression(compress, name):
    schema = classify_object("s3://b/k", compress(CSV), [])

    assert (schema.classification, schema.compression) == ("csv", name)
    assert schema.columns == [("name", "string"), ("count", "bigint")]


@pytest.mark.parametrize(
    "body",
    [
        "名前,数\nあ,1\nい,2\n".encode("cp932"),
        b"\x00\x01\x02binary",
        b"one line of prose\n",
        b"PAR1 not really parquet PAR1",
        b"\x1f\x8b broken gzip",
    ],
    ids=["cp932", "binary", "prose", "corrupt-parquet", "corrupt-gzip"],
)
def test_what_no_classifier_matches_is_unknown(body):
    schema = classify_object("s3://b/k", body, [])

    assert (schema.classification, schema.columns) == ("UNKNOWN", [])


def test_text_starting_like_bzip2_is_still_text():
    schema = classify_object("s3://b/k", b"BZh,count\nx,1\ny,2\n", [])

    assert (schema.classification, schema.compression) == ("csv", "none")


@pytest.mark.parametrize(
    ("body", "feature"),
    [(b"<?xml version='1.0'?><rows><row a='1'/></rows>", "XML classifier"), (b"", "zip-compressed")],
    ids=["xml", "zip"],
)
def test_formats_aws_reads_but_the_local_glue_does_not_are_refused_by_name(body, feature):
    if not body:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("a.csv", CSV)
        body = out.getvalue()

    with pytest.raises(CrawlError, match=feature):
        classify_object("s3://b/k", body, [])


def test_custom_csv_classifier_is_tried_first():
    # https://docs.aws.amazon.com/glue/latest/webapi/API_CsvClassifier.html
    custom = custom_csv(
        {
            "CsvClassifier": {
                "Name": "hash",
                "Delimiter": "#",
                "ContainsHeader": "PRESENT",
                "Serde": "OpenCSVSerDe",
            }
        }
    )

    schema = classify_object("s3://b/k", b"id#label\n1#a\n2#b\n", [custom])
    fallback = classify_object("s3://b/k", CSV, [custom])

    assert schema.columns == [("id", "bigint"), ("label", "string")]
    assert (schema.properties["classifier"], schema.properties["serde"]) == ("hash", "OpenCSVSerDe")
    assert "classifier" not in fallback.properties and fallback.columns == [
        ("name", "string"),
        ("count", "bigint"),
    ]


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {"GrokClassifier": {"Name": "g", "Classification": "logs", "GrokPattern": "%{WORD:w}"}},
            "custom CSV classifiers only",
        ),
        ({"CsvClassifier": {"Name": "c", "CustomDatatypeConfigured": True}}, "custom CSV data types"),
    ],
)
def test_custom_classifiers_the_local_glue_cannot_run_are_refused(definition, message):
    with pytest.raises(CrawlError, match=message):
        custom_csv(definition)
