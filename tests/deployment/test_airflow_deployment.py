"""docker-compose.yaml's deployment, run without Docker, driven through Airflow's public REST API.

One deployment serves every module of this folder (see conftest.py); each test uses its own bucket,
crawler and job names. Glue runs are read back from the local Glue with boto3, as a user would check
them in AWS. The tests that act on runs (marking tasks failed, pausing the triggerer) go first; then the
runs that the other tests only check (the ``started_*`` fixtures) start together and go on side by side.
"""

from __future__ import annotations

import configparser
import os
import signal
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from airflow_glue_flow.cli.sample import sample_text
from airflow_glue_flow.compat import AIRFLOW_V_3_3_PLUS, TRIGGER_ON_KILL
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT
from tests.deployment.api import RunWatch
from tests.deployment.services import wait_for
from tests.local_glue import SEED_CSV_PATH, SLEEPING_SCRIPT

pytestmark = pytest.mark.slow

ETL = "glue_etl_flow"
FAST = "glue_fast_job_runs"
RAW = "se2/raw/in0/"
#: Checks of the crawler and the job every few seconds: short runs, yet far from the stale
#: "success" a worker reports right after it deferred (apache/airflow issue 66374).
WAIT_TIME = 4


def etl_conf(**overrides: Any) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    return {
        "bucket": f"deploy-{suffix}",
        "database": f"db_{suffix}",
        "crawler_name": f"crawler_{suffix}",
        "job_name": f"job_{suffix}",
        # The Python-shell job: these tests are about the deployment, and its failing-job case needs a
        # cast error the pyarrow job raises (Spark's cast gives null instead).
        "job_type": "pythonshell",
        "wait_time": WAIT_TIME,
        "max_attempts": 30,
        **overrides,
    }


def job_task_ending(api, dag_id: str, run_id: str, task_id: str) -> tuple[str, int, int, int | None]:
    """(state, try number, deferrals, starts of execute) of a job task. A task ended from the triggerer
    (end_from_trigger) reads :data:`ENDED_FROM_TRIGGER`: its worker deferred once and no worker resumed it.
    Task runners before Airflow 3.3 log no "Pre Execute" group: the starts read None there."""
    ti = api.task_instances(dag_id, run_id)[task_id]
    log = api.task_log(dag_id, run_id, task_id, ti["try_number"])
    starts = log.count("Pre Execute") if AIRFLOW_V_3_3_PLUS else None
    return ti["state"], ti["try_number"], log.count("Pausing task as DEFERRED"), starts


ENDED_FROM_TRIGGER = ("success", 1, 1, 1 if AIRFLOW_V_3_3_PLUS else None)


def python_shell_job(deployment, script: bytes) -> str:
    """Create a Python-shell job running ``script`` (in a bucket of its own); return its name."""
    suffix = uuid.uuid4().hex[:8]
    bucket, job_name = f"job-{suffix}", f"job_{suffix}"
    deployment.s3.create_bucket(Bucket=bucket)
    deployment.s3.put_object(Bucket=bucket, Key="scripts/job.py", Body=script)
    deployment.glue.create_job(
        Name=job_name,
        Role="glue-role",
        Command={
            "Name": "pythonshell",
            "PythonVersion": "3.9",
            "ScriptLocation": f"s3://{bucket}/scripts/job.py",
        },
    )
    return job_name


#: For a test that checks a run a ``started_*`` fixture started: when the first such test begins, the runs
#: of all of them start (conftest.runs_started_together); the tests before it act on runs of their own.
STARTED_TOGETHER = pytest.mark.usefixtures("runs_started_together")


@dataclass
class Started:
    """A DAG run started before the module's first test (see conftest.runs_started_together)."""

    run_id: str
    conf: dict[str, Any]


@pytest.fixture(scope="module")
def etl_unpaused(deployment) -> tuple[dict[str, Any], datetime]:
    """glue_etl_flow unpaused through the API: the DAG as the API returned it, and when."""
    return deployment.api.unpause(ETL), datetime.now(UTC)


@pytest.fixture(scope="module")
def started_main_flow(deployment, etl_unpaused) -> tuple[Started, RunWatch]:
    conf = etl_conf()
    deployment.land(conf["bucket"], RAW)
    run_id = deployment.api.trigger(ETL, conf)
    # Watched from the start, so a task state held only for seconds is seen while other tests run.
    return Started(run_id, conf), RunWatch(deployment.api, ETL, run_id, timeout=360)


@pytest.fixture(scope="module")
def started_failing_job(deployment, etl_unpaused, tmp_path_factory) -> Started:
    conf = etl_conf()
    bad = tmp_path_factory.mktemp("failing-job") / "bad.csv"
    # Text in a number column: the job's cast to long fails.
    bad.write_text(SEED_CSV_PATH.read_text().replace("iphone,11113,", "iphone,unknown,", 1), encoding="utf-8")
    deployment.land(conf["bucket"], RAW, csv=bad)
    # Queued behind the main flow's run: glue_etl_flow runs one run at a time (max_active_runs=1).
    return Started(deployment.api.trigger(ETL, conf), conf)


