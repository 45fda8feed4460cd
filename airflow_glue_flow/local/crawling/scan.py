"""Scan a crawler's S3 targets: read and classify every object and plan one table per target.

One table per S3 target, named after the target's last folder (``s3://b/se2/in0/`` -> ``in0``, with
the crawler's TablePrefix in front), with ``key=value/`` folders as string partition keys.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_glue_flow.local.crawling.csv_json import (
    ClassifyError,
    ObjectSchema,
    classify,
    decode_object,
    merge_types,
)
from airflow_glue_flow.local.crawling.errors import CrawlError
from airflow_glue_flow.local.s3uri import parse_s3_uri


@dataclass
class TablePlan:
    """What one S3 target becomes in the catalog.

    :param name: table name (TablePrefix included).
    :param location: the target's S3 URI, ending in ``/`` for a folder.
    :param schema: the merged schema of every object.
    :param partition_keys: partition key names, outermost first.
    :param partitions: partition values -> partition folder URI.
    :param object_count: objects read.
    :param size: total bytes read.
    """

    name: str
    location: str
    schema: ObjectSchema
    partition_keys: list[str] = field(default_factory=list)
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)
    object_count: int = 0
    size: int = 0


def table_name(prefix: str, target_path: str) -> str:
    """Glue's table name for an S3 target: its last path segment, lower-cased, with the prefix.

    :param prefix: the crawler's TablePrefix.
    :param target_path: the S3 target path.
    """
    bucket, key = parse_s3_uri(target_path)
    last = key.rstrip("/").rsplit("/", 1)[-1] if key.strip("/") else bucket
    return prefix + re.sub(r"[^a-z0-9_]", "_", last.lower())


def plan_target(s3: Any, target: dict[str, Any], prefix: str, log: Callable[[str], None]) -> TablePlan:
    """Read every object under one S3 target and merge them into one table plan.

    :param s3: a boto3 S3 client.
    :param target: one entry of the crawler's ``Targets.S3Targets``.
    :param prefix: the crawler's TablePrefix.
    :param log: writes one crawl log line.
    :raises CrawlError: on unreadable objects, no data, or schemas that cannot be merged.
    """
    path = target["Path"]
    bucket, key_prefix = parse_s3_uri(path)
    exclusions = target.get("Exclusions") or []
    objects = _list_objects(s3, bucket, key_prefix, path)
    single_object = len(objects) == 1 and objects[0]["Key"] == key_prefix and not key_prefix.endswith("/")
    folder = key_prefix if (single_object or not key_prefix or key_prefix.endswith("/")) else key_prefix + "/"
    if single_object:
        folder = key_prefix.rsplit("/", 1)[0] + "/" if "/" in key_prefix else ""
    plan: TablePlan | None = None
    key_names: list[str] | None = None
    for obj in objects:
        key = obj["Key"]
        relative = key[len(folder) :]
        base = relative.rsplit("/", 1)[-1]
        if key.endswith("/") or base.startswith(("_", ".")) or _excluded(relative, exclusions):
            continue
        uri = f"s3://{bucket}/{key}"
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if not body.strip():
            log(f"INFO : Skipping empty object {uri}")
            continue
        try:
            schema = classify(uri, decode_object(uri, body))
        except ClassifyError as err:
            raise CrawlError(str(err)) from err
        dirs = relative.split("/")[:-1]
        names = [
            seg.split("=", 1)[0].lower() if "=" in seg else f"partition_{i}" for i, seg in enumerate(dirs)
        ]
        values = tuple(seg.split("=", 1)[1] if "=" in seg else seg for seg in dirs)
        if key_names is None:
            key_names = names
        elif names != key_names:
            raise CrawlError(
                f"Cannot merge schemas under {path}: {uri} is under partition folders {names}, "
                f"earlier objects under {key_names}"
            )
        log(f"INFO : Classified {uri} as {schema.classification} with {len(schema.columns)} columns")
        if plan is None:
            location = path if single_object else f"s3://{bucket}/{folder}"
            plan = TablePlan(table_name(prefix, path), location, schema, partition_keys=names)
        else:
            plan.schema = _merge_schemas(path, plan.schema, schema, uri)
        if dirs:
            plan.partitions[values] = f"s3://{bucket}/{folder}{'/'.join(dirs)}/"
        plan.object_count += 1
        plan.size += len(body)
    if plan is None:
        raise CrawlError(f"No data found under {path}: no readable CSV or JSON Lines object")
    clash = set(plan.partition_keys) & {name for name, _ in plan.schema.columns}
    if clash:
        raise CrawlError(f"Cannot create table {plan.name}: partition keys {sorted(clash)} are also columns")
    return plan


def _merge_schemas(path: str, left: ObjectSchema, right: ObjectSchema, uri: str) -> ObjectSchema:
    if left.classification != right.classification:
        raise CrawlError(
            f"Cannot merge schemas under {path}: {uri} is {right.classification}, earlier objects are "
            f"{left.classification}"
        )
    if left.classification == "csv":
        left_names = [name for name, _ in left.columns]
        right_names = [name for name, _ in right.columns]
        if left_names != right_names or left.properties["delimiter"] != right.properties["delimiter"]:
            raise CrawlError(
                f"Cannot merge schemas under {path}: {uri} has columns {right_names}, earlier objects have "
                f"{left_names}"
            )
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
    )


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


def _excluded(relative: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(relative, pattern.replace("**", "*")) for pattern in patterns)
