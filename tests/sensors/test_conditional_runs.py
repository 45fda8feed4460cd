"""GlueConditionalTriggerSensor in whole DAG runs, and the ready DAG with the real job operator."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from airflow_glue_flow.compat import AirflowSkipException
from airflow_glue_flow.operators.failure_guard import FAILURE_GUARD_TASK_ID
from tests.conftest import task_states
from tests.support.conditional_dags import (
    FakeGlueCrawler,
    FakeGlueJob,
    SlowGlueJob,
    dag,
    trigger,
)

# ---------------------------------------------------------------- whole DAG runs


def seed_flow(dag_id: str, outcome: str, handled: bool = False) -> DAG:
    """encode -> (ALL: SUCCEEDED) -> load, and (ANY: FAILED, TIMEOUT) -> alert."""
    with dag(dag_id) as d:
        FakeGlueJob(task_id="encode", outcome=outcome)
        when_ok = trigger(task_id="when_ok", conditions=[{"task_id": "encode", "state": "SUCCEEDED"}])
        when_failed = trigger(
            task_id="when_failed",
            logical="ANY",
            conditions=[
                {"task_id": "encode", "state": "FAILED", "handled": handled},
                {"task_id": "encode", "state": "TIMEOUT", "handled": handled},
            ],
        )
        when_ok >> FakeGlueJob(task_id="load")
        when_failed >> EmptyOperator(task_id="alert")
    return d


@pytest.mark.slow
@pytest.mark.parametrize(
    ("outcome", "ran", "skipped", "run_state"),
    [
        # A failed job runs the failure branch, and the run still fails.
        ("FAILED", ("when_failed", "alert"), ("when_ok", "load"), "failed"),
        ("SUCCEEDED", ("when_ok", "load"), ("when_failed", "alert"), "success"),
    ],
)
def test_the_job_outcome_runs_its_branch_only(run_dag, outcome, ran, skipped, run_state) -> None:
    dr = run_dag(seed_flow(f"honest_{outcome.lower()}", outcome))
    assert task_states(dr) == {
        "encode": "success" if outcome == "SUCCEEDED" else "failed",
        **dict.fromkeys(ran, "success"),
        **dict.fromkeys(skipped, "skipped"),
        FAILURE_GUARD_TASK_ID: run_state,
    }
    assert dr.state == run_state


@pytest.mark.slow
def test_failure_marked_handled_lets_the_run_succeed(run_dag) -> None:
    dr = run_dag(seed_flow("honest_handled", "TIMEOUT", handled=True))
    states = task_states(dr)
    assert states["encode"] == "failed"
    assert (states["when_failed"], states["alert"]) == ("success", "success")
    assert (states["when_ok"], states["load"]) == ("skipped", "skipped")
    assert states[FAILURE_GUARD_TASK_ID] == "success"
    assert dr.state == "success"


@pytest.mark.slow
def test_handled_covers_only_the_states_it_names(run_dag) -> None:
    # STOPPED is not watched at all: no branch reacts, and the run fails.
    dr = run_dag(seed_flow("honest_other_state", "STOPPED", handled=True))
    states = task_states(dr)
    assert (states["when_ok"], states["when_failed"], states["alert"]) == ("skipped", "skipped", "skipped")
    assert states[FAILURE_GUARD_TASK_ID] == "failed"
    assert dr.state == "failed"


@pytest.mark.slow
def test_a_failed_glue_task_behind_an_all_done_task_still_fails_the_run(run_dag) -> None:
    """``load`` is not watched and its failure is swallowed by an all_done cleanup leaf: the guard sees it."""
    with dag("unwatched_failure") as d:
        FakeGlueJob(task_id="encode")
        trigger(task_id="when_ok", conditions=[{"task_id": "encode", "state": "SUCCEEDED"}])
        load = FakeGlueJob(task_id="load", outcome="ERROR")
        d.task_dict["when_ok"] >> load >> EmptyOperator(task_id="cleanup", trigger_rule="all_done")
    for t in d.tasks:
        if hasattr(t, "poke_interval"):
            t.poke_interval = 0.01
    dr = run_dag(d)
    states = task_states(dr)
    assert (states["load"], states["cleanup"], states[FAILURE_GUARD_TASK_ID]) == (
        "failed",
        "success",
        "failed",
    )
    assert dr.state == "failed"


@pytest.mark.slow
def test_any_fires_while_another_watched_task_is_still_running(run_dag) -> None:
    """``slow`` can only finish after ``react`` (the ANY trigger's action) succeeded: ANY did not wait for it."""
    with dag("any_early") as d:
        FakeGlueCrawler(task_id="crawl", outcome="CANCELLED")
        SlowGlueJob(task_id="slow", until="react")
        any_of = trigger(
            task_id="any_of",
            logical="ANY",
            conditions=[
                {"task_id": "crawl", "state": "CANCELLED", "handled": True},
                {"task_id": "slow", "state": "SUCCEEDED"},
            ],
        )
        any_of >> EmptyOperator(task_id="react")
    dr = run_dag(d)
    assert task_states(dr) == {
        "crawl": "failed",
        "slow": "success",
        "any_of": "success",
        "react": "success",
        FAILURE_GUARD_TASK_ID: "success",
    }
    ti = {t.task_id: t for t in dr.get_task_instances()}
    assert ti["slow"].xcom_pull(task_ids="slow", key="saw") == "react succeeded while slow was running"
    fired = ti["any_of"].xcom_pull(task_ids="any_of")
    assert fired["met"] == ["crawl=CANCELLED (handled)"]
    assert fired["outcomes"] == {"crawl": "CANCELLED", "slow": None}
    assert ti["any_of"].end_date <= ti["react"].start_date <= ti["slow"].end_date
    assert dr.state == "success"


@pytest.mark.slow
def test_skipped_and_upstream_failed_watched_tasks_never_hold(run_dag) -> None:
    with dag("never_ran") as d:

        @task
        def boom() -> None:
            raise ValueError("scripted")

        @task
        def skip_me() -> None:
            raise AirflowSkipException("not today")

        broken = FakeGlueJob(task_id="after_boom")
        boom() >> broken
        skip_me()
        FakeGlueJob(task_id="fine")
        all_of = trigger(
            task_id="all_of",
            conditions=[
                {"task_id": "skip_me", "state": "SUCCEEDED"},
                {"task_id": "fine", "state": "SUCCEEDED"},
            ],
        )
        any_of = trigger(
            task_id="any_of",
            logical="ANY",
            conditions=[
                {"task_id": "after_boom", "state": "FAILED"},
                {"task_id": "fine", "state": "SUCCEEDED"},
            ],
        )
        all_of >> EmptyOperator(task_id="all_action")
        any_of >> EmptyOperator(task_id="any_action")
    dr = run_dag(d)
    states = task_states(dr)
    assert (states["skip_me"], states["after_boom"]) == ("skipped", "upstream_failed")
    assert (states["all_of"], states["all_action"]) == ("skipped", "skipped")
    assert (states["any_of"], states["any_action"]) == ("success", "success")
    # boom failed but is no leaf (after_boom, then the triggers and guard follow): the guard reports it.
    assert states[FAILURE_GUARD_TASK_ID] == "failed"
    assert dr.state == "failed"


# ---------------------------------------------------------------- the ready DAG, with the real job operator


class ScriptedGlue:
    """Glue client stand-in: each job's runs go STARTING -> RUNNING -> the scripted final state."""

    def __init__(self, outcomes: dict[str, str]) -> None:
        self.meta = SimpleNamespace(region_name="us-east-1", partition="aws", client=self)
        self.outcomes = outcomes
        self.runs: dict[str, dict[str, Any]] = {}
        self.started: list[str] = []

    def start_job_run(self, JobName: str, Arguments: dict[str, str]) -> dict[str, Any]:
        run_id = f"jr_{len(self.runs) + 1}"
        self.runs[run_id] = {
            "Id": run_id,
            "JobName": JobName,
            "Arguments": Arguments,
            "JobRunState": "STARTING",
        }
        self.started.append(JobName)
        return {"JobRunId": run_id}

    def get_paginator(self, name: str) -> SimpleNamespace:
        assert name == "get_job_runs"

        def paginate(JobName: str, **kwargs: Any) -> list[dict[str, Any]]:
            return [{"JobRuns": [dict(r) for r in reversed(self.runs.values()) if r["JobName"] == JobName]}]

        return SimpleNamespace(paginate=paginate)

    def get_job(self, JobName: str) -> dict[str, Any]:
        return {"Job": {"Name": JobName, "MaxRetries": 0}}

    def get_job_run(self, JobName: str, RunId: str, **kwargs: Any) -> dict[str, Any]:
        run = self.runs[RunId]
        run["JobRunState"] = "RUNNING" if run["JobRunState"] == "STARTING" else self.outcomes[JobName]
        if run["JobRunState"] != "SUCCEEDED" and run["JobRunState"] != "RUNNING":
            run["ErrorMessage"] = "UnicodeDecodeError: 'cp932' codec can't decode byte 0x87"
        return {"JobRun": dict(run)}


def workflow_dag(dag_id: str) -> DAG:
    """Load the ready DAG under its own id, with tiny wait intervals."""
    import importlib.util

    from tests.conftest import REPO_ROOT

    spec = importlib.util.spec_from_file_location(
        f"glue_workflow_flow_{dag_id}", REPO_ROOT / "dags" / "glue_workflow_flow.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    d = module.dag
    d.dag_id = dag_id
    for t in d.tasks:
        if hasattr(t, "poke_interval"):  # the triggers and the failure guard
            t.poke_interval = 0.01
        elif hasattr(t, "poll_interval"):
            t.poll_interval = 0
    return d


def test_ready_dag_parses_without_touching_aws() -> None:
    d = workflow_dag("workflow_parse")
    # No hook (and so no connection or client) is created while the file is parsed.
    assert not any("hook" in vars(t) for t in d.tasks)
    assert d.task_dict["when_encoded"].downstream_task_ids == {"load_datalake"}
    assert d.task_dict["when_encoding_failed"].downstream_task_ids == {"alert"}
    assert d.task_dict[FAILURE_GUARD_TASK_ID].upstream_task_ids == {"encode_logs"}
    assert d.task_dict["when_encoded"].upstream_task_ids == {"encode_logs"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encode", "expected", "run_state"),
    [
        ("SUCCEEDED", {"when_encoded": "success", "load_datalake": "success", "alert": "skipped"}, "success"),
        ("FAILED", {"when_encoded": "skipped", "load_datalake": "skipped", "alert": "success"}, "failed"),
        ("TIMEOUT", {"when_encoded": "skipped", "load_datalake": "skipped", "alert": "success"}, "failed"),
        ("STOPPED", {"when_encoded": "skipped", "load_datalake": "skipped", "alert": "skipped"}, "failed"),
    ],
)
def test_ready_dag_runs_with_scripted_job_outcomes(run_dag, moto_s3, encode, expected, run_state) -> None:
    from airflow_glue_flow.hooks.job import GlueJobFlowHook
    from airflow_glue_flow.operators.deploy import GlueDeployOperator

    # A new log file under the default bucket_path, so that check_new_files lets the jobs run.
    moto_s3.create_bucket(Bucket="dp-datalake-dev")
    moto_s3.put_object(Bucket="dp-datalake-dev", Key="Processed_CTS_dev/input/a.log", Body=b"log")
    glue = ScriptedGlue({"log_encoding": encode, "datalake_load": "SUCCEEDED"})
    # Only the job calls are scripted here; the DAG's deploy step is run for real in
    # tests/dags/test_glue_workflow_flow.py.
    with (
        mock.patch.object(GlueJobFlowHook, "conn", glue),
        mock.patch.object(GlueDeployOperator, "execute", return_value={}),
    ):
        dr = run_dag(workflow_dag(f"workflow_{encode.lower()}"))
    states = task_states(dr)
    assert {t: states[t] for t in expected} == expected
    assert states["encode_logs"] == ("success" if encode == "SUCCEEDED" else "failed")
    assert states[FAILURE_GUARD_TASK_ID] == ("success" if run_state == "success" else "failed")
    assert dr.state == run_state
    assert glue.started == ["log_encoding", "datalake_load"][: 2 if encode == "SUCCEEDED" else 1]
    assert glue.runs["jr_1"]["Arguments"]["--DECODE_LANG"] == "cp932"
    if encode in ("FAILED", "TIMEOUT"):
        alert = next(t for t in dr.get_task_instances() if t.task_id == "alert")
        assert (
            alert.xcom_pull(task_ids="alert")
            == f"Glue job log_encoding run jr_1 ended {encode}; load skipped"
        )
