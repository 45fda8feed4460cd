"""Fixtures of the glue_etl_flow DAG tests: the DAG loaded from its file, the local Glue's clients, a run conf."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.airflow_internals import parse_dags
from tests.support.etl_flow import DAG_FILE, DAG_ID, GUARD


@pytest.fixture
def dag(airflow_db) -> Any:
    """The DAG as the DAG processor loads it from its file, loaded again for each test.

    ``dag.test()`` runs the tasks in this process on the DAG's own task objects: a DAG object shared
    between tests carried one run's ``job_type`` (from its conf) into the next test's run, whose job
    was then deployed with that type instead of the default.
    """
    dagbag = parse_dags(DAG_FILE)
    assert dagbag.import_errors == {}
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None
    assert GUARD in dag.task_ids
    # The conditional triggers start with the run and re-check every 30 s until the job has ended.
    for task_id in ("on_success", "on_failure", GUARD):
        dag.get_task(task_id).poke_interval = 0.5
    # A failed job's retry (which adopts the failed run) waits 10 s; dag.test() would sleep through it.
    dag.get_task("csv_to_parquet").retry_delay = timedelta(0)
    return dag


@pytest.fixture
def aws(request) -> SimpleNamespace:
    """boto3 clients of the local Glue: ``aws.s3``, ``aws.glue``, ``aws.logs``."""
    return SimpleNamespace(
        **{name: request.getfixturevalue(f"{name}_client") for name in ("s3", "glue", "logs")}
    )


@pytest.fixture
def flow(request) -> dict[str, Any]:
    """Run conf with names of this test only (the local Glue is shared by the session).

    The flow's logic is tested with the Python-shell job, which starts in a second; the Spark job, the
    default, has its own end-to-end test.
    """
    named: Callable[[str], str] = request.getfixturevalue("unique")
    return {
        "bucket": request.getfixturevalue("bucket"),
        "database": named("db"),
        "crawler_name": named("crawler"),
        "job_name": named("job"),
        "job_type": "pythonshell",
        "wait_time": 1,
        "max_attempts": 30,
    }
