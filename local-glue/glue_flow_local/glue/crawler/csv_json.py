"""Glue's built-in CSV and JSON classifiers (and custom CSV classifiers): infer one object's schema.

Types follow Glue's built-in classifiers: ``bigint``, ``double``, ``boolean`` and ``string`` for CSV;
JSON adds ``struct<...>`` and ``array<...>``. A CSV value such as ``007`` is a ``bigint``, as in Glue.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: Glue's built-in CSV classifier tries these delimiters: comma, pipe, tab, semicolon, Ctrl-A.
CSV_DELIMITERS = ",|\t;\x01"
#: The crawler infers a CSV schema from the first 1,000 records or first megabyte.
SAMPLE_RECORDS = 1000
SAMPLE_BYTES = 1024 * 1024
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_BOOL_VALUES = frozenset({"true", "false"})
_COLUMN_NAME_RE = re.compile(r"^[^\x00-\x1f]{1,255}$")
# Widening order when two objects (or rows) disagree about a column.
_NUMERIC_WIDENING = {
    frozenset({"bigint", "double"}): "double",
    frozenset({"int", "bigint"}): "bigint",
    frozenset({"float", "double"}): "double",
    frozenset({"int", "double"}): "double",
    frozenset({"bigint", "float"}): "double",
}


class ClassifyError(Exception):
    """The classifier does not match the object; the message says why."""


@dataclass
class ObjectSchema:
    """The schema one classifier found in one object.

    :param classification: ``csv``, ``json``, ``parquet``, ``orc``, ``avro`` or ``UNKNOWN``.
    :param columns: ``(name, type)`` pairs in file order.
    :param properties: classifier details that go into the table (delimiter, header, quoting).
    :param record_count: number of data records read.
    :param compression: ``none``, ``gzip`` or ``bzip2`` (the table's ``compressionType``).
    """

    classification: str
    columns: list[tuple[str, str]]
    properties: dict[str, str] = field(default_factory=dict)
    record_count: int = 0
    compression: str = "none"


def value_type(value: str) -> str:
    """Glue CSV classifier type of one non-empty text value.

    :param value: the cell text.
    """
    if _INT_RE.match(value):
        return "bigint"
    if _FLOAT_RE.match(value):
        return "double"
    if value.lower() in _BOOL_VALUES:
        return "boolean"
    return "string"


def merge_types(left: str | None, right: str | None) -> str | None:
    """The type that holds values of both types (``None`` means no value seen yet).

    :param left: a column type or ``None``.
    :param right: another column type or ``None``.
    """
    if left is None or left == right:
        return right
    if right is None:
        return left
    widened = _NUMERIC_WIDENING.get(frozenset({left, right}))
    if widened:
        return widened
    if left.startswith("struct<") and right.startswith("struct<"):
        return _merge_structs(left, right)
    return "string"


@dataclass
class CsvOptions:
    """How to read a CSV object: the built-in classifier's detection, or a custom CSV classifier's settings.

    :param delimiter: the delimiter, or ``None`` to detect one of :data:`CSV_DELIMITERS`.
    :param quotechar: the quote symbol.
    :param header: ``UNKNOWN`` (detect), ``PRESENT`` or ``ABSENT``.
    :param names: column names to use instead of the header's or ``col0``, ``col1``, ...
    :param allow_single_column: accept one column (custom classifiers' AllowSingleColumn).
    :param trim: strip values before typing them.
    """

    delimiter: str | None = None
    quotechar: str = '"'
    header: str = "UNKNOWN"
    names: list[str] = field(default_factory=list)
    allow_single_column: bool = False
    trim: bool = True


def classify_csv(text: str, options: CsvOptions) -> ObjectSchema:
    """Infer a CSV object's schema like Glue's built-in CSV classifier (or a custom one).

    AWS's rules (https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html): delimiters comma,
    pipe, tab, semicolon and Ctrl-A; at least two columns and two rows; the first row is a header when
    every cell is a string, a valid column name, under 150 characters (the last column may be empty
    throughout), and some later row has a value that is not a string. Otherwise columns are ``col0``,
    ``col1``, ... as crawlers name them. Types come from the first 1,000 records.

    :param text: the decoded object text.
    :param options: delimiter, quoting and header settings.
    :raises ClassifyError: when the text is not CSV by these rules (the classifier does not match).
    """
    sample = text[:SAMPLE_BYTES]
    delimiters = [options.delimiter] if options.delimiter else list(CSV_DELIMITERS)
    best: tuple[str, list[list[str]]] | None = None
    for delimiter in delimiters:
        rows = _sample_rows(sample, delimiter, options.quotechar)
        widths = {len(row) for row in rows}
        if len(widths) == 1 and (best is None or len(rows[0]) > len(best[1][0])):
            best = (delimiter, rows)
    min_width = 1 if options.allow_single_column else 2
    if best is None or len(best[1][0]) < min_width or len(best[1]) < 2:
        raise ClassifyError(
            f"not CSV: no delimiter of {delimiters!r} gives rows of one width >= {min_width} over 2+ rows"
        )
    delimiter, rows = best
    if all(not row[-1] for row in rows) and len(rows[0]) > min_width:
        rows = [row[:-1] for row in rows]  # a trailing delimiter on every line adds no column
    width = len(rows[0])
    header = rows[0]
    body_types = _csv_column_types(rows[1:], width, options.trim)
    if options.header == "UNKNOWN":
        has_header = (
            len(set(header)) == width
            and all(_COLUMN_NAME_RE.match(name) and value_type(name) == "string" for name in header)
            and all(len(name) < 150 for name in header[:-1])
            and any(kind not in (None, "string") for kind in body_types)
        )
    else:
        has_header = options.header == "PRESENT"
    types = body_types if has_header else _csv_column_types(rows, width, options.trim)
    if options.names:
        names = [column_name(name) for name in options.names][:width]
        names += [f"col{index}" for index in range(len(names), width)]
    elif has_header:
        names = [column_name(name) for name in header]
    else:
        names = [f"col{index}" for index in range(width)]
    records = sum(1 for line in text.splitlines() if line.strip()) - (1 if has_header else 0)
    properties = {
        "delimiter": delimiter,
        "quoteChar": options.quotechar,
        "areColumnsQuoted": "true" if options.quotechar in sample else "false",
        "header": "true" if has_header else "false",
    }
    columns = [(name, kind or "string") for name, kind in zip(names, types, strict=True)]
    return ObjectSchema("csv", columns, properties, record_count=max(records, 0))


def classify_json(text: str) -> ObjectSchema:
    """Infer a JSON object's schema like Glue's built-in JSON classifier.

    JSON Lines give one record per line. A single JSON document is one record; a top-level array
    becomes one column named ``array``, as AWS's crawler makes it.

    :param text: the decoded object text.
    :raises ClassifyError: when the text is not JSON (the classifier does not match).
    """
    records: list[Any] = []
    try:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError:
        records = []
    if not records or not all(isinstance(record, dict) for record in records):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            raise ClassifyError(f"not JSON: {err.msg} at line {err.lineno}") from err
        if isinstance(document, list):
            return ObjectSchema("json", [("array", json_type(document) or "array<string>")], {}, 1)
        if not isinstance(document, dict):
            raise ClassifyError("not JSON: the document is not an object or an array")
        records = [document]
    types: dict[str, str | None] = {}
    for record in records:
        for name, value in record.items():
            key = column_name(name)
            types[key] = merge_types(types.get(key), json_type(value))
    if not types:
        raise ClassifyError("not JSON: no fields found")
    columns = [(name, kind or "string") for name, kind in types.items()]
    return ObjectSchema("json", columns, {}, record_count=len(records))


def json_type(value: Any) -> str | None:
    """Glue JSON classifier type of one JSON value (``None`` for null, which says nothing).

    :param value: a decoded JSON value.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, dict):
        fields = [f"{column_name(k)}:{json_type(v) or 'string'}" for k, v in value.items()]
        return f"struct<{','.join(fields)}>"
    if isinstance(value, list):
        element: str | None = None
        for item in value:
            element = merge_types(element, json_type(item))
        return f"array<{element or 'string'}>"
    return "string"


def column_name(name: str) -> str:
    """A column name as the catalog holds it: lower-cased, as Glue does (Hive is case-insensitive).

    :param name: the name in the data.
    """
    return name.strip().lower()


def _sample_rows(sample: str, delimiter: str, quotechar: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar=quotechar)
    rows = [row for row in itertools.islice(reader, SAMPLE_RECORDS + 1) if row]
    if len(sample) == SAMPLE_BYTES and len(rows) > 1:
        rows.pop()  # the sample cut the last row short
    return rows


def _csv_column_types(rows: list[list[str]], width: int, trim: bool) -> list[str | None]:
    types: list[str | None] = [None] * width
    for row in rows:
        for index, cell in enumerate(row[:width]):
            value = cell.strip() if trim else cell
            if value:
                types[index] = merge_types(types[index], value_type(value))
    return types


def _split_struct(kind: str) -> list[tuple[str, str]]:
    inner, fields, depth, start = kind[len("struct<") : -1], [], 0, 0
    for index, char in enumerate(inner + ","):
        if char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
        elif char == "," and depth == 0:
            name, _, field_type = inner[start:index].partition(":")
            fields.append((name, field_type))
            start = index + 1
    return fields


def _merge_structs(left: str, right: str) -> str:
    merged: dict[str, str | None] = dict(_split_struct(left))
    for name, kind in _split_struct(right):
        merged[name] = merge_types(merged.get(name), kind)
    return "struct<" + ",".join(f"{name}:{kind or 'string'}" for name, kind in merged.items()) + ">"
