"""Checks AWS makes on CreateCrawler and UpdateCrawler that moto does not."""

from __future__ import annotations

from typing import Any

from glue_flow_local.protocol.errors import GlueApiError

# AWS's defaults when a crawler is created without a SchemaChangePolicy.
_DEFAULT_POLICY = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"}


def check_crawler(definition: dict[str, Any]) -> None:
    """Refuse a crawler definition AWS refuses (the definition after the create or update).

    :param definition: the crawler's fields (Targets, SchemaChangePolicy, RecrawlPolicy, ...).
    :raises GlueApiError: InvalidInputException with AWS's message.
    """
    recrawl = (definition.get("RecrawlPolicy") or {}).get("RecrawlBehavior")
    if recrawl != "CRAWL_NEW_FOLDERS_ONLY":
        return
    targets = definition.get("Targets") or {}
    if any(entries for kind, entries in targets.items() if kind != "S3Targets"):
        raise GlueApiError(
            "InvalidInputException",
            'RecrawlBehavior "Crawl new folders only" can only apply to Amazon S3 target.',
        )
    policy = {**_DEFAULT_POLICY, **(definition.get("SchemaChangePolicy") or {})}
    if (policy["UpdateBehavior"], policy["DeleteBehavior"]) != ("LOG", "LOG"):
        raise GlueApiError(
            "InvalidInputException",
            'The SchemaChangePolicy for "Crawl new folders only" Amazon S3 target can have only LOG '
            "DeleteBehavior value and LOG UpdateBehavior value.",
        )
