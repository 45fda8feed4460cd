"""The workflow and trigger engine: starts workflow runs and fires triggers when jobs and crawls end.

moto keeps the workflow and trigger definitions (and each trigger's State); the engine reads them through
the server's own Glue API and starts actions through it too (StartJobRun, StartCrawler), so an action is
checked and run exactly as a caller's would be. Job runs and crawls report their end here
(:meth:`WorkflowEngine.job_ended`, :meth:`WorkflowEngine.crawl_ended`).

- Inside a workflow, a job or crawl fires the workflow's CONDITIONAL triggers only when a trigger of
  that run started it; each trigger fires at most once per run; several triggers on one action are
  independent. Standalone CONDITIONAL triggers watch any run of their jobs and crawls.
- Only ACTIVATED triggers fire on their own (schedule, event, condition); a workflow run starts its
  start trigger whatever its type and state, and StartTrigger fires an ON_DEMAND trigger at once.
- SCHEDULED triggers fire on AWS cron times of the server's clock (:class:`.clock.GlueClock`).
https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from glue_flow_local.glue.workflows.clock import GlueClock, tick_until_stopped
from glue_flow_local.glue.workflows.cron import CronTimes
from glue_flow_local.glue.workflows.events import EventBatches
from glue_flow_local.glue.workflows.runs import Action, WorkflowRun
from glue_flow_local.glue.workflows.triggers import predicate_met, watches
from glue_flow_local.protocol.errors import GlueApiError

_log = logging.getLogger(__name__)
#: Arguments a workflow gives every job run it starts.
WORKFLOW_NAME_ARG = "--WORKFLOW_NAME"
WORKFLOW_RUN_ID_ARG = "--WORKFLOW_RUN_ID"
_ACTION_KEYS = ("Timeout", "NotificationProperty", "SecurityConfiguration")


class WorkflowEngine:
    """Workflow runs and trigger firing for one server.

    :param glue: region -> a boto3 Glue client of this server.
    :param clock: the server's clock for schedules and event batch windows.
    """

    def __init__(self, glue: Callable[[str], Any], clock: GlueClock) -> None:
        self._glue = glue
        self.clock = clock
        self._lock = threading.RLock()
        self._runs: dict[tuple[str, str], list[WorkflowRun]] = {}
        self._by_job_run: dict[str, tuple[WorkflowRun, Action]] = {}
        self._latest: dict[tuple[str, str, str], str] = {}
        self._cron = CronTimes()
        self._scheduled_regions: set[str] = set()
        self.batches = EventBatches(clock)
        self._ticker: threading.Thread | None = None
        self._stopped = threading.Event()

    # Definitions, read through the server's API

    def triggers(self, region: str, workflow: str | None = None) -> list[dict[str, Any]]:
        """Every trigger of a region (of one workflow, when given), as GetTriggers returns them."""
        client = self._glue(region)
        found: list[dict[str, Any]] = []
        for page in client.get_paginator("get_triggers").paginate():
            found += page.get("Triggers", [])
        if workflow is None:
            return found
        return [t for t in found if t.get("WorkflowName") == workflow]

    # Workflow runs

    def start_run(
        self,
        region: str,
        name: str,
        properties: dict[str, str] | None = None,
        *,
        refuse_when_busy: bool = True,
        batch: tuple[dict[str, int], list[str]] | None = None,
    ) -> WorkflowRun:
        """Start a run of a workflow: copy its DefaultRunProperties, fire its start trigger.

        :param region: the region.
        :param name: the workflow name.
        :param properties: StartWorkflowRun's RunProperties (over the defaults).
        :param refuse_when_busy: raise at MaxConcurrentRuns (StartWorkflowRun) rather than record an ERROR
            run (a schedule or event start, as AWS reports it in the run's ErrorMessage).
        :param batch: the event batch that starts it: StartingEventBatchCondition and the event ids.
        :raises GlueApiError: EntityNotFoundException, ConcurrentRunsExceededException.
        """
        workflow = self._workflow(region, name)
        with self._lock:
            runs = self._runs.setdefault((region, name), [])
            merged = {**(workflow.get("DefaultRunProperties") or {}), **(properties or {})}
            run = WorkflowRun(region, name, merged, previous_run_id=runs[-1].id if runs else None)
            if batch is not None:
                run.starting_batch, ids = batch
                run.properties["aws:eventIds"] = json.dumps(ids)
            limit = workflow.get("MaxConcurrentRuns")
            if limit and sum(r.active for r in runs) >= int(limit):
                message = f"Concurrent runs exceeded for workflow: {name}"
                if refuse_when_busy:
                    raise GlueApiError("ConcurrentRunsExceededException", message)
                run.status, run.error_message, run.completed_on = "ERROR", message, datetime.now(UTC)
                runs.append(run)
                return run
            runs.append(run)
            for trigger in self.triggers(region, name):
                if trigger.get("Type") != "CONDITIONAL":
                    self._fire(region, trigger, run)
            run.settle()
        return run

    def begin(self, run: WorkflowRun, starts: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Register a run made elsewhere (a resumed one) and start the given (trigger, action) pairs."""
        with self._lock:
            self._runs.setdefault((run.region, run.workflow), []).append(run)
            for trigger, spec in starts:
                self._start_in_run(run.region, trigger["Name"], spec, run)
            run.settle()

    def runs(self, region: str, name: str) -> list[WorkflowRun]:
        """The runs of a workflow, newest first."""
        with self._lock:
            return list(reversed(self._runs.get((region, name), [])))

    def run(self, region: str, name: str, run_id: str) -> WorkflowRun:
        """One run of a workflow.

        :raises GlueApiError: EntityNotFoundException naming the run.
        """
        with self._lock:
            for run in self._runs.get((region, name), []):
                if run.id == run_id:
                    return run
        raise GlueApiError("EntityNotFoundException", f"Workflow run {run_id} of workflow {name} not found")

    def stop_run(self, region: str, name: str, run_id: str) -> None:
        """StopWorkflowRun: STOPPING while its running actions stop, then STOPPED.

        :raises GlueApiError: IllegalWorkflowStateException when the run is not RUNNING.
        """
        run = self.run(region, name, run_id)
        client = self._glue(region)
        with self._lock:
            if run.status != "RUNNING":
                raise GlueApiError(
                    "IllegalWorkflowStateException",
                    f"Workflow run {run_id} of workflow {name} is {run.status}",
                )
            run.status = "STOPPING"
            running = [a for a in run.actions if not a.done]
        for action in running:
            try:
                if action.kind == "JOB":
                    ids = [action.run_id, *action.attempts]
                    client.batch_stop_job_run(JobName=action.name, JobRunIds=ids)
                else:
                    client.stop_crawler(Name=action.name)
            except ClientError as err:  # it may have ended meanwhile
                _log.info("stopping %s %s of workflow run %s: %s", action.kind, action.name, run_id, err)
        with self._lock:
            run.settle()

    # Triggers

    def start_trigger(self, region: str, trigger: dict[str, Any]) -> bool:
        """StartTrigger: an ON_DEMAND trigger fires now (a workflow's starts a run) and stays CREATED.

        :param region: the region.
        :param trigger: the trigger, as GetTrigger returns it.
        :returns: whether the trigger is to be activated (every type but ON_DEMAND).
        """
        if trigger.get("Type") != "ON_DEMAND":
            self.watch_schedules(region, trigger)
            return True
        if trigger.get("WorkflowName"):
            self.start_run(region, trigger["WorkflowName"])
        else:
            self._fire(region, trigger, None)
        return False

    def watch_schedules(self, region: str, trigger: dict[str, Any]) -> None:
        """Start the clock thread when a SCHEDULED or EVENT trigger may fire in this region."""
        if trigger.get("Type") in ("SCHEDULED", "EVENT"):
            with self._lock:
                self._scheduled_regions.add(region)
                if self._ticker is None:
                    self._ticker = threading.Thread(
                        target=self._tick_forever, name="glue-triggers", daemon=True
                    )
                    self._ticker.start()

    def notify_event(self, region: str, workflow: str, event_id: str) -> None:
        """An EventBridge event for a workflow: batched per its ACTIVATED EVENT trigger, then a run.

        :raises GlueApiError: EntityNotFoundException when the workflow has no ACTIVATED EVENT trigger.
        """
        events = [
            t
            for t in self.triggers(region, workflow)
            if t.get("Type") == "EVENT" and t["State"] == "ACTIVATED"
        ]
        if not events:
            raise GlueApiError(
                "EntityNotFoundException", f"Workflow {workflow} has no ACTIVATED EVENT trigger to notify"
            )
        for trigger in events:
            self.watch_schedules(region, trigger)
            full = self.batches.add(region, trigger, event_id)
            if full is not None:
                self.start_run(region, workflow, refuse_when_busy=False, batch=full)

    def event_target(self, region: str, workflow: str, event: dict[str, Any]) -> None:
        """An EventBridge rule's delivery to a workflow target (what ``glue:notifyEvent`` does)."""
        try:
            self.notify_event(region, workflow, str(event.get("id") or ""))
        except (GlueApiError, ClientError) as err:  # as on AWS, a delivery that fails is lost, not raised
            _log.warning("EventBridge event %s for workflow %s: %s", event.get("id"), workflow, err)

    def shutdown(self) -> None:
        """Stop the clock thread."""
        self._stopped.set()

    # Ends of jobs and crawls

    def job_ended(self, region: str, job_name: str, run: dict[str, Any], retrying: bool) -> None:
        """A job run reached a terminal state (``retrying``: a FAILED attempt that Glue runs again)."""
        root = str(run["Id"]).split("_attempt_", 1)[0]
        with self._lock:
            owner = self._by_job_run.get(root)
            if owner is not None:
                workflow_run, action = owner
                if retrying:
                    # Glue's next attempt (id: the first run's + _attempt_N) belongs to the same action.
                    action.attempts.append(f"{root}_attempt_{int(run.get('Attempt') or 0) + 1}")
                    return
                if run["Id"] != action.run_id and run["Id"] not in action.attempts:
                    action.attempts.append(run["Id"])
                self._finish(action, run["JobRunState"], run.get("ErrorMessage"))
            elif retrying:
                return
        self._ended(region, "JOB", job_name, run["JobRunState"], [owner[0]] if owner else [])

    def crawl_ended(self, region: str, crawler: str, status: str, error: str | None) -> None:
        """A crawl ended with LastCrawl.Status ``status``."""
        with self._lock:
            owners = [
                run
                for runs in self._runs.values()
                for run in runs
                if run.region == region
                for action in run.actions
                if action.kind == "CRAWLER" and action.name == crawler and not action.done
            ]
            for run in owners:
                for action in run.actions:
                    if action.kind == "CRAWLER" and action.name == crawler and not action.done:
                        self._finish(action, status, error)
        self._ended(region, "CRAWLER", crawler, status, list({id(run): run for run in owners}.values()))

    def _ended(self, region: str, kind: str, name: str, state: str, runs: list[WorkflowRun]) -> None:
        with self._lock:
            self._latest[(region, kind, name)] = state
        try:
            triggers = self.triggers(region)
        except (ClientError, BotoCoreError) as err:
            # Nothing can fire without the definitions; the runs still end when nothing else runs.
            _log.warning("reading triggers after %s %s ended: %s", kind, name, err)
            triggers = []
        with self._lock:
            for trigger in triggers:
                if trigger.get("Type") != "CONDITIONAL" or trigger.get("State") != "ACTIVATED":
                    continue
                if not watches(trigger, kind, name):
                    continue
                predicate = trigger.get("Predicate") or {}
                if not trigger.get("WorkflowName"):
                    if predicate_met(predicate, lambda k, n: self._latest.get((region, k, n))):
                        self._fire(region, trigger, None)
                    continue
                for run in runs:
                    if run.workflow != trigger["WorkflowName"] or run.status != "RUNNING":
                        continue
                    if trigger["Name"] not in run.fired and predicate_met(predicate, _states_of(run)):
                        self._fire(region, trigger, run)
            for run in runs:
                run.settle()

    # Internals

    def _fire(self, region: str, trigger: dict[str, Any], run: WorkflowRun | None) -> None:
        """Start every action of a trigger (for a workflow run, with its name and run id)."""
        if run is not None:
            run.fired.add(trigger["Name"])
        for spec in trigger.get("Actions") or []:
            self._start_in_run(region, trigger["Name"], spec, run)

    def _start_in_run(self, region: str, trigger: str, spec: dict[str, Any], run: WorkflowRun | None) -> None:
        action = self._start_action(region, trigger, spec, run)
        if run is not None:
            run.actions.append(action)
            if action.run_id:
                self._by_job_run[action.run_id] = (run, action)

    def _start_action(
        self, region: str, trigger: str, spec: dict[str, Any], run: WorkflowRun | None
    ) -> Action:
        client = self._glue(region)
        if spec.get("JobName"):
            action = Action("JOB", spec["JobName"], trigger)
            arguments = dict(spec.get("Arguments") or {})
            if run is not None:
                arguments.update({WORKFLOW_NAME_ARG: run.workflow, WORKFLOW_RUN_ID_ARG: run.id})
            extra = {key: spec[key] for key in _ACTION_KEYS if spec.get(key) is not None}
            try:
                action.run_id = client.start_job_run(JobName=action.name, Arguments=arguments, **extra)[
                    "JobRunId"
                ]
            except ClientError as err:
                self._finish(action, "ERROR", _message(err))
            return action
        action = Action("CRAWLER", spec.get("CrawlerName", ""), trigger)
        try:
            client.start_crawler(Name=action.name)
        except ClientError as err:
            self._finish(action, "ERROR", _message(err))
        return action

    @staticmethod
    def _finish(action: Action, state: str, error: str | None) -> None:
        action.state, action.error, action.completed_on = state, error, datetime.now(UTC)

    def _workflow(self, region: str, name: str) -> dict[str, Any]:
        try:
            workflow: dict[str, Any] = self._glue(region).get_workflow(Name=name)["Workflow"]
        except ClientError as err:
            raise GlueApiError(err.response["Error"]["Code"], _message(err)) from err
        return workflow

    def _tick_forever(self) -> None:
        tick_until_stopped(self.clock, self._stopped, self.tick, "firing scheduled triggers")

    def tick(self) -> None:
        """Fire the SCHEDULED triggers whose time has come and the event batches whose window closed."""
        now = self.clock.now()
        for region in sorted(self._scheduled_regions):
            live = set()
            for trigger in self.triggers(region):
                if trigger.get("Type") != "SCHEDULED" or trigger.get("State") != "ACTIVATED":
                    continue
                key = (region, trigger["Name"])
                live.add(key)
                if not self._cron.due(key, trigger.get("Schedule") or "", now):
                    continue
                if trigger.get("WorkflowName"):
                    self.start_run(region, trigger["WorkflowName"], refuse_when_busy=False)
                else:
                    with self._lock:
                        self._fire(region, trigger, None)
            # Deactivated triggers: a new activation starts from its own time.
            self._cron.keep_only(region, live)
        for region, workflow, condition, ids in self.batches.expired():
            self.start_run(region, workflow, refuse_when_busy=False, batch=(condition, ids))


def _states_of(run: WorkflowRun) -> Callable[[str, str], str | None]:
    """(kind, name) -> the state the job's or crawler's last ended action in this run ended in."""

    def state_of(kind: str, name: str) -> str | None:
        action = run.latest(kind, name)
        return action.state if action is not None else None

    return state_of


def _message(err: ClientError) -> str:
    error = err.response.get("Error", {})
    return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
