"""docker-compose.yaml's deployment, run without Docker, driven through Airflow's public REST API.

One deployment serves every module of this folder (see conftest.py); each test uses its own bucket,
crawler and job names. Glue runs are read back from the local Glue with boto3, as a user would check
them in AWS.
"""

from __future__ import annotations

import configparser
import os
import signal
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from airflow_glue_flow.sample import sample_text
from tests.deployment.services import wait_for
from tests.local_glue import SEED_CSV_PATH, SLEEPING_SCRIPT

pytestmark = pytest.mark.slow

ETL = "glue_etl_flow"
RAW = "se2/raw/in0/"
#: Not run: glue_etl_flow runs one run at a time (max_active_runs=1) and one run took 100-170 s in this
#: deployment on the shared 2-core machine (load average about 20), so ten in a row need 15-25 minutes,
#: beyond the deployment test's budget. What keeps a job task out of the scheduler race is checked by
#: test_main_flow_succeeds_with_its_job_waiting_deferred: the task ends in the triggerer, never resumed.
TEN_RUNS_OVER_BUDGET = pytest.mark.skip(
    reason="ten glue_etl_flow runs in a row take 15-25 min here (max_active_runs=1, 100-170 s per run), "
    "beyond the deployment test's budget (issue 9 item 11)"
)
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


def test_services_share_a_generated_fernet_key_and_parse_every_dag(deployment):
    config = configparser.ConfigParser(interpolation=None)
    config.read(deployment.processes.home / "config" / "airflow.cfg")
    fernet_key = config["core"]["fernet_key"]
    assert len(fernet_key) == 44 and fernet_key.endswith("=")
    assert config["api_auth"]["jwt_secret"]
    assert deployment.api.call("GET", "/importErrors")["total_entries"] == 0


def test_unpausing_the_main_dag_starts_no_run(deployment):
    api = deployment.api

    dag = api.unpause(ETL)

    assert dag["is_paused"] is False
    assert datetime.fromisoformat(dag["next_dagrun_run_after"]) > datetime.now(UTC)
    assert api.runs(ETL) == []


def test_main_flow_succeeds_with_its_job_waiting_deferred(deployment):
    api, conf = deployment.api, etl_conf()
    deployment.land(conf["bucket"], RAW)
    run_id = api.trigger(ETL, conf)
    seen: set[str | None] = set()

    state = api.wait_run(
        ETL, run_id, timeout=240, on_poll=lambda states: seen.add(states.get("csv_to_parquet"))
    )

    states = api.task_states(ETL, run_id)
    assert state == "success", (states, deployment.job_runs(conf["job_name"]))
    assert "deferred" in seen
    assert states["publish"] == "success" and states["alert"] == "skipped"
    [run] = deployment.job_runs(conf["job_name"])
    assert run["JobRunState"] == "SUCCEEDED"
    assert api.xcom(ETL, run_id, "csv_to_parquet", "glue_state") == "SUCCEEDED"
    ti = api.task_instances(ETL, run_id)["csv_to_parquet"]
    log = api.task_log(ETL, run_id, "csv_to_parquet", ti["try_number"])
    assert "19 rows" in log  # the job's own output, forwarded from CloudWatch Logs into the task log
    # Ended from the triggerer (end_from_trigger): the worker deferred once and never resumed the task.
    assert (ti["try_number"], log.count("Pausing task as DEFERRED"), log.count("Pre Execute")) == (1, 1, 1)
    utf8 = deployment.s3.get_object(Bucket=conf["bucket"], Key="se2/in0/csvlog.csv")["Body"].read()
    assert utf8.decode("utf-8") == sample_text()


