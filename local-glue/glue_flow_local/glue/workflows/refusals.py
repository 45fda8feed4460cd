"""Glue workflows and triggers in the local Glue: stored as definitions, refused where they would run.

The local Glue does not fire triggers or run workflows. Rather than accept a workflow run that would stay
RUNNING for ever, or a trigger that would never start its actions, the calls that would set them going
answer ``OperationNotSupportedException`` naming the feature: StartWorkflowRun, ResumeWorkflowRun,
StartTrigger, and CreateTrigger with ``StartOnCreation`` true. Definitions (CreateWorkflow, CreateTrigger
without activation, Get*/List*/Update*/Delete*) go to moto unchanged.
"""

from __future__ import annotations

from typing import Any, NoReturn

from glue_flow_local.protocol.errors import GlueApiError

NOT_SUPPORTED = "OperationNotSupportedException"
_TRIGGERS = "Glue triggers do not fire on the local Glue"
_INSTEAD = "Run the flow as an Airflow DAG (see GlueConditionalTriggerOperator) or on AWS Glue."


def refuse_workflow_run(action: str, request: dict[str, Any]) -> NoReturn:
    """Refuse StartWorkflowRun / ResumeWorkflowRun.

    :param action: the Glue action.
    :param request: its request body.
    :raises GlueApiError: always, OperationNotSupportedException naming the workflow.
    """
    _refuse(
        f"{action}: Glue workflows do not run on the local Glue, so workflow {request.get('Name', '')!r} was not started."
    )


def refuse_trigger_start(request: dict[str, Any]) -> NoReturn:
    """Refuse StartTrigger.

    :param request: the StartTrigger request body.
    :raises GlueApiError: always, OperationNotSupportedException naming the trigger.
    """
    _refuse(f"StartTrigger: {_TRIGGERS}, so trigger {request.get('Name', '')!r} was not activated.")


def check_trigger_creation(request: dict[str, Any]) -> None:
    """Refuse CreateTrigger with ``StartOnCreation`` true; a trigger created inactive is fine.

    :param request: the CreateTrigger request body.
    :raises GlueApiError: OperationNotSupportedException naming the trigger, when it would be activated.
    """
    if request.get("StartOnCreation"):
        _refuse(
            f"CreateTrigger: {_TRIGGERS}, so trigger {request.get('Name', '')!r} was not created with "
            "StartOnCreation=true; create it without StartOnCreation to keep its definition."
        )


def _refuse(message: str) -> NoReturn:
    raise GlueApiError(NOT_SUPPORTED, f"{message} {_INSTEAD}")
