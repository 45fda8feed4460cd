"""Pick the classifier for one object, in Glue's order: custom classifiers first, then the built-ins.

Built-in order (https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html): Avro, ORC, Parquet,
JSON, ..., XML, ..., CSV. gzip and bzip2 text is decompressed first and the table's ``compressionType``
says so. When no classifier matches, the classification is ``UNKNOWN`` and the crawl goes on, as on AWS.
"""

from __future__ import annotations

import bz2
import gzip
import zlib
from dataclasses import dataclass
from typing import Any

from glue_flow_local.glue.crawler.csv_json import (
    ClassifyError,
    CsvOptions,
    ObjectSchema,
    classify_csv,
    classify_json,
)
from glue_flow_local.glue.crawler.errors import CrawlError

UNKNOWN = "UNKNOWN"
# Compressions AWS classifies but the local Glue does not read: refused by name, never guessed.
_UNREAD_COMPRESSIONS = {
    b"PK\x03\x04": "zip",
    b"\x04\x22\x4d\x18": "lz4",
    b"\xff\x06\x00\x00sNaPpY": "snappy",
}
# A bzip2 stream is "BZh", a block size digit, then the block magic (pi in BCD).
_BZIP2_BLOCK = b"\x31\x41\x59\x26\x53\x59"
_CUSTOM_CSV_SERDES = {"OpenCSVSerDe", "LazySimpleSerDe", "None"}


@dataclass
class CustomCsv:
    """A custom CSV classifier as the crawl runs it.

    :param name: the classifier name.
    :param options: how to read the CSV.
    :param serde: ``OpenCSVSerDe``, ``LazySimpleSerDe`` or ``None`` (the crawler decides).
    """

    name: str
    options: CsvOptions
    serde: str = "None"


def custom_csv(definition: dict[str, Any]) -> CustomCsv:
    """Turn a stored classifier (``{"CsvClassifier": {...}}``) into a :class:`CustomCsv`.

    :param definition: what GetClassifier returns under ``Classifier``.
    :raises CrawlError: for classifier kinds or options the local Glue does not run.
    """
    kind = next(iter(definition))
    body = definition[kind]
    name = body.get("Name", "")
    if kind != "CsvClassifier":
        raise CrawlError(
            f"Classifier {name} is a {kind}: the local Glue runs custom CSV classifiers only "
            "(Grok, XML and JSON custom classifiers do not run locally)"
        )
    if body.get("CustomDatatypeConfigured"):
        raise CrawlError(
            f"Classifier {name} sets CustomDatatypeConfigured: custom CSV data types are not supported "
            "by the local Glue"
        )
    serde = body.get("Serde") or "None"
    if serde not in _CUSTOM_CSV_SERDES:
        raise CrawlError(f"Classifier {name} has an unknown Serde {serde!r}")
    header_mode = body.get("ContainsHeader") or "UNKNOWN"
    options = CsvOptions(
        delimiter=body.get("Delimiter") or ",",
        quotechar=body.get("QuoteSymbol") or '"',
        header=header_mode,
        names=[str(n) for n in body.get("Header") or []],
        allow_single_column=bool(body.get("AllowSingleColumn")),
        # DisableValueTrimming defaults to true: values are typed as they are.
        trim=body.get("DisableValueTrimming") is False,
    )
    return CustomCsv(name, options, serde)


def classify_object(uri: str, body: bytes, custom: list[CustomCsv]) -> ObjectSchema:
    """Classify one object and infer its schema.

    :param uri: the object's S3 URI, for messages.
    :param body: the raw object bytes.
    :param custom: the crawler's custom CSV classifiers, in the crawler's order.
    :raises CrawlError: for formats AWS reads that the local Glue does not (named in the message).
    """
    # pyarrow and fastavro load with the first crawl, not with the server.
    from glue_flow_local.glue.crawler import columnar

    kind = columnar.sniff(body)
    if kind:
        return columnar.classify_columnar(kind, body) or _unknown()
    compression, text_bytes = _decompress(uri, body)
    try:
        text = text_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Glue's text classifiers read UTF-8; bytes they cannot read match no classifier.
        return _unknown(compression)
    if "\x00" in text:
        return _unknown(compression)
    schema = _classify_text(uri, text, custom)
    schema.compression = compression
    return schema


def _classify_text(uri: str, text: str, custom: list[CustomCsv]) -> ObjectSchema:
    for classifier in custom:
        try:
            schema = classify_csv(text, classifier.options)
        except ClassifyError:
            continue
        schema.properties["classifier"] = classifier.name
        if classifier.serde != "None":
            schema.properties["serde"] = classifier.serde
        return schema
    start = text.lstrip()[:1]
    if start in ("{", "["):
        try:
            return classify_json(text)
        except ClassifyError:
            pass
    if start == "<":
        raise CrawlError(
            f"{uri} looks like XML: Glue's built-in XML classifier does not run in the local Glue"
        )
    try:
        return classify_csv(text, CsvOptions())
    except ClassifyError:
        return _unknown()


def _decompress(uri: str, body: bytes) -> tuple[str, bytes]:
    for magic, name in _UNREAD_COMPRESSIONS.items():
        if body.startswith(magic):
            raise CrawlError(f"{uri} is {name}-compressed: the local Glue reads gzip and bzip2 only")
    try:
        if body.startswith(b"\x1f\x8b"):
            return "gzip", gzip.decompress(body)
        if body[:3] == b"BZh" and body[3:4].isdigit() and body[4:10] == _BZIP2_BLOCK:
            return "bzip2", bz2.decompress(body)
    except (OSError, EOFError, ValueError, zlib.error):
        # A corrupt stream matches no classifier.
        return "none", b"\x00"
    return "none", body


def _unknown(compression: str = "none") -> ObjectSchema:
    return ObjectSchema(UNKNOWN, [], {}, record_count=0, compression=compression)
