"""A crawler's ``Configuration`` JSON: the options the local Glue applies, and the ones it refuses.

Applied (https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html):
``Grouping.TableGroupingPolicy`` ``CombineCompatibleSchemas`` (one schema per include path when the
data is compatible), ``CrawlerOutput.Tables.AddOrUpdateBehavior`` ``MergeNewColumns`` (only add
columns), ``CrawlerOutput.Tables.TableThreshold`` and ``CrawlerOutput.Partitions.AddOrUpdateBehavior``
``InheritFromTable`` (partitions take the table's schema). ``Version`` and ``CreatePartitionIndex`` are
accepted; anything else fails the crawl, naming the option.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from glue_flow_local.glue.crawler.errors import CrawlError

_ACCEPTED = {
    ("Version",),
    ("CreatePartitionIndex",),
    ("Grouping", "TableGroupingPolicy"),
    ("CrawlerOutput", "Tables", "AddOrUpdateBehavior"),
    ("CrawlerOutput", "Tables", "TableThreshold"),
    ("CrawlerOutput", "Partitions", "AddOrUpdateBehavior"),
}


@dataclass(frozen=True)
class CrawlerOptions:
    """What a crawler's Configuration asks for.

    :param combine: CombineCompatibleSchemas: compatible data is one table whatever its similarity.
    :param merge_new_columns: MergeNewColumns: an update only adds columns.
    :param inherit_from_table: InheritFromTable: every partition takes the table's schema.
    :param table_threshold: the most tables a crawl may make, or ``None``.
    """

    combine: bool = False
    merge_new_columns: bool = False
    inherit_from_table: bool = False
    table_threshold: int | None = None


def crawler_options(crawler: dict[str, Any]) -> CrawlerOptions:
    """Read a crawler's ``Configuration``.

    :param crawler: the crawler definition.
    :raises CrawlError: for JSON that does not parse and for options the local Glue does not apply.
    """
    raw = crawler.get("Configuration")
    if not raw:
        return CrawlerOptions()
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as err:
        raise CrawlError(f"Crawler {crawler['Name']} Configuration is not JSON: {err.msg}") from err
    unknown = sorted(".".join(path) for path in _leaves(config) if path not in _ACCEPTED)
    if unknown:
        raise CrawlError(
            f"Crawler {crawler['Name']} Configuration sets {', '.join(unknown)}: not applied by the local Glue"
        )
    tables = (config.get("CrawlerOutput") or {}).get("Tables") or {}
    partitions = (config.get("CrawlerOutput") or {}).get("Partitions") or {}
    threshold = tables.get("TableThreshold")
    return CrawlerOptions(
        combine=(config.get("Grouping") or {}).get("TableGroupingPolicy") == "CombineCompatibleSchemas",
        merge_new_columns=tables.get("AddOrUpdateBehavior") == "MergeNewColumns",
        inherit_from_table=partitions.get("AddOrUpdateBehavior") == "InheritFromTable",
        table_threshold=int(threshold) if threshold is not None else None,
    )


def _leaves(config: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    leaves: list[tuple[str, ...]] = []
    for key, value in config.items():
        if isinstance(value, dict):
            leaves += _leaves(value, (*path, key))
        else:
            leaves.append((*path, key))
    return leaves