@pytest.fixture(scope="module")
def started_workflow(deployment) -> Started:
    suffix = uuid.uuid4().hex[:8]
    conf = {
        "bucket_name": f"wf-{suffix}",
        "encode_job_name": f"enc_{suffix}",
        "load_job_name": f"load_{suffix}",
    }
    deployment.land(conf["bucket_name"], prefix="Processed_CTS_dev/input/")
    deployment.api.unpause("glue_workflow_flow")
    return Started(deployment.api.trigger("glue_workflow_flow", conf), conf)


@pytest.fixture(scope="module")
def started_retry(deployment) -> Started:
    # Runs far longer than the first try's two one-second checks, even when the triggerer starts the
    # trigger late on a busy machine: the first try must give up while the run goes on.
    conf = {
        "job_name": python_shell_job(
            deployment, b"import time\nprint('working', flush=True)\ntime.sleep(30)\n"
        )
    }
    deployment.api.unpause("glue_retry_reattach")
    return Started(deployment.api.trigger("glue_retry_reattach", conf), conf)


@pytest.fixture(scope="module")
def started_fast_job_runs(deployment) -> list[Started]:
    conf = {"job_name": python_shell_job(deployment, b"print('done', flush=True)\n")}
    deployment.api.unpause(FAST)
    # One after another: the DAG runs one run at a time (max_active_runs=1).
    return [Started(deployment.api.trigger(FAST, conf), conf) for _ in range(10)]


def test_services_share_a_generated_fernet_key_and_parse_every_dag(deployment):
    config = configparser.ConfigParser(interpolation=None)
    config.read(deployment.processes.home / "config" / "airflow.cfg")
    fernet_key = config["core"]["fernet_key"]
    assert len(fernet_key) == 44 and fernet_key.endswith("=")
    assert config["api_auth"]["jwt_secret"]
    assert deployment.api.call("GET", "/importErrors")["total_entries"] == 0


def chain_conf(deployment, script: bytes = SLEEPING_SCRIPT) -> dict[str, Any]:
    """An existing crawler over a small CSV and a Python-shell job, for glue_crawler_job_chain with
    ``deploy`` off: the chain runs them as they are instead of deploying its own job under that name."""
    suffix = uuid.uuid4().hex[:8]
    bucket, glue = f"chain-{suffix}", deployment.glue
    deployment.s3.create_bucket(Bucket=bucket)
    deployment.s3.put_object(Bucket=bucket, Key="data/t.csv", Body=b"a,b\nx,1\ny,2\n")
    deployment.s3.put_object(Bucket=bucket, Key="scripts/job.py", Body=script)
    glue.create_database(DatabaseInput={"Name": f"db_{suffix}"})
    glue.create_crawler(
        Name=f"crawler_{suffix}",
        Role="glue-role",
        DatabaseName=f"db_{suffix}",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/data/"}]},
    )
    glue.create_job(
        Name=f"job_{suffix}",
        Role="glue-role",
        Command={
            "Name": "pythonshell",
            "PythonVersion": "3.9",
            "ScriptLocation": f"s3://{bucket}/scripts/job.py",
        },
    )
    return {
        "deploy": False,
        "crawler_name": f"crawler_{suffix}",
        "job_name": f"job_{suffix}",
        "wait_time": 1,
        "max_attempts": 30,
    }


def glue_run_of(deployment, dag_id: str, run_id: str, task_id: str) -> str:
    return wait_for(
        lambda: deployment.api.xcom(dag_id, run_id, task_id, "glue_job_run_id"),
        timeout=30,
        message=lambda: f"{task_id} pushed no Glue run id",
    )


def wait_glue_state(deployment, job_name: str, run_id: str, state: str, timeout: float = 60) -> None:
    def current() -> str:
        return deployment.glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]["JobRunState"]

    wait_for(
        lambda: current() == state,
        timeout=timeout,
        message=lambda: f"Glue job {job_name} run {run_id} still {current()}, not {state}, after {timeout} s",
    )


def wait_task_state(
    api, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 120
) -> str:
    return wait_for(
        lambda: (state := api.task_states(dag_id, run_id).get(task_id)) in states and state,
        timeout=timeout,
        message=lambda: f"{task_id} not in {states}: {api.task_states(dag_id, run_id)}",
        interval=0.2,
    )


