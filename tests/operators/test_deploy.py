"""GlueDeployOperator: the --extra-py-files zip of a package is built at run time and uploaded once."""

from __future__ import annotations

import io
import zipfile
from unittest import mock

import pytest

from airflow_glue_flow.encoding.bundle import JOB_PACKAGE, job_zip
from airflow_glue_flow.operators.deploy import GlueDeployOperator

BUCKET = "deploy-bucket"
URI = f"s3://{BUCKET}/glue-flow/scripts/encoding.zip"


@pytest.fixture
def s3(moto_s3):
    moto_s3.create_bucket(Bucket=BUCKET)
    return moto_s3


def test_py_packages_upload_the_package_zip_only_when_it_changed(s3):
    deploy = GlueDeployOperator(task_id="deploy", py_packages={JOB_PACKAGE: URI}, region_name="us-east-1")
    assert deploy.execute({"ti": mock.MagicMock()})["py_packages"] == {URI: "created"}
    body = s3.get_object(Bucket=BUCKET, Key="glue-flow/scripts/encoding.zip")["Body"].read()
    assert body == job_zip()
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "airflow_glue_flow/__init__.py" in names and "airflow_glue_flow/encoding/job.py" in names
    assert not any(name.startswith("airflow_glue_flow/operators") for name in names)
    assert deploy.execute({"ti": mock.MagicMock()})["py_packages"] == {URI: "unchanged"}
