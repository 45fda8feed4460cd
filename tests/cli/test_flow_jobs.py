"""The ready DAGs' CSV -> Parquet job definitions: one per job_type, an unknown job_type refused by name;
the job_definition task refuses run params it cannot build a job from, naming what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_glue_flow.cli.flow_jobs import csv_to_parquet_job, deploy_flow, job_from_params
from airflow_glue_flow.exceptions import GlueTaskParameterError

PARAMS = {
    "job_type": "spark",
    "job_name": "se2_job0",
    "glue_role": "arn:aws:iam::123456789012:role/glue",
    "bucket": "flow",
    "database": "se2",
    "table_prefix": "se2_",
    "input_prefix": "se2/in0/",
    "output_prefix": "se2/out0/",
    "job_timeout": 60,
    "crawler_name": "se2_in0",
}


def test_spark_job_reads_the_crawled_table_with_bookmarks():
    job = job_from_params(PARAMS)

    assert job["Command"] == {
        "Name": "glueetl",
        "PythonVersion": "3",
        "ScriptLocation": "s3://flow/glue-flow/scripts/csv_to_parquet_spark.py",
    }
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"], job["Timeout"]) == (
        "5.0",
        "G.1X",
        2,
        60,
    )
    # The crawler names the table TablePrefix + the crawled folder's name; a run by name alone has all
    # the script needs.
    assert job["DefaultArguments"] == {
        "--job-bookmark-option": "job-bookmark-enable",
        "--DATABASE": "se2",
        "--TABLE_NAME": "se2_in0",
        "--OUTPUT_PATH": "s3://flow/se2/out0/",
    }
    assert "MaxCapacity" not in job


def test_python_shell_job_runs_the_pyarrow_script():
    job = job_from_params({**PARAMS, "job_type": "pythonshell", "job_timeout": 5})

    assert job["Command"] == {
        "Name": "pythonshell",
        "PythonVersion": "3.9",
        "ScriptLocation": "s3://flow/glue-flow/scripts/csv_to_parquet.py",
    }
    assert (job["MaxCapacity"], job["Timeout"]) == (0.0625, 5)
    assert job["DefaultArguments"] == {
        "library-set": "analytics",
        "--INPUT_PATH": "s3://flow/se2/in0/",
        "--OUTPUT_PATH": "s3://flow/se2/out0/",
    }
    assert "WorkerType" not in job and "GlueVersion" not in job


def test_unknown_job_type_is_refused_by_name():
    with pytest.raises(ValueError, match="job_type 'ray' is not one of spark, pythonshell"):
        csv_to_parquet_job(
            "ray",
            name="j",
            role="r",
            script_prefix="s3://b/",
            database="d",
            table="t",
            input_path="s3://b/in/",
            output_path="s3://b/out/",
        )


def job_definition(switch: str | None = None):
    """The job_definition task's callable, as deploy_flow builds it in a DAG."""
    from airflow.sdk import DAG

    with DAG(dag_id="flow_jobs_test", schedule=None):
        deploy = deploy_flow(Path("scripts"), switch=switch)
    return deploy.jobs[0].operator.python_callable


def test_job_definition_builds_the_job_from_the_run_params():
    assert job_definition()(params=PARAMS) == job_from_params(PARAMS)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (None, "Task 'job_definition': params=None is not the run's params"),
        (
            {k: v for k, v in PARAMS.items() if k not in ("job_type", "output_prefix")},
            "lack job_type, output_prefix",
        ),
    ],
    ids=["no-params", "missing"],
)
def test_job_definition_refuses_params_it_cannot_use(params, message):
    with pytest.raises(GlueTaskParameterError, match=message):
        job_definition()(params=params)


def test_a_switched_off_deploy_skips_saying_what_runs_instead():
    from airflow_glue_flow.compat import AirflowSkipException

    with pytest.raises(GlueTaskParameterError, match="lack deploy"):
        job_definition("deploy")(params=PARAMS)
    assert job_definition("deploy")(params={**PARAMS, "deploy": True}) == job_from_params(PARAMS)
    with pytest.raises(AirflowSkipException) as skipped:
        job_definition("deploy")(params={**PARAMS, "deploy": False})
    assert str(skipped.value) == (
        "deploy=false: nothing is deployed; the flow runs crawler 'se2_in0' and job 'se2_job0' as they are"
    )