def test_failing_job_fails_the_run_and_runs_the_alert(deployment, tmp_path):
    api, conf = deployment.api, etl_conf()
    bad = tmp_path / "bad.csv"
    # Text in a number column: the job's cast to long fails.
    bad.write_text(SEED_CSV_PATH.read_text().replace("iphone,11113,", "iphone,unknown,", 1), encoding="utf-8")
    deployment.land(conf["bucket"], RAW, csv=bad)
    run_id = api.trigger(ETL, conf)

    state = api.wait_run(ETL, run_id, timeout=240)

    states = api.task_states(ETL, run_id)
    assert state == "failed", states
    assert states["csv_to_parquet"] == "failed"
    assert (states["on_failure"], states["alert"], states["publish"]) == ("success", "success", "skipped")
    [run] = deployment.job_runs(conf["job_name"])
    assert run["JobRunState"] == "FAILED"
    assert api.xcom(ETL, run_id, "csv_to_parquet", "glue_state") == "FAILED"


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
    # Stopped by the teardown, since the trigger never ran.
    assert api.xcom(chain, run_id, "stop_left_glue_runs") == {"run_job": [glue_run]}


def test_a_retry_reattaches_to_the_glue_run_of_the_first_try(deployment):
    api, dag_id = deployment.api, "glue_retry_reattach"
    conf = chain_conf(deployment, script=b"import time\nprint('working', flush=True)\ntime.sleep(12)\n")
    api.unpause(dag_id)
    run_id = api.trigger(dag_id, {"job_name": conf["job_name"]})

    state = api.wait_run(dag_id, run_id, timeout=180)

    ti = api.task_instances(dag_id, run_id)["run_job"]
    assert (state, ti["state"], ti["try_number"]) == ("success", "success", 2)
    [run] = deployment.job_runs(conf["job_name"])
    assert run["JobRunState"] == "SUCCEEDED"
    assert f"Reattaching to Glue job {conf['job_name']} run {run['Id']}" in api.task_log(
        dag_id, run_id, "run_job", 2
    )


def test_workflow_flow_deploys_its_jobs_and_succeeds_on_a_fresh_local_glue(deployment):
    api, dag_id = deployment.api, "glue_workflow_flow"
    suffix = uuid.uuid4().hex[:8]
    conf = {
        "bucket_name": f"wf-{suffix}",
        "encode_job_name": f"enc_{suffix}",
        "load_job_name": f"load_{suffix}",
    }
    deployment.land(conf["bucket_name"], prefix="Processed_CTS_dev/input/")
    api.unpause(dag_id)
    run_id = api.trigger(dag_id, conf)

    state = api.wait_run(dag_id, run_id, timeout=240)

    states = api.task_states(dag_id, run_id)
    runs = {job: deployment.job_runs(job) for job in (conf["encode_job_name"], conf["load_job_name"])}
    assert state == "success", (states, runs)
    assert states["load_datalake"] == "success" and states["alert"] == "skipped"
    for job in (conf["encode_job_name"], conf["load_job_name"]):
        assert [run["JobRunState"] for run in runs[job]] == ["SUCCEEDED"]
    lake = deployment.s3.list_objects_v2(Bucket=conf["bucket_name"], Prefix="Processed_CTS_dev/lake/")
    assert [o["Key"] for o in lake["Contents"]] == ["Processed_CTS_dev/lake/csvlog.parquet"]


@TEN_RUNS_OVER_BUDGET
@pytest.mark.timeout(1800)
def test_ten_fast_job_runs_in_a_row_each_succeed_with_exactly_one_glue_run(deployment):
    # Issue: a worker's stale "success" after defer() arriving once the trigger re-queued the task made
    # the scheduler fail fast job tasks (apache/airflow issues 66374, 67287, 72716). wait_time 1 makes
    # the window likely; the runs must all succeed, none with a second Glue run.
    api = deployment.api
    confs = [etl_conf(wait_time=1) for _ in range(10)]
    for conf in confs:
        deployment.land(conf["bucket"], RAW)
    # max_active_runs=1: the scheduler runs them one after another.
    runs = [api.trigger(ETL, conf) for conf in confs]

    outcomes = []
    for conf, run_id in zip(confs, runs, strict=True):
        state = api.wait_run(ETL, run_id, timeout=300)
        job_ti = api.task_instances(ETL, run_id)["csv_to_parquet"]
        glue_runs = [run["JobRunState"] for run in deployment.job_runs(conf["job_name"])]
        outcomes.append((state, job_ti["state"], glue_runs))

    assert outcomes == [("success", "success", ["SUCCEEDED"])] * 10


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
