"""The Glue API actions of workflows and triggers that the local Glue answers itself.

Definitions stay with moto (CreateWorkflow, GetTrigger, StopTrigger, DeleteTrigger, ...); runs and
firing are the engine's (:mod:`.engine`). CreateTrigger is checked as AWS checks it first (:mod:`.triggers`).
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-workflow.html
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-trigger.html
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from glue_flow_local.glue.definitions import glue_backend, update_trigger
from glue_flow_local.glue.workflows.engine import WorkflowEngine
from glue_flow_local.glue.workflows.resume import resume_run
from glue_flow_local.glue.workflows.runs import WorkflowRun, workflow_graph
from glue_flow_local.glue.workflows.triggers import check_trigger
from glue_flow_local.protocol.auth import access_key_of
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.protocol.paging import paged

#: (environ, action, request) -> moto's answer.
CallMoto = Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]
#: (region, job name, run id) -> GetJobRun's JobRun.
JobRunLookup = Callable[[str, str, str], dict[str, Any]]
#: TriggerUpdate's fields: https://docs.aws.amazon.com/glue/latest/webapi/API_TriggerUpdate.html
_UPDATABLE = ("Name", "Description", "Schedule", "Actions", "Predicate", "EventBatchingCondition")
Handler = Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]


class WorkflowApi:
    """Handlers for the workflow and trigger actions.

    :param engine: the workflow engine.
    :param call_moto: calls one Glue action on moto.
    :param job_run: reads one job run, for the graph's JobDetails.
    """

    def __init__(self, engine: WorkflowEngine, call_moto: CallMoto, job_run: JobRunLookup) -> None:
        self.engine = engine
        self._moto = call_moto
        self._job_run = job_run

    def actions(self) -> dict[str, Handler]:
        """Action name -> handler, for the Glue API's dispatch table."""
        return {
            "CreateTrigger": self._create_trigger,
            "StartTrigger": self._start_trigger,
            "UpdateTrigger": self._update_trigger,
            "GetWorkflow": self._get_workflow,
            "StartWorkflowRun": self._start_workflow_run,
            "GetWorkflowRun": self._get_workflow_run,
            "GetWorkflowRuns": self._get_workflow_runs,
            "StopWorkflowRun": self._stop_workflow_run,
            "ResumeWorkflowRun": self._resume_workflow_run,
            "GetWorkflowRunProperties": self._get_run_properties,
            "PutWorkflowRunProperties": self._put_run_properties,
            "NotifyEvent": self._notify_event,
        }

    def _create_trigger(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        check_trigger(request)
        if request.get("WorkflowName"):
            self._moto(environ, "GetWorkflow", {"Name": request["WorkflowName"]})
        request = _with_defaults(request)
        answer = self._moto(environ, "CreateTrigger", request)
        if request.get("StartOnCreation"):
            self.engine.watch_schedules(region, request)
        return answer

    def _start_trigger(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        trigger = self._moto(environ, "GetTrigger", {"Name": request.get("Name")})["Trigger"]
        if self.engine.start_trigger(region, trigger):
            self._moto(environ, "StartTrigger", {"Name": trigger["Name"]})
        return {"Name": trigger["Name"]}

    def _update_trigger(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = request.get("Name", "")
        current = self._moto(environ, "GetTrigger", {"Name": name})["Trigger"]
        update = {k: v for k, v in (request.get("TriggerUpdate") or {}).items() if k in _UPDATABLE}
        if update.get("Name", name) != name:
            raise GlueApiError(
                "InvalidInputException", f"Trigger {name}: UpdateTrigger cannot rename a trigger"
            )
        merged = _with_defaults({**current, **update})
        check_trigger(merged)
        update_trigger(glue_backend(access_key_of(environ), region), name, merged)
        if current.get("State") == "ACTIVATED":
            self.engine.watch_schedules(region, merged)
        return {"Trigger": self._moto(environ, "GetTrigger", {"Name": name})["Trigger"]}

    def _get_workflow(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        workflow = self._moto(environ, "GetWorkflow", {"Name": request.get("Name")})["Workflow"]
        name = workflow["Name"]
        runs = self.engine.runs(region, name)
        workflow.pop("LastRun", None)  # moto's runs are not ours
        graph = request.get("IncludeGraph")
        if runs:
            workflow["LastRun"] = self._run_dict(region, runs[0], bool(graph))
        if graph:
            workflow["Graph"] = workflow_graph(name, self.engine.triggers(region, name))
        return {"Workflow": workflow}

    def _start_workflow_run(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        run = self.engine.start_run(region, request.get("Name", ""), request.get("RunProperties"))
        return {"RunId": run.id}

    def _get_workflow_run(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        run = self.engine.run(region, request.get("Name", ""), request.get("RunId", ""))
        return {"Run": self._run_dict(region, run, bool(request.get("IncludeGraph")))}

    def _get_workflow_runs(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = self._moto(environ, "GetWorkflow", {"Name": request.get("Name")})["Workflow"]["Name"]
        graph = bool(request.get("IncludeGraph", True))
        runs = [self._run_dict(region, run, graph) for run in self.engine.runs(region, name)]
        return paged("Runs", runs, request)

    def _stop_workflow_run(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.engine.stop_run(region, request.get("Name", ""), request.get("RunId", ""))
        return {}

    def _resume_workflow_run(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        workflow = self._moto(environ, "GetWorkflow", {"Name": request.get("Name")})["Workflow"]
        run, restarted = resume_run(
            self.engine,
            region,
            workflow["Name"],
            request.get("RunId", ""),
            request.get("NodeIds") or [],
            workflow.get("MaxConcurrentRuns"),
        )
        return {"RunId": run.id, "NodeIds": restarted}

    def _get_run_properties(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        run = self.engine.run(region, request.get("Name", ""), request.get("RunId", ""))
        return {"RunProperties": dict(run.properties)}

    def _put_run_properties(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        run = self.engine.run(region, request.get("Name", ""), request.get("RunId", ""))
        run.properties.update(request.get("RunProperties") or {})
        return {}

    def _notify_event(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        """What an EventBridge rule targeting a workflow does (``glue:notifyEvent``; not in the SDKs).

        Request: ``{"Name": workflow, "Event": {...EventBridge event}}``; the event's ``id`` (a new one
        when absent) goes into the run's ``aws:eventIds``.
        """
        name = request.get("Name", "")
        if not name:
            raise GlueApiError("InvalidInputException", "NotifyEvent needs the workflow Name")
        self._moto(environ, "GetWorkflow", {"Name": name})
        event = request.get("Event") or {}
        self.engine.notify_event(region, name, str(event.get("id") or uuid.uuid4()))
        return {}

    def _run_dict(self, region: str, run: WorkflowRun, graph: bool) -> dict[str, Any]:
        if not graph:
            return run.as_dict()
        job_runs = {}
        for action in run.actions:
            if action.kind == "JOB" and action.run_id:
                try:
                    job_runs[action.run_id] = self._job_run(
                        region, action.name, action.attempts[-1] if action.attempts else action.run_id
                    )
                except GlueApiError:
                    continue
        return run.as_dict(
            workflow_graph(run.workflow, self.engine.triggers(region, run.workflow), run, job_runs)
        )


def _with_defaults(trigger: dict[str, Any]) -> dict[str, Any]:
    """AWS's defaults where a trigger leaves them out (moto needs them stated): Logical AND with one
    condition, LogicalOperator EQUALS."""
    predicate = trigger.get("Predicate")
    if not predicate:
        return trigger
    conditions = [{"LogicalOperator": "EQUALS", **c} for c in predicate.get("Conditions") or []]
    filled = {**predicate, "Logical": predicate.get("Logical") or "AND", "Conditions": conditions}
    return {**trigger, "Predicate": filled}
