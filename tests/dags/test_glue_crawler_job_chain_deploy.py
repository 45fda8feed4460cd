"""glue_crawler_job_chain deploys what it uses and runs on a fresh local Glue, or runs existing resources.

Loaded from its file and run with dag.test() against the local Glue, nothing scripted: the default
Spark job and the Python-shell job end to end (deployed, crawled, run, Parquet read back with boto3), a
second run that changes nothing, ``deploy=false`` on a crawler and job made beforehand, and the trigger
form's validation of bad params.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT
from tests.conftest import REPO_ROOT, task_states
from tests.local_glue import SEED_COLUMNS, SEED_CSV_PATH, create_python_job, log_messages, require_spark
from tests.support.airflow_internals import parse_dags
from tests.support.aws_calls import CALLS

DAG_FILE = REPO_ROOT / "dags" / "glue_crawler_job_chain.py"
DAG_ID = "glue_crawler_job_chain"
TASKS = ("job_definition", "deploy", "start_crawler", "wait_for_crawler", "run_job", "stop_left_glue_runs")
INPUT, OUTPUT = "se2/in0/", "se2/out0/"
SCRIPTS = ("csv_to_parquet_spark.py", "csv_to_parquet.py")
#: Calls that write a resource: a run that deploys nothing, or finds everything in place, makes none.
WRITES = frozenset(
    {
        "CreateBucket",
        "CreateDatabase",
        "CreateCrawler",
        "UpdateCrawler",
        "CreateJob",
        "UpdateJob",
        "PutObject",
    }
)
#: The seed's 4th row, as both jobs write it ("007" in the CSV is the long 7).
ROW_4 = {"deviceid": "iphone", "uuid": 11114, "appid": 7, "country": "AUS"} | {
    "year": 2017,
    "month": 12,
    "day": 17,
    "hour": 18,
}


@pytest.fixture
def dag(airflow_db) -> Any:
    """The DAG as the DAG processor loads it, loaded again for each test (dag.test() runs the tasks on
    the DAG's own objects, so a shared DAG would carry one run's rendered fields into the next)."""
    dagbag = parse_dags(DAG_FILE)
    assert dagbag.import_errors == {}
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None and set(dag.task_ids) == set(TASKS)
    return dag


@pytest.fixture
def chain(request) -> dict[str, Any]:
    """Run conf with names of this test only (the local Glue is shared by the session), the seed CSV
    landed under ``input_prefix``."""
    unique, bucket = request.getfixturevalue("unique"), request.getfixturevalue("bucket")
    request.getfixturevalue("local_aws_default")
    request.getfixturevalue("s3_client").put_object(
        Bucket=bucket, Key=f"{INPUT}csvlog.csv", Body=SEED_CSV_PATH.read_bytes()
    )
    return {
        "bucket": bucket,
        "database": unique("db"),
        "crawler_name": unique("crawler"),
        "job_name": unique("job"),
        "wait_time": 1,
        "max_attempts": 60,
    }


def deploy_report(conf: dict[str, Any], outcome: str) -> dict[str, dict[str, str]]:
    """The deploy task's report when every resource of ``conf`` had ``outcome``."""
    return {
        "databases": {conf["database"]: outcome},
        "scripts": {f"s3://{conf['bucket']}/glue-flow/scripts/{name}": outcome for name in SCRIPTS},
        "py_packages": {},
        "crawlers": {conf["crawler_name"]: outcome},
        "jobs": {conf["job_name"]: outcome},
    }


def xcom(dag_run: Any, task_id: str) -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id)


def parquet_rows(s3: Any, bucket: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The rows of every Parquet object under the output prefix, and the first one's schema."""
    import pyarrow.parquet as pq

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=OUTPUT).get("Contents", [])]
    tables = [pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys]
    assert tables, f"no output under s3://{bucket}/{OUTPUT}"
    rows = [row for table in tables for row in table.to_pylist()]
    return rows, [(field.name, str(field.type)) for field in tables[0].schema]


def writes_since(mark: int) -> list[str]:
    """The resource-writing calls the package made since ``CALLS[mark]``."""
    return [f"{call.service}:{call.operation}" for call in CALLS[mark:] if call.operation in WRITES]


