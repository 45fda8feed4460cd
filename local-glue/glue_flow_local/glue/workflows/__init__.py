"""Glue workflows and triggers: workflow runs, and triggers fired by schedules, events and job or crawl ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glue_flow_local.glue.workflows.engine import WorkflowEngine
    from glue_flow_local.settings import Settings


def workflow_engine(settings: Settings) -> WorkflowEngine:
    """The workflow engine of one server: it calls the server's own Glue API with the server's credentials.

    :param settings: the server settings (the endpoint URL is read at each call: it is set once listening).
    """
    from glue_flow_local.clients import server_client
    from glue_flow_local.glue.workflows.clock import GlueClock
    from glue_flow_local.glue.workflows.engine import WorkflowEngine
    from glue_flow_local.s3.eventbridge import workflow_targets

    engine = WorkflowEngine(
        lambda region: server_client(settings.endpoint_url, "glue", region, settings.credentials),
        GlueClock(settings.timeout_unit_seconds),
    )
    # EventBridge rules whose target is a workflow notify it (one server per process, as moto's state is).
    workflow_targets[:] = [engine.event_target]
    return engine
