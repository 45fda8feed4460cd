"""Helpers for the crawl tests: make a crawler over S3 paths, run one crawl, read a table's columns."""

from __future__ import annotations

from typing import Any

from local_glue_support import wait_for_crawl


def create_crawler(
    glue: Any, name: str, paths: list[str], database: str, prefix: str = "", **extra: Any
) -> None:
    """CreateCrawler over S3 paths (extra keyword arguments go to CreateCrawler as they are).

    :param glue: a boto3 Glue client.
    :param name: the crawler name.
    :param paths: the S3 target paths.
    :param database: the crawler's database.
    :param prefix: the TablePrefix.
    """
    glue.create_crawler(
        Name=name,
        Role="glue-role",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": path} for path in paths]},
        TablePrefix=prefix,
        **extra,
    )


def run_crawl(glue: Any, name: str) -> dict[str, Any]:
    """StartCrawler, wait until READY, and return the crawler (with LastCrawl).

    :param glue: a boto3 Glue client.
    :param name: the crawler name.
    """
    glue.start_crawler(Name=name)
    return wait_for_crawl(glue, name)


def columns(table: dict[str, Any]) -> list[tuple[str, str]]:
    """A table's ``(name, type)`` columns.

    :param table: a GetTable ``Table``.
    """
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def tables(glue: Any, database: str) -> dict[str, dict[str, Any]]:
    """Every table of a database, by name.

    :param glue: a boto3 Glue client.
    :param database: the database.
    """
    return {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
