"""The ready DAGs' CSV -> Parquet job definitions: one per job_type, an unknown job_type refused by name."""

from __future__ import annotations

import pytest

from airflow_glue_flow.flow_jobs import csv_to_parquet_job, job_from_params

PARAMS = {
    "job_type": "spark",
    "job_name": "se2_job0",
    "glue_role": "arn:aws:iam::123456789012:role/glue",
    "bucket": "flow",
    "database": "se2",
    "table_prefix": "se2_",
    "input_prefix": "se2/in0/",
    "job_timeout": 60,
}


def test_spark_job_reads_the_crawled_table_with_bookmarks():
    job = job_from_params(PARAMS)

    assert job["Command"] == {
        "Name": "glueetl",
        "PythonVersion": "3",
        "ScriptLocation": "s3://flow/glue-flow/scripts/csv_to_parquet_spark.py",
    }
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"], job["Timeout"]) == ("5.0", "G.1X", 2, 60)
    # The crawler names the table TablePrefix + the crawled folder's name.
    assert job["DefaultArguments"] == {
        "--job-bookmark-option": "job-bookmark-enable",
        "--DATABASE": "se2",
        "--TABLE_NAME": "se2_in0",
    }
    assert "MaxCapacity" not in job


def test_python_shell_job_runs_the_pyarrow_script():
    job = job_from_params({**PARAMS, "job_type": "pythonshell", "job_timeout": 5})

    assert job["Command"] == {
        "Name": "pythonshell",
        "PythonVersion": "3.9",
        "ScriptLocation": "s3://flow/glue-flow/scripts/csv_to_parquet.py",
    }
    assert (job["MaxCapacity"], job["Timeout"], job["DefaultArguments"]) == (0.0625, 5, {"library-set": "analytics"})
    assert "WorkerType" not in job and "GlueVersion" not in job


def test_unknown_job_type_is_refused_by_name():
    with pytest.raises(ValueError, match="job_type 'ray' is not one of spark, pythonshell"):
        csv_to_parquet_job("ray", name="j", role="r", script_prefix="s3://b/", database="d", table="t")