def assert_ran_by_name(glue: Any, dag_run: Any, job_name: str) -> dict[str, Any]:
    """The chain started the job by name only (its DefaultArguments apply), and the run succeeded."""
    run_id = xcom(dag_run, "run_job")
    run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["Arguments"] == {RUN_TAG_ARGUMENT: f"{DAG_ID}/{dag_run.run_id}/run_job"}
    return run


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_default_spark_chain_deploys_everything_and_writes_the_seed_as_parquet(
    dag, run_dag, task_errors, chain, s3_client, glue_client, logs_client
):
    require_spark()
    # Minutes on AWS, seconds in the tests' local Glue: room for a Spark run on a loaded machine.
    conf = {**chain, "job_timeout": 900}

    dag_run = run_dag(dag, conf=conf)

    assert task_errors == {}
    assert task_states(dag_run) == dict.fromkeys(TASKS, "success")
    bucket, job_name = conf["bucket"], conf["job_name"]
    assert xcom(dag_run, "deploy") == deploy_report(conf, "created")
    job = glue_client.get_job(JobName=job_name)["Job"]
    assert (job["Command"]["Name"], job["GlueVersion"]) == ("glueetl", "5.0")
    assert job["Command"]["ScriptLocation"] == f"s3://{bucket}/glue-flow/scripts/csv_to_parquet_spark.py"
    assert job["DefaultArguments"] == {
        "--job-bookmark-option": "job-bookmark-enable",
        "--DATABASE": conf["database"],
        "--TABLE_NAME": "se2_in0",
        "--OUTPUT_PATH": f"s3://{bucket}/{OUTPUT}",
    }
    run = assert_ran_by_name(glue_client, dag_run, job_name)
    rows, schema = parquet_rows(s3_client, bucket)
    assert schema == [(name, "string" if kind == "string" else "int64") for name, kind in SEED_COLUMNS]
    assert len(rows) == 19 and ROW_4 in rows
    assert sorted(r["uuid"] for r in rows) == sorted(
        int(line.split(",")[1]) for line in SEED_CSV_PATH.read_text().splitlines()[1:]
    )
    assert f"Writing 19 rows to s3://{bucket}/{OUTPUT}" in log_messages(
        logs_client, "/aws-glue/jobs/output", run["Id"]
    )


@pytest.mark.slow
def test_pythonshell_chain_deploys_runs_and_a_second_run_changes_nothing(
    dag, run_dag, task_errors, chain, s3_client, glue_client
):
    conf = {**chain, "job_type": "pythonshell"}

    first = run_dag(dag, conf=conf)

    assert task_errors == {}
    assert task_states(first) == dict.fromkeys(TASKS, "success")
    job_name, bucket = conf["job_name"], conf["bucket"]
    assert xcom(first, "deploy") == deploy_report(conf, "created")
    job = glue_client.get_job(JobName=job_name)["Job"]
    assert job["Command"]["Name"] == "pythonshell"
    assert job["Command"]["ScriptLocation"] == f"s3://{bucket}/glue-flow/scripts/csv_to_parquet.py"
    assert job["DefaultArguments"] == {
        "library-set": "analytics",
        "--INPUT_PATH": f"s3://{bucket}/{INPUT}",
        "--OUTPUT_PATH": f"s3://{bucket}/{OUTPUT}",
    }
    assert_ran_by_name(glue_client, first, job_name)
    rows, _ = parquet_rows(s3_client, bucket)
    assert len(rows) == 19 and rows[3] == ROW_4

    # Everything is in place: the second run reads each resource, writes none, and runs the chain again.
    mark = len(CALLS)
    second = run_dag(dag, conf=conf)

    assert task_errors == {}
    assert task_states(second) == dict.fromkeys(TASKS, "success")
    assert xcom(second, "deploy") == deploy_report(conf, "unchanged")
    assert writes_since(mark) == []
    assert glue_client.get_job(JobName=job_name)["Job"]["LastModifiedOn"] == job["LastModifiedOn"]
    assert_ran_by_name(glue_client, second, job_name)
    assert len(glue_client.get_job_runs(JobName=job_name)["JobRuns"]) == 2


