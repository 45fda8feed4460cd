"""Scan a crawler's S3 targets: classify every object and group the objects into tables and partitions.

AWS's grouping (https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html and
https://repost.aws/knowledge-center/glue-crawler-detect-schema): the include path is one table when the
objects under it are compatible (same format and compression, schemas at least 70% alike) and sit at
the same folder depth. Its folders then become partitions: ``key=value`` folders give the key's name,
other folders ``partition_0``, ``partition_1``, ... Otherwise each folder and each file at that level
becomes its own table, named after it, and the same rule applies inside each folder.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glue_flow_local.glue.crawler.csv_json import ObjectSchema, merge_types
from glue_flow_local.glue.crawler.errors import CrawlError
from glue_flow_local.s3.uri import parse_s3_uri

#: Share of column names two schemas must have in common to be one table (AWS's 70% threshold).
SIMILARITY = 0.7


@dataclass
class ScannedObject:
    """One classified object.

    :param uri: the object's S3 URI.
    :param dirs: folder names between the table root and the object.
    :param name: the object's file name.
    :param size: bytes.
    :param schema: what the classifier found.
    """

    uri: str
    dirs: list[str]
    name: str
    size: int
    schema: ObjectSchema


@dataclass
class TablePlan:
    """What one group of objects becomes in the catalog.

    :param name: table name (TablePrefix included).
    :param location: the table's S3 URI, ending in ``/`` for a folder.
    :param schema: the merged schema of every object.
    :param partition_keys: partition key names, outermost first.
    :param partitions: partition values -> partition folder URI.
    :param partition_counts: partition values -> (objects, bytes, records) under that partition.
    :param object_count: objects read.
    :param size: total bytes read.
    """

    name: str
    location: str
    schema: ObjectSchema
    partition_keys: list[str] = field(default_factory=list)
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)
    partition_counts: dict[tuple[str, ...], tuple[int, int, int]] = field(default_factory=dict)
    object_count: int = 0
    size: int = 0


def table_name(prefix: str, target_path: str) -> str:
    """Glue's table name for an S3 target: its last path segment, lower-cased, with the prefix.

    :param prefix: the crawler's TablePrefix.
    :param target_path: the S3 target path.
    """
    bucket, key = parse_s3_uri(target_path)
    last = key.rstrip("/").rsplit("/", 1)[-1] if key.strip("/") else bucket
    return prefix + _sanitize(last)


def scan_target(
    s3: Any,
    target: dict[str, Any],
    prefix: str,
    classify: Callable[[str, bytes], ObjectSchema],
    log: Callable[[str], None],
    known_folders: frozenset[str] = frozenset(),
    combine: bool = False,
) -> tuple[list[TablePlan], set[str]]:
    """Read and classify every object under one S3 target and group them into table plans.

    :param s3: a boto3 S3 client.
    :param target: one entry of the crawler's ``Targets.S3Targets``.
    :param prefix: the crawler's TablePrefix.
    :param classify: classifies one object's bytes (given its URI).
    :param log: writes one crawl log line.
    :param known_folders: folder URIs to skip (crawled before, for RecrawlPolicy CRAWL_NEW_FOLDERS_ONLY).
    :param combine: CombineCompatibleSchemas: same format and compression suffice for one table.
    :returns: the table plans and the folder URIs that held objects.
    :raises CrawlError: when the bucket does not exist or an object cannot be read.
    """
    path = target["Path"]
    bucket, key_prefix = parse_s3_uri(path)
    objects = _list_objects(s3, bucket, key_prefix, path)
    single = len(objects) == 1 and objects[0]["Key"] == key_prefix and not key_prefix.endswith("/")
    if single:
        folder = key_prefix.rsplit("/", 1)[0] + "/" if "/" in key_prefix else ""
    else:
        folder = key_prefix if not key_prefix or key_prefix.endswith("/") else key_prefix + "/"
    scanned: list[ScannedObject] = []
    folders: set[str] = set()
    for obj in objects:
        key = obj["Key"]
        relative = key[len(folder) :]
        base = relative.rsplit("/", 1)[-1]
        if key.endswith("/") or base.startswith(("_", ".")) or _excluded(relative, target.get("Exclusions")):
            continue
        uri = f"s3://{bucket}/{key}"
        parent = uri.rsplit("/", 1)[0] + "/"
        folders.add(parent)
        if parent in known_folders:
            continue
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if not body.strip():
            log(f"INFO : Skipping empty object {uri}")
            continue
        schema = classify(uri, body)
        log(f"INFO : Classified {uri} as {schema.classification} with {len(schema.columns)} columns")
        scanned.append(ScannedObject(uri, relative.split("/")[:-1], base, len(body), schema))
    if not scanned:
        log(f"INFO : No new data under {path}: no table created or changed")
        return [], folders
    root_name = table_name(prefix, path)
    location = path if single else f"s3://{bucket}/{folder}"
    return _group(scanned, 0, root_name, location, prefix, combine), folders


def merge_schemas(left: ObjectSchema, right: ObjectSchema) -> ObjectSchema:
    """One schema for two compatible objects: every column of both, types widened.

    :param left: the schema so far.
    :param right: another object's schema.
    """
    merged: dict[str, str | None] = dict(left.columns)
    for name, kind in right.columns:
        merged[name] = merge_types(merged.get(name), kind)
    properties = dict(left.properties)
    if right.properties.get("areColumnsQuoted") == "true":
        properties["areColumnsQuoted"] = "true"
    return ObjectSchema(
        left.classification,
        [(name, kind or "string") for name, kind in merged.items()],
        properties,
        left.record_count + right.record_count,
        left.compression,
    )


def compatible(left: ObjectSchema, right: ObjectSchema, combine: bool = False) -> bool:
    """Whether two objects can be one table: same format and compression, similar schemas.

    CSV is positional, so CSV objects must have the same delimiter, header and column names.

    :param left: one schema.
    :param right: another schema.
    :param combine: CombineCompatibleSchemas: skip the similarity check (CSV still needs one layout).
    """
    if (left.classification, left.compression) != (right.classification, right.compression):
        return False
    if left.classification == "csv":
        keys = ("delimiter", "header")
        same_layout = all(left.properties.get(k) == right.properties.get(k) for k in keys)
        return same_layout and [n for n, _ in left.columns] == [n for n, _ in right.columns]
    if combine:
        return True
    names_left = {name for name, _ in left.columns}
    names_right = {name for name, _ in right.columns}
    widest = max(len(names_left), len(names_right))
    return widest == 0 or len(names_left & names_right) / widest >= SIMILARITY


def _group(
    objects: list[ScannedObject], depth: int, name: str, location: str, prefix: str, combine: bool
) -> list[TablePlan]:
    depths = {len(obj.dirs) for obj in objects}
    first = objects[0].schema
    if len(depths) == 1 and all(compatible(first, obj.schema, combine) for obj in objects[1:]):
        return [_plan(objects, depth, name, location)]
    plans: list[TablePlan] = []
    children: dict[str, list[ScannedObject]] = {}
    for obj in objects:
        if len(obj.dirs) == depth:
            plans.append(_plan([obj], depth, prefix + _sanitize(obj.name), obj.uri))
        else:
            children.setdefault(obj.dirs[depth], []).append(obj)
    for folder, members in sorted(children.items()):
        plans += _group(
            members, depth + 1, prefix + _sanitize(folder), f"{location}{folder}/", prefix, combine
        )
    return plans


def _plan(objects: list[ScannedObject], depth: int, name: str, location: str) -> TablePlan:
    schema = objects[0].schema
    for obj in objects[1:]:
        schema = merge_schemas(schema, obj.schema)
    levels = len(objects[0].dirs) - depth
    keys = [_partition_key([obj.dirs[depth + i] for obj in objects], i) for i in range(levels)]
    plan = TablePlan(name, location, schema, partition_keys=keys)
    for obj in objects:
        dirs = obj.dirs[depth:]
        values = tuple(
            seg.split("=", 1)[1] if key != f"partition_{i}" else seg
            for i, (seg, key) in enumerate(zip(dirs, keys, strict=True))
        )
        if dirs:
            plan.partitions[values] = f"{location}{'/'.join(dirs)}/"
            objects_in, size_in, records_in = plan.partition_counts.get(values, (0, 0, 0))
            plan.partition_counts[values] = (
                objects_in + 1,
                size_in + obj.size,
                records_in + obj.schema.record_count,
            )
        plan.object_count += 1
        plan.size += obj.size
    return plan


def _partition_key(segments: list[str], level: int) -> str:
    names = {seg.split("=", 1)[0].lower() if "=" in seg else None for seg in segments}
    only = next(iter(names))
    return only if len(names) == 1 and only else f"partition_{level}"


def _sanitize(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


def _list_objects(s3: Any, bucket: str, key_prefix: str, path: str) -> list[dict[str, Any]]:
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key_prefix)
        objects = [obj for page in pages for obj in page.get("Contents", [])]
    except s3.exceptions.NoSuchBucket as err:
        raise CrawlError(f"Unable to crawl {path}: bucket {bucket} does not exist") from err
    # A prefix without a trailing slash names a folder or one object, never "every key starting with".
    if key_prefix and not key_prefix.endswith("/"):
        objects = [o for o in objects if o["Key"] == key_prefix or o["Key"].startswith(key_prefix + "/")]
    return sorted(objects, key=lambda o: o["Key"])


def _excluded(relative: str, patterns: list[str] | None) -> bool:
    return any(fnmatch.fnmatchcase(relative, pattern.replace("**", "*")) for pattern in patterns or [])
