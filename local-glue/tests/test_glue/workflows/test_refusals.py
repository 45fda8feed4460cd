"""Glue workflows and triggers: definitions are kept, but what would set them running is refused.

AWS facts: StartWorkflowRun starts a workflow run; StartTrigger activates a trigger (an ON_DEMAND one
fires at once); CreateTrigger's StartOnCreation activates a SCHEDULED or CONDITIONAL trigger on creation:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-workflow.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-trigger.html
OperationNotSupportedException is one of Glue's modeled errors:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-exceptions.html
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_start_workflow_run_is_refused_and_no_run_is_left_running(glue_client, unique):
    name = unique("workflow")
    glue_client.create_workflow(Name=name)

    with pytest.raises(
        glue_client.exceptions.OperationNotSupportedException,
        match=f"Glue workflows do not run on the local Glue, so workflow '{name}' was not started",
    ):
        glue_client.start_workflow_run(Name=name)

    assert glue_client.get_workflow_runs(Name=name).get("Runs", []) == []
    assert glue_client.get_workflow(Name=name)["Workflow"]["Name"] == name


def test_resume_workflow_run_is_refused(glue_client, unique):
    with pytest.raises(glue_client.exceptions.OperationNotSupportedException, match="ResumeWorkflowRun"):
        glue_client.resume_workflow_run(Name=unique("workflow"), RunId="wr_1", NodeIds=["n1"])


def test_trigger_definitions_are_kept_but_activation_is_refused(glue_client, unique):
    name = unique("trigger")
    actions = [{"JobName": unique("job")}]
    glue_client.create_trigger(Name=name, Type="ON_DEMAND", Actions=actions)

    with pytest.raises(
        glue_client.exceptions.OperationNotSupportedException,
        match=f"Glue triggers do not fire on the local Glue, so trigger '{name}' was not activated",
    ):
        glue_client.start_trigger(Name=name)

    assert glue_client.get_trigger(Name=name)["Trigger"]["State"] == "CREATED"


def test_create_trigger_with_start_on_creation_is_refused_and_not_stored(glue_client, unique):
    name = unique("trigger")

    with pytest.raises(glue_client.exceptions.OperationNotSupportedException, match="StartOnCreation=true"):
        glue_client.create_trigger(
            Name=name,
            Type="SCHEDULED",
            Schedule="cron(0 3 * * ? *)",
            Actions=[{"JobName": unique("job")}],
            StartOnCreation=True,
        )

    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_trigger(Name=name)
