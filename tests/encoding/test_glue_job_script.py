"""dags/scripts/convert_encoding.py run as a Glue Python-shell job on the local Glue.

The job imports the package from the zip in ``--extra-py-files`` and reads its arguments with
``awsglue.utils.getResolvedOptions``, as on AWS Glue:
https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html (Python shell jobs, --extra-py-files)
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-get-resolved-options.html
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_glue_flow.encoding.bundle import JOB_ZIP_NAME, job_zip
from tests.conftest import REPO_ROOT
from tests.local_glue import log_messages, wait_for_run

pytestmark = pytest.mark.slow

SCRIPT = REPO_ROOT / "dags" / "scripts" / "convert_encoding.py"
TEXT = "髙橋,①㈱～\r\n"


def _job(glue: Any, s3: Any, bucket: str, name: str, **arguments: str) -> None:
    s3.put_object(Bucket=bucket, Key="scripts/convert_encoding.py", Body=SCRIPT.read_bytes())
    s3.put_object(Bucket=bucket, Key=f"scripts/{JOB_ZIP_NAME}", Body=job_zip())
    glue.create_job(
        Name=name,
        Role="glue-role",
        Command={
            "Name": "pythonshell",
            "PythonVersion": "3.9",
            "ScriptLocation": f"s3://{bucket}/scripts/convert_encoding.py",
        },
        DefaultArguments={"--extra-py-files": f"s3://{bucket}/scripts/{JOB_ZIP_NAME}", **arguments},
        MaxCapacity=0.0625,
    )


def test_job_converts_archives_and_deletes(glue_client, s3_client, logs_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=TEXT.encode("cp932"))
    name = unique("convert")
    _job(
        glue_client,
        s3_client,
        bucket,
        name,
        **{
            "--BUCKET_NAME": bucket,
            "--BUCKET_PATH": "in/",
            "--BUCKET_PATH_DECODE": "utf8/",
            "--BUCKET_PATH_ORG": "shift_jis/",
            "--DECODE_LANG": "cp932",
        },
    )
    run_id = glue_client.start_job_run(JobName=name, Arguments={"--MAX_WORKERS": "2"})["JobRunId"]
    run = wait_for_run(glue_client, name, run_id, timeout=180)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"utf8/a.csv", "shift_jis/a.csv", "scripts/convert_encoding.py", f"scripts/{JOB_ZIP_NAME}"}
    assert s3_client.get_object(Bucket=bucket, Key="utf8/a.csv")["Body"].read() == TEXT.encode()
    output = log_messages(logs_client, "/aws-glue/python-jobs/output", run_id)
    assert any(line.startswith("[INFO] converted s3 key in/a.csv -> utf8/a.csv") for line in output), output


def test_job_with_a_prefix_that_is_not_a_folder_fails_naming_the_argument(
    glue_client, s3_client, bucket, unique
):
    s3_client.put_object(Bucket=bucket, Key="in0/a.csv", Body=b"a")
    s3_client.put_object(Bucket=bucket, Key="in0_old/b.csv", Body=b"b")
    name = unique("convert")
    _job(glue_client, s3_client, bucket, name)
    arguments = {
        "--BUCKET_NAME": bucket,
        "--BUCKET_PATH": "in0",
        "--BUCKET_PATH_DECODE": "utf8/",
        "--BUCKET_PATH_ORG": "org/",
        "--DECODE_LANG": "cp932",
    }
    run_id = glue_client.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]
    run = wait_for_run(glue_client, name, run_id, timeout=180)
    assert run["JobRunState"] == "FAILED"
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"in0/a.csv", "in0_old/b.csv"} <= keys and not any(k.startswith(("utf8/", "org/")) for k in keys)


def test_job_without_a_required_argument_fails_with_getresolvedoptions_message(
    glue_client, s3_client, bucket, unique
):
    name = unique("convert")
    _job(glue_client, s3_client, bucket, name, **{"--BUCKET_NAME": bucket})
    run = wait_for_run(glue_client, name, glue_client.start_job_run(JobName=name)["JobRunId"], timeout=180)
    assert run["JobRunState"] == "FAILED"
    assert "the following arguments are required: --BUCKET_PATH" in run.get("ErrorMessage", "")
