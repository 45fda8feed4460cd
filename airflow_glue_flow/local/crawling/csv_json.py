"""Glue's built-in CSV and JSON classifiers: read one object and infer its schema.

Types follow Glue's built-in classifiers: ``bigint``, ``double``, ``boolean`` and ``string`` for CSV;
JSON adds ``struct<...>`` and ``array<...>``. A CSV value such as ``007`` is a ``bigint``, as in Glue.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: Glue's built-in CSV classifier accepts these delimiters.
CSV_DELIMITERS = ",\t|;"
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_BOOL_VALUES = frozenset({"true", "false"})
_COLUMN_NAME_RE = re.compile(r"^[^\x00-\x1f]{1,255}$")
# Widening order when two objects (or rows) disagree about a column.
_NUMERIC_WIDENING = {("bigint", "double"): "double", ("double", "bigint"): "double"}


class ClassifyError(Exception):
    """The object cannot be read as CSV or JSON Lines; the message says why."""


@dataclass
class ObjectSchema:
    """The schema one classifier found in one object.

    :param classification: ``csv`` or ``json``.
    :param columns: ``(name, type)`` pairs in file order.
    :param properties: classifier details that go into the table (delimiter, header, quoting).
    :param record_count: number of data records read.
    """

    classification: str
    columns: list[tuple[str, str]]
    properties: dict[str, str] = field(default_factory=dict)
    record_count: int = 0


def decode_object(key: str, body: bytes) -> str:
    """Return the text of an object body, gunzipped when gzip-compressed.

    :param key: the object's S3 URI, for error messages.
    :param body: raw bytes.
    :raises ClassifyError: when the bytes are not UTF-8 text.
    """
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except OSError as err:
            raise ClassifyError(f"Unable to read {key}: corrupt gzip data ({err})") from err
    if b"\x00" in body:
        raise ClassifyError(f"Unable to read {key}: binary data, not CSV or JSON Lines text")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ClassifyError(
            f"Unable to read {key}: not UTF-8 text (invalid byte at offset {err.start}); "
            "Glue's built-in classifiers read UTF-8 only"
        ) from err


def classify(key: str, text: str) -> ObjectSchema:
    """Classify one object's text as JSON Lines or CSV and infer its schema.

    :param key: the object's S3 URI, for error messages.
    :param text: the decoded object text.
    :raises ClassifyError: when no classifier recognises the text.
    """
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        raise ClassifyError(f"No data in {key}: the object is empty")
    if first.startswith("{"):
        return classify_json_lines(key, text)
    return classify_csv(key, text)


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
    if (left, right) in _NUMERIC_WIDENING:
        return _NUMERIC_WIDENING[(left, right)]
    if left.startswith("struct<") and right.startswith("struct<"):
        return _merge_structs(left, right)
    return "string"


def classify_csv(key: str, text: str) -> ObjectSchema:
    """Infer a CSV object's schema like Glue's built-in CSV classifier.

    The first row is a header when every cell is a valid, distinct column name and some later row has
    a cell that is not a string; otherwise columns are named ``col0``, ``col1``, ... as in Glue.

    :param key: the object's S3 URI, for error messages.
    :param text: the decoded object text.
    :raises ClassifyError: when the text is not CSV with at least two columns.
    """
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS)
        delimiter, quotechar = dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        delimiter, quotechar = ",", '"'
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar) if row]
    if not rows:
        raise ClassifyError(f"No data in {key}: the object has no rows")
    width = len(rows[0])
    if width < 2:
        raise ClassifyError(
            f"Unable to classify {key}: not JSON Lines, and not CSV with at least two columns "
            f"(delimiters tried: comma, tab, pipe, semicolon)"
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise ClassifyError(
                f"Unable to read {key}: row {number} has {len(row)} fields, the first row has {width}"
            )
    quoted = quotechar in text
    header = rows[0]
    body_types = _csv_column_types(rows[1:], width)
    header_ok = (
        len(set(header)) == width
        and all(name and _COLUMN_NAME_RE.match(name) and value_type(name) == "string" for name in header)
        and any(kind not in (None, "string") for kind in body_types)
    )
    if header_ok:
        names = [_column_name(name) for name in header]
        types, data_rows = body_types, rows[1:]
    else:
        names = [f"col{index}" for index in range(width)]
        types, data_rows = _csv_column_types(rows, width), rows
    properties = {
        "delimiter": delimiter,
        "quoteChar": quotechar,
        "areColumnsQuoted": "true" if quoted else "false",
        "header": "true" if header_ok else "false",
    }
    columns = [(name, kind or "string") for name, kind in zip(names, types, strict=True)]
    return ObjectSchema("csv", columns, properties, record_count=len(data_rows))


def classify_json_lines(key: str, text: str) -> ObjectSchema:
    """Infer a JSON Lines object's schema like Glue's built-in JSON classifier.

    :param key: the object's S3 URI, for error messages.
    :param text: the decoded object text.
    :raises ClassifyError: when a line is not a JSON object.
    """
    types: dict[str, str | None] = {}
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ClassifyError(f"Unable to read {key}: line {number} is not valid JSON ({err.msg})") from err
        if not isinstance(record, dict):
            raise ClassifyError(f"Unable to read {key}: line {number} is not a JSON object")
        count += 1
        for name, value in record.items():
            types[name] = merge_types(types.get(name), json_type(value))
    if not types:
        raise ClassifyError(f"No data in {key}: no JSON fields found")
    columns = [(_column_name(name), kind or "string") for name, kind in types.items()]
    return ObjectSchema("json", columns, {}, record_count=count)


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
        fields = [f"{_column_name(k)}:{json_type(v) or 'string'}" for k, v in value.items()]
        return f"struct<{','.join(fields)}>"
    if isinstance(value, list):
        element: str | None = None
        for item in value:
            element = merge_types(element, json_type(item))
        return f"array<{element or 'string'}>"
    return "string"


def _csv_column_types(rows: list[list[str]], width: int) -> list[str | None]:
    types: list[str | None] = [None] * width
    for row in rows:
        for index, cell in enumerate(row):
            if cell.strip():
                types[index] = merge_types(types[index], value_type(cell.strip()))
    return types


def _column_name(name: str) -> str:
    # Glue lower-cases column names (Hive is case-insensitive).
    return name.strip().lower()


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