EXISTING_SCRIPT = b"""
import sys
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["GREETING"])
print("existing job says", args["GREETING"], flush=True)
"""


@pytest.mark.slow
def test_deploy_false_runs_the_existing_crawler_and_job_as_they_are(
    dag, run_dag, task_errors, chain, s3_client, glue_client, logs_client
):
    # The user's own resources, as the seed's state machine expects them: made beforehand, not by the DAG.
    bucket, crawler, job_name = chain["bucket"], chain["crawler_name"], chain["job_name"]
    glue_client.create_database(DatabaseInput={"Name": chain["database"]})
    glue_client.create_crawler(
        Name=crawler,
        Role="glue-role",
        DatabaseName=chain["database"],
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/{INPUT}"}]},
    )
    create_python_job(
        glue_client, s3_client, bucket, job_name, EXISTING_SCRIPT, DefaultArguments={"--GREETING": "hello"}
    )
    before = glue_client.get_job(JobName=job_name)["Job"]
    mark = len(CALLS)

    # Only the names: the other params (bucket, job_type, ...) keep defaults that are never used.
    dag_run = run_dag(
        dag, conf={"deploy": False, "crawler_name": crawler, "job_name": job_name, "wait_time": 1}
    )

    assert task_errors == {}
    assert task_states(dag_run) == {
        **dict.fromkeys(TASKS, "success"),
        "job_definition": "skipped",
        "deploy": "skipped",
    }
    assert writes_since(mark) == []
    assert glue_client.get_job(JobName=job_name)["Job"] == before
    assert glue_client.get_crawler(Name=crawler)["Crawler"]["LastCrawl"]["Status"] == "SUCCEEDED"
    assert glue_client.get_table(DatabaseName=chain["database"], Name="in0")["Table"]["Name"] == "in0"
    run = assert_ran_by_name(glue_client, dag_run, job_name)
    assert "existing job says hello" in log_messages(logs_client, "/aws-glue/python-jobs/output", run["Id"])


@pytest.mark.parametrize(
    ("param", "value"),
    [
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        ("bucket", "My_Bucket"),
        ("bucket", "ab"),
        ("input_prefix", "se2/in0"),
        ("output_prefix", "/se2/out0/"),
        # Lower case, as Athena and Spark SQL read catalog names:
        # https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html
        ("database", "Se2"),
        ("table_prefix", "se2-"),
        # Glue's NameString: 1-255 characters, single line (the CreateJob / CreateCrawler API reference).
        ("crawler_name", ""),
        ("job_name", "two\nlines"),
        ("job_name", "j" * 256),
        ("job_type", "ray"),
        ("job_timeout", 0),
        ("glue_role", "arn:aws:iam::123:role/glue"),
        ("glue_role", "role with spaces"),
        ("wait_time", -1),
        ("max_attempts", 0),
        ("deploy", "yes"),
    ],
)
def test_bad_params_are_refused_naming_the_param(dag, run_dag, param, value):
    # The REST API and the trigger form refuse such a run with this error (HTTP 400); dag.test() too.
    from airflow_glue_flow.compat import ParamValidationError

    # dag.test() of Airflow 3.2.1 re-raises it as a ValueError with the same message.
    with pytest.raises((ParamValidationError, ValueError), match=f"^Invalid input for param {param}: "):
        run_dag(dag, conf={param: value})


@pytest.mark.parametrize(
    "conf",
    [
        {},
        {"glue_role": "glue-role"},
        {"glue_role": "arn:aws:iam::123456789012:role/service-role/AWSGlueServiceRole-x"},
        {"bucket": "my.bucket-1", "table_prefix": "", "deploy": False, "wait_time": 0},
    ],
    ids=["defaults", "role-name", "role-arn-with-path", "edges"],
)
def test_good_params_pass_the_same_checks(dag, conf):
    import copy

    params = copy.deepcopy(dag.params)
    params.update(conf)  # each value is checked as it is set

    assert params.validate() | conf == params.validate()
