"""UpdateCrawler, UpdateJob and UpdateTrigger, which moto does not implement: they edit moto's stored definitions.

AWS semantics: UpdateCrawler changes only the fields given; UpdateJob replaces the whole job definition
with ``JobUpdate`` (fields left out go back to their defaults); UpdateTrigger changes the fields of
``TriggerUpdate`` it is given.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from glue_flow_local.protocol.errors import GlueApiError

# UpdateCrawler request field -> moto FakeCrawler attribute.
_CRAWLER_FIELDS = {
    "Role": "role",
    "DatabaseName": "database_name",
    "Description": "description",
    "Targets": "targets",
    "Schedule": "schedule",
    "Classifiers": "classifiers",
    "TablePrefix": "table_prefix",
    "SchemaChangePolicy": "schema_change_policy",
    "RecrawlPolicy": "recrawl_policy",
    "LineageConfiguration": "lineage_configuration",
    "Configuration": "configuration",
    "CrawlerSecurityConfiguration": "crawler_security_configuration",
}
# JobUpdate field -> (moto FakeJob attribute, value when left out).
_JOB_FIELDS: dict[str, tuple[str, Any]] = {
    "Description": ("description", None),
    "LogUri": ("log_uri", None),
    "Role": ("role", None),
    "ExecutionProperty": ("execution_property", {}),
    "Command": ("command", None),
    "DefaultArguments": ("default_arguments", {}),
    "NonOverridableArguments": ("non_overridable_arguments", None),
    "Connections": ("connections", None),
    "MaxRetries": ("max_retries", None),
    "AllocatedCapacity": ("allocated_capacity", None),
    "Timeout": ("timeout", None),
    "MaxCapacity": ("max_capacity", None),
    "WorkerType": ("worker_type", None),
    "NumberOfWorkers": ("number_of_workers", None),
    "SecurityConfiguration": ("security_configuration", None),
    "NotificationProperty": ("notification_property", None),
    "GlueVersion": ("glue_version", None),
    "CodeGenConfigurationNodes": ("code_gen_configuration_nodes", None),
    "ExecutionClass": ("execution_class", "STANDARD"),
    "SourceControlDetails": ("source_control_details", None),
}


def glue_backend(access_key: str, region: str) -> Any:
    """moto's Glue backend for a request's account (from its access key) and region.

    :param access_key: the request's access key id.
    :param region: the request's region.
    """
    from moto.glue.models import glue_backends
    from moto.iam.models import get_account_id_from

    return glue_backends[get_account_id_from(access_key)][region]


def update_crawler(backend: Any, request: dict[str, Any]) -> None:
    """Apply an UpdateCrawler request to the stored crawler.

    :param backend: moto's Glue backend.
    :param request: the UpdateCrawler request body.
    :raises GlueApiError: EntityNotFoundException for an unknown crawler.
    """
    crawler = _lookup(backend.get_crawler, request.get("Name", ""))
    for field, attribute in _CRAWLER_FIELDS.items():
        if field in request:
            value = request[field]
            setattr(
                crawler,
                attribute,
                value.get("ScheduleExpression") if field == "Schedule" and isinstance(value, dict) else value,
            )
    crawler.version += 1
    crawler.last_updated = datetime.now(UTC)


def update_job(backend: Any, request: dict[str, Any]) -> str:
    """Replace a stored job definition with an UpdateJob request's ``JobUpdate``.

    :param backend: moto's Glue backend.
    :param request: the UpdateJob request body.
    :raises GlueApiError: EntityNotFoundException for an unknown job.
    """
    job = _lookup(backend.get_job, request.get("JobName", ""))
    update = request.get("JobUpdate") or {}
    for field, (attribute, default) in _JOB_FIELDS.items():
        setattr(job, attribute, update.get(field, default))
    job.last_modified_on = datetime.now(UTC)
    return job.name


def _lookup(getter: Any, name: str) -> Any:
    from moto.core.exceptions import JsonRESTError

    try:
        return getter(name)
    except JsonRESTError as err:
        raise GlueApiError(err.relative_error_type, err.message, err.code) from err


def update_trigger(backend: Any, name: str, trigger: dict[str, Any]) -> None:
    """Apply an UpdateTrigger (merged onto the stored trigger and checked) to moto's trigger.

    :param backend: moto's Glue backend.
    :param name: the trigger name.
    :param trigger: the whole trigger after the update.
    :raises GlueApiError: EntityNotFoundException for an unknown trigger.
    """
    from moto.glue.utils import Action, Predicate

    stored = _lookup(backend.get_trigger, name)
    stored.description = trigger.get("Description")
    stored.schedule = trigger.get("Schedule")
    stored.predicate = Predicate(trigger["Predicate"]) if trigger.get("Predicate") else None
    stored.actions = [Action(action) for action in trigger.get("Actions") or []]
    stored.event_batching_condition = trigger.get("EventBatchingCondition")
