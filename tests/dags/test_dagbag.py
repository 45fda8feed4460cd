"""The ready DAGs parse cleanly, without reading connections or calling AWS."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.conftest import REPO_ROOT
from tests.support.airflow_internals import first_scheduled_run, parse_dags

EXPECTED_DAGS = {"glue_etl_flow", "glue_etl_event_flow", "glue_crawler_job_chain", "glue_workflow_flow"}


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.sdk.definitions.connection import Connection

    def forbidden(*args, **kwargs):
        raise AssertionError(f"looked up a connection or called AWS while parsing: {args!r}")

    with (
        mock.patch.object(Connection, "get", side_effect=forbidden),
        mock.patch.object(Connection, "async_get", side_effect=forbidden),
        mock.patch("airflow.sdk.execution_time.context._get_connection", side_effect=forbidden),
        mock.patch("botocore.client.BaseClient._make_api_call", side_effect=forbidden),
    ):
        yield parse_dags(REPO_ROOT / "dags")


def test_no_import_errors_and_no_lookups(dagbag):
    assert dagbag.import_errors == {}


def test_ready_dags_are_there(dagbag):
    assert EXPECTED_DAGS <= set(dagbag.dag_ids)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dags_are_documented_and_tagged(dagbag, dag_id):
    dag = dagbag.get_dag(dag_id)
    assert dag.doc_md and dag.tags


@pytest.mark.parametrize("dag_id", ["glue_etl_flow", "glue_workflow_flow"])
def test_unpausing_a_scheduled_dag_starts_no_run_at_once(dagbag, dag_id):
    # A run for the last 03:00 right after unpausing would take the files landed for a manual run.
    # The scheduler's view: the serialized DAG's timetable with the DAG's start date and catchup.
    import pendulum

    now = pendulum.now("UTC")
    first = first_scheduled_run(dagbag.get_dag(dag_id))

    assert first is not None, f"{dag_id} gets no scheduled run"
    assert now < first.run_after <= now.add(days=1)
    assert (first.run_after.hour, first.run_after.minute) == (3, 0)


def test_every_job_script_the_dags_deploy_is_a_shipped_glue_script(dagbag):
    # The shipped scripts read their arguments with awsglue.utils.getResolvedOptions, like every real Glue
    # script, and each is run in the local Glue by tests/dags/test_job_scripts.py.
    from airflow_glue_flow.operators.deploy import GlueDeployOperator

    shipped = {path.resolve() for path in (REPO_ROOT / "dags" / "scripts").glob("*.py")}
    deployed = {
        (dag_id, deploy._script_path(path).resolve())
        for dag_id in EXPECTED_DAGS
        for deploy in dagbag.get_dag(dag_id).tasks
        if isinstance(deploy, GlueDeployOperator)
        for path in deploy.scripts
    }

    assert deployed, "no DAG deploys a job script"
    assert {(dag_id, path) for dag_id, path in deployed if path not in shipped} == set()
    for _, path in deployed:
        assert "from awsglue.utils import getResolvedOptions" in path.read_text(encoding="utf-8"), path
