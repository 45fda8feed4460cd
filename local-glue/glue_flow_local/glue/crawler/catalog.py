"""Write a crawl's table plans to the Data Catalog, following the crawler's SchemaChangePolicy.

New tables and partitions are always created; UpdateBehavior decides whether changed tables are
updated, DeleteBehavior what happens to the crawler's tables and partitions whose data is gone
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-glue-crawler-schemachangepolicy.html).
Every create tolerates AlreadyExistsException, so crawls running at once never fail on each other's
database, table or partitions.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glue_flow_local.glue.crawler.configuration import CrawlerOptions
from glue_flow_local.glue.crawler.errors import CrawlError
from glue_flow_local.glue.crawler.formats import storage_descriptor, table_parameters
from glue_flow_local.glue.crawler.scan import TablePlan

#: Table parameter a crawler sets (to epoch milliseconds) on a table whose data is gone.
DEPRECATED = "DEPRECATED_BY_CRAWLER"
# What a crawler compares to decide whether a table changed.
_SCHEMA_FIELDS = ("Columns", "InputFormat", "OutputFormat", "SerdeInfo")


@dataclass
class CrawlOutcome:
    """Counts a finished crawl reports through GetCrawlerMetrics."""

    tables_created: int = 0
    tables_updated: int = 0
    tables_deleted: int = 0


@dataclass
class CatalogWriter:
    """Writes one crawl's plans.

    :param glue: a boto3 Glue client.
    :param crawler: the crawler definition (Name, DatabaseName, SchemaChangePolicy).
    :param crawl_id: this crawl's id (the tables' ``CRAWL_RUN_ID``).
    :param log: writes one crawl log line.
    :param options: what the crawler's Configuration asks for.
    """

    glue: Any
    crawler: dict[str, Any]
    crawl_id: str
    log: Callable[[str], None]
    options: CrawlerOptions = field(default_factory=CrawlerOptions)

    @property
    def database(self) -> str:
        return self.crawler["DatabaseName"]

    def _policy(self, field: str, default: str) -> str:
        return (self.crawler.get("SchemaChangePolicy") or {}).get(field) or default

    def write(self, plans: list[TablePlan], full_crawl: bool) -> CrawlOutcome:
        """Create or update the planned tables and partitions; on a full crawl, handle what is gone.

        :param plans: the table plans of every target.
        :param full_crawl: ``False`` for an incremental crawl, which never deletes or deprecates.
        """
        threshold = self.options.table_threshold
        if threshold is not None and len(plans) > threshold:
            raise CrawlError(
                f"The number of tables detected by crawler: {len(plans)} is greater than the table threshold "
                f"value provided: {threshold}"
            )
        outcome = CrawlOutcome()
        self._ensure_database()
        for plan in plans:
            table_input = _table_input(plan, self.crawler["Name"], self.crawl_id)
            result = self._write_table(plan, table_input)
            outcome.tables_created += result == "created"
            outcome.tables_updated += result == "updated"
            inherit = result == "updated" and self.options.inherit_from_table
            self._write_partitions(plan, table_input["StorageDescriptor"], full_crawl, inherit)
        if full_crawl:
            deleted, deprecated = self._handle_gone_tables({plan.name for plan in plans})
            outcome.tables_deleted += deleted
            outcome.tables_updated += deprecated
        return outcome

    def _ensure_database(self) -> None:
        try:
            self.glue.create_database(DatabaseInput={"Name": self.database})
            self.log(f"INFO : Created database {self.database}")
        except self.glue.exceptions.AlreadyExistsException:
            pass

    def _write_table(self, plan: TablePlan, table_input: dict[str, Any]) -> str:
        if plan.partition_keys and set(plan.partition_keys) & {name for name, _ in plan.schema.columns}:
            self.log(
                f"WARN : Table {plan.name} has partition keys {plan.partition_keys} that are also columns"
            )
        existing = self._create_table(plan, table_input)
        if existing is not None and existing["StorageDescriptor"].get("Location") != plan.location:
            # Another location already has this name: AWS names the new table with a hash suffix.
            suffixed = f"{plan.name}_{hashlib.md5(plan.location.encode()).hexdigest()}"
            self.log(
                f"INFO : Table {plan.name} holds {existing['StorageDescriptor'].get('Location')}; {plan.location} goes to table {suffixed}"
            )
            plan.name = table_input["Name"] = suffixed
            existing = self._create_table(plan, table_input)
        if existing is None:
            return "created"
        if self.options.merge_new_columns:
            # MergeNewColumns: keep every existing column as it is; only append the new ones.
            kept = existing["StorageDescriptor"].get("Columns") or []
            names = {column["Name"] for column in kept}
            found = table_input["StorageDescriptor"]["Columns"]
            table_input["StorageDescriptor"]["Columns"] = kept + [c for c in found if c["Name"] not in names]
        changed = _schema_changed(existing, table_input)
        if self._policy("UpdateBehavior", "UPDATE_IN_DATABASE") == "LOG":
            if changed:
                self.log(
                    f"INFO : Table {plan.name} changed; not updated: SchemaChangePolicy.UpdateBehavior is LOG"
                )
            return "unchanged"
        # Keep what others set on the table; the crawler owns its own parameters.
        kept = {k: v for k, v in (existing.get("Parameters") or {}).items() if k != DEPRECATED}
        table_input["Parameters"] = {**kept, **table_input["Parameters"]}
        for key in ("Description", "Owner"):
            if key in existing:
                table_input[key] = existing[key]
        self.glue.update_table(DatabaseName=self.database, TableInput=table_input)
        if not changed and DEPRECATED not in (existing.get("Parameters") or {}):
            return "unchanged"
        self.log(f"INFO : Updated table {plan.name} in database {self.database}")
        return "updated"

    def _create_table(self, plan: TablePlan, table_input: dict[str, Any]) -> dict[str, Any] | None:
        """Create the table; when it exists already, return it instead."""
        try:
            self.glue.create_table(DatabaseName=self.database, TableInput=table_input)
        except self.glue.exceptions.AlreadyExistsException:
            return self.glue.get_table(DatabaseName=self.database, Name=plan.name)["Table"]
        self.log(f"INFO : Created table {plan.name} in database {self.database}")
        return None

    def _write_partitions(
        self, plan: TablePlan, descriptor: dict[str, Any], full_crawl: bool, inherit: bool
    ) -> None:
        existing: dict[tuple[str, ...], str] = {}
        if plan.partition_keys:
            pages = self.glue.get_paginator("get_partitions").paginate(
                DatabaseName=self.database, TableName=plan.name
            )
            existing = {
                tuple(part["Values"]): part["StorageDescriptor"]["Location"]
                for page in pages
                for part in page["Partitions"]
            }
        if inherit and existing:
            self._inherit_partitions(plan, descriptor, existing)
        new = [
            _partition_input(plan, values, descriptor, location)
            for values, location in sorted(plan.partitions.items())
            if values not in existing
        ]
        for start in range(0, len(new), 100):
            answer = self.glue.batch_create_partition(
                DatabaseName=self.database, TableName=plan.name, PartitionInputList=new[start : start + 100]
            )
            for error in answer.get("Errors", []):
                if error["ErrorDetail"].get("ErrorCode") != "AlreadyExistsException":
                    self.log(
                        f"WARN : Partition {error['PartitionValues']} of {plan.name}: {error['ErrorDetail']}"
                    )
        if new:
            self.log(f"INFO : Created {len(new)} partitions in table {plan.name}")
        gone = sorted(set(existing) - set(plan.partitions)) if full_crawl else []
        if not gone:
            return
        if self._policy("DeleteBehavior", "DEPRECATE_IN_DATABASE") == "DELETE_FROM_DATABASE":
            for start in range(0, len(gone), 25):
                self.glue.batch_delete_partition(
                    DatabaseName=self.database,
                    TableName=plan.name,
                    PartitionsToDelete=[{"Values": list(values)} for values in gone[start : start + 25]],
                )
            self.log(f"INFO : Deleted {len(gone)} partitions of table {plan.name} whose data is gone")
        else:
            self.log(f"INFO : {len(gone)} partitions of table {plan.name} have no data any more; kept")

    def _inherit_partitions(
        self, plan: TablePlan, descriptor: dict[str, Any], existing: dict[tuple[str, ...], str]
    ) -> None:
        entries = [
            {
                "PartitionValueList": list(values),
                "PartitionInput": _partition_input(plan, values, descriptor, where),
            }
            for values, where in sorted(existing.items())
        ]
        for start in range(0, len(entries), 100):
            self.glue.batch_update_partition(
                DatabaseName=self.database, TableName=plan.name, Entries=entries[start : start + 100]
            )
        self.log(
            f"INFO : {len(entries)} partitions of table {plan.name} take its new schema (InheritFromTable)"
        )

    def _handle_gone_tables(self, planned: set[str]) -> tuple[int, int]:
        behavior = self._policy("DeleteBehavior", "DEPRECATE_IN_DATABASE")
        deleted = deprecated = 0
        for page in self.glue.get_paginator("get_tables").paginate(DatabaseName=self.database):
            for table in page["TableList"]:
                parameters = table.get("Parameters") or {}
                if table["Name"] in planned or parameters.get("UPDATED_BY_CRAWLER") != self.crawler["Name"]:
                    continue
                if behavior == "DELETE_FROM_DATABASE":
                    self.glue.delete_table(DatabaseName=self.database, Name=table["Name"])
                    self.log(f"INFO : Deleted table {table['Name']}: its data is gone")
                    deleted += 1
                elif behavior == "DEPRECATE_IN_DATABASE" and DEPRECATED not in parameters:
                    table_input = {k: table[k] for k in _TABLE_INPUT_FIELDS if k in table}
                    table_input["Parameters"] = {**parameters, DEPRECATED: str(int(time.time() * 1000))}
                    self.glue.update_table(DatabaseName=self.database, TableInput=table_input)
                    self.log(f"INFO : Deprecated table {table['Name']}: its data is gone")
                    deprecated += 1
                elif behavior == "LOG":
                    self.log(f"INFO : Table {table['Name']} has no data any more; kept (DeleteBehavior LOG)")
        return deleted, deprecated


_TABLE_INPUT_FIELDS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "TableType",
    "Parameters",
)


def _table_input(plan: TablePlan, crawler_name: str, crawl_id: str) -> dict[str, Any]:
    parameters = table_parameters(plan, crawler_name, crawl_id)
    return {
        "Name": plan.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": name, "Type": "string"} for name in plan.partition_keys],
        "StorageDescriptor": storage_descriptor(plan, parameters),
    }


def _partition_input(
    plan: TablePlan, values: tuple[str, ...], descriptor: dict[str, Any], location: str
) -> dict[str, Any]:
    """A partition as a crawler writes it: the table's layout with the partition's own counts."""
    parameters = dict(descriptor["Parameters"])
    if values in plan.partition_counts:
        objects, size, records = plan.partition_counts[values]
        parameters.update(
            objectCount=str(objects),
            sizeKey=str(size),
            recordCount=str(records),
            averageRecordSize=str(size // max(records, 1)),
        )
    return {
        "Values": list(values),
        "Parameters": parameters,
        "StorageDescriptor": {**descriptor, "Location": location, "Parameters": parameters},
    }


def _schema_changed(existing: dict[str, Any], table_input: dict[str, Any]) -> bool:
    old, new = existing.get("StorageDescriptor") or {}, table_input["StorageDescriptor"]
    if any(old.get(key) != new.get(key) for key in _SCHEMA_FIELDS):
        return True
    return (existing.get("PartitionKeys") or []) != table_input["PartitionKeys"]