def test_marking_a_deferred_job_task_failed_stops_its_glue_run(deployment):
    api, chain = deployment.api, "glue_crawler_job_chain"
    confs = [chain_conf(deployment) for _ in range(3)]
    # Side by side: the triggerer is busy starting triggers while the tasks are killed.
    api.unpause(chain)
    runs = [api.trigger(chain, conf) for conf in confs]

    for conf, run_id in zip(confs, runs, strict=True):
        wait_task_state(api, chain, run_id, "run_job", {"deferred"})
        api.set_task_state(chain, run_id, "run_job", "failed")
        wait_glue_state(
            deployment, conf["job_name"], glue_run_of(deployment, chain, run_id, "run_job"), "STOPPED"
        )
    for run_id in runs:
        assert api.wait_run(chain, run_id, timeout=120) == "failed"


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_job_task_killed_before_the_triggerer_started_its_trigger_still_stops_its_run(deployment, attempt):
    # The window: the task has deferred (its trigger row exists) but the triggerer has not started the
    # trigger when the user marks it failed. The trigger row is then deleted unstarted, so the trigger's
    # on_kill never runs. The triggerer's main process, which assigns triggers and hands them to its
    # trigger runner, is paused (SIGSTOP) to hold that window open; the runner's event loop goes on, so
    # the pause itself makes no "async thread was blocked" warning.
    api, chain = deployment.api, "glue_crawler_job_chain"
    conf = chain_conf(deployment)
    api.unpause(chain)
    run_id = api.trigger(chain, conf)
    wait_task_state(api, chain, run_id, "wait_for_crawler", {"success"})
    triggerer = deployment.processes.processes["airflow-triggerer"]
    os.kill(triggerer.pid, signal.SIGSTOP)
    try:
        assert wait_task_state(api, chain, run_id, "run_job", {"deferred", "failed", "success"}) == "deferred"
        api.set_task_state(chain, run_id, "run_job", "failed")
    finally:
        os.kill(triggerer.pid, signal.SIGCONT)
    glue_run = glue_run_of(deployment, chain, run_id, "run_job")

    wait_glue_state(deployment, conf["job_name"], glue_run, "STOPPED")
    assert api.wait_run(chain, run_id, timeout=120) == "failed"
    left = api.xcom(chain, run_id, "stop_left_glue_runs")
    if TRIGGER_ON_KILL:
        # Stopped by the teardown, since the trigger never ran.
        assert left == {"run_job": [glue_run]}
    else:
        # Before 3.3 the resumed triggerer may still start the trigger, which stops the run itself when it
        # finds its task failed; the teardown stops it otherwise.
        assert left in ({"run_job": [glue_run]}, {"run_job": []}), left


@STARTED_TOGETHER
def test_main_flow_succeeds_with_its_job_waiting_deferred(deployment, started_main_flow):
    api, (started, watch) = deployment.api, started_main_flow
    run_id, conf = started.run_id, started.conf

    state = watch.state()

    states = api.task_states(ETL, run_id)
    assert state == "success", (api.run_report(ETL, run_id), deployment.job_runs(conf["job_name"]))
    assert "deferred" in watch.seen["csv_to_parquet"]
    assert states["publish"] == "success" and states["alert"] == "skipped"
    [run] = deployment.job_runs(conf["job_name"])
    assert run["JobRunState"] == "SUCCEEDED"
    assert api.xcom(ETL, run_id, "csv_to_parquet", "glue_state") == "SUCCEEDED"
    # The job's own output, forwarded from CloudWatch Logs into the task log.
    assert "19 rows" in api.task_log(ETL, run_id, "csv_to_parquet", 1)
    assert job_task_ending(api, ETL, run_id, "csv_to_parquet") == ENDED_FROM_TRIGGER
    utf8 = deployment.s3.get_object(Bucket=conf["bucket"], Key="se2/in0/csvlog.csv")["Body"].read()
    assert utf8.decode("utf-8") == sample_text()


@STARTED_TOGETHER
def test_failing_job_fails_the_run_and_runs_the_alert(deployment, started_failing_job):
    api, run_id, conf = deployment.api, started_failing_job.run_id, started_failing_job.conf

    state = api.wait_run(ETL, run_id, timeout=240)

    states = api.task_states(ETL, run_id)
    assert state == "failed", states
    assert states["csv_to_parquet"] == "failed"
    assert (states["on_failure"], states["alert"], states["publish"]) == ("success", "success", "skipped")
    [run] = deployment.job_runs(conf["job_name"])
    assert run["JobRunState"] == "FAILED"
    assert api.xcom(ETL, run_id, "csv_to_parquet", "glue_state") == "FAILED"


@STARTED_TOGETHER
def test_unpausing_the_main_dag_starts_no_run(
    deployment, etl_unpaused, started_main_flow, started_failing_job
):
    api, (dag, unpaused_at) = deployment.api, etl_unpaused
    assert dag["is_paused"] is False
    assert datetime.fromisoformat(dag["next_dagrun_run_after"]) > unpaused_at
    # Checked once the DAG has been unpaused for minutes (the two runs above have ended): only the runs
    # the tests triggered, no scheduled one.
    runs = {run["dag_run_id"]: run["run_type"] for run in api.runs(ETL)}
    assert runs == {started_main_flow[0].run_id: "manual", started_failing_job.run_id: "manual"}


@STARTED_TOGETHER
def test_a_retry_reattaches_to_the_glue_run_of_the_first_try(deployment, started_retry):
    api, dag_id, job_name = deployment.api, "glue_retry_reattach", started_retry.conf["job_name"]

    state = api.wait_run(dag_id, started_retry.run_id, timeout=180)

    ti = api.task_instances(dag_id, started_retry.run_id)["run_job"]
    assert (state, ti["state"], ti["try_number"]) == ("success", "success", 2)
    [run] = deployment.job_runs(job_name)
    assert run["JobRunState"] == "SUCCEEDED"
    assert f"Reattaching to Glue job {job_name} run {run['Id']}" in api.task_log(
        dag_id, started_retry.run_id, "run_job", 2
    )


@STARTED_TOGETHER
def test_workflow_flow_deploys_its_jobs_and_succeeds_on_a_fresh_local_glue(deployment, started_workflow):
    api, dag_id, conf = deployment.api, "glue_workflow_flow", started_workflow.conf

    state = api.wait_run(dag_id, started_workflow.run_id, timeout=240)

    states = api.task_states(dag_id, started_workflow.run_id)
    runs = {job: deployment.job_runs(job) for job in (conf["encode_job_name"], conf["load_job_name"])}
    assert state == "success", (api.run_report(dag_id, started_workflow.run_id), runs)
    assert states["load_datalake"] == "success" and states["alert"] == "skipped"
    for job in (conf["encode_job_name"], conf["load_job_name"]):
        assert [run["JobRunState"] for run in runs[job]] == ["SUCCEEDED"]
    lake = deployment.s3.list_objects_v2(Bucket=conf["bucket_name"], Prefix="Processed_CTS_dev/lake/")
    assert [o["Key"] for o in lake["Contents"]] == ["Processed_CTS_dev/lake/csvlog.parquet"]


@STARTED_TOGETHER
def test_ten_fast_job_runs_in_a_row_each_succeed_with_exactly_one_glue_run(deployment, started_fast_job_runs):
    # Issue: a worker's stale "success" after defer() arriving once the trigger had re-queued the task made
    # the scheduler fail fast job tasks whose Glue run SUCCEEDED (apache/airflow issues 66374, 67287,
    # 72716). A job that ends within seconds, checked every second, puts each run in that window (with
    # end_from_trigger and retries off, the first of these runs failed so); every task must end from the
    # triggerer at its first try, with one Glue run per DAG run.
    api, runs = deployment.api, [started.run_id for started in started_fast_job_runs]

    states = [api.wait_run(FAST, run_id, timeout=180) for run_id in runs]

    assert states == ["success"] * 10, "\n".join(api.run_report(FAST, run_id) for run_id in runs)
    for run_id in runs:
        assert job_task_ending(api, FAST, run_id, "run_job") == ENDED_FROM_TRIGGER, run_id
    glue_runs: dict[str, list[str]] = {}
    for glue_run in deployment.job_runs(started_fast_job_runs[0].conf["job_name"]):
        glue_runs.setdefault(glue_run["Arguments"][RUN_TAG_ARGUMENT], []).append(glue_run["JobRunState"])
    assert glue_runs == {f"{FAST}/{run_id}/run_job": ["SUCCEEDED"] for run_id in runs}


#: Airflow's block_watchdog logs "async thread was blocked" when its 0.1 s sleep on the trigger runner's loop
#: takes over [triggerer] blocked_main_thread_warning_threshold (0.2 s). tests/triggers/test_event_loop.py
#: checks that a trigger causes neither such stall: importing its module (the amazon provider behind it) on
#: the loop, or a full garbage collection of the whole heap set off by the first client build in its worker
#: thread (holding the GIL). What remains of a first wait is botocore parsing
#: its endpoint and service models off the loop (single calls of about 25 ms of CPU holding the GIL), which
#: only a machine loaded far beyond its cores stretches past the threshold. The triggerer's main process
#: stalls too when it builds its in-process execution API at the first end_from_trigger XCom push
#: ("TriggerRunner subprocess event loop appears deadlocked"): that is another process, not this loop.
def test_zz_triggerer_log_has_no_blocked_event_loop_warning(deployment):
    # Runs last: the log then covers every trigger of the tests above.
    log = deployment.processes.log_text("airflow-triggerer")
    blocked = [line for line in log.splitlines() if "was blocked for" in line]
    assert blocked == []
