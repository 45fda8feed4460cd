"""S3EncodingConvertOperator: through a DAG run against moto, and its error paths.

The ``s3`` fixture is a store without conditional deletes (tests/support/fakes.store_ignoring_conditional_deletes),
so the operator keeps the sources there; the delete path runs against the local Glue
(tests/encoding/test_plan_local_glue.py, tests/dags).
"""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from airflow.sdk import DAG

from airflow_glue_flow.exceptions import GlueTaskParameterError, S3EncodingConversionError
from airflow_glue_flow.operators.encoding import REPORT_XCOM_KEY, S3EncodingConvertOperator
from tests.conftest import task_states
from tests.support.fakes import store_ignoring_conditional_deletes

BUCKET = "op-bucket"


@pytest.fixture
def s3(moto_s3):
    moto_s3.create_bucket(Bucket=BUCKET)
    with store_ignoring_conditional_deletes():
        yield moto_s3


def _operator(**kwargs) -> S3EncodingConvertOperator:
    kwargs = {
        "task_id": "convert",
        "bucket": BUCKET,
        "source_prefix": "in/",
        "target_prefix": "utf8/",
        "archive_prefix": "org/",
        "region_name": "us-east-1",
        "max_workers": 2,
        **kwargs,
    }
    return S3EncodingConvertOperator(**kwargs)


def test_template_fields_cover_prefixes_encodings_and_connection():
    assert {
        "bucket",
        "source_prefix",
        "target_prefix",
        "archive_prefix",
        "source_encoding",
        "errors",
        "aws_conn_id",
        "region_name",
    } <= set(S3EncodingConvertOperator.template_fields)


def test_dag_run_converts_and_returns_the_report(s3, run_dag):
    s3.put_object(Bucket=BUCKET, Key="in/", Body=b"")
    s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body="①,㈱\r\n".encode("cp932"))
    with DAG("encoding_ok", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False) as dag:
        _operator(source_prefix="{{ params.folder }}/", params={"folder": "in"}, delete_source=False)
    dr = run_dag(dag)
    assert task_states(dr) == {"convert": "success"}
    assert s3.get_object(Bucket=BUCKET, Key="utf8/a.csv")["Body"].read() == "①,㈱\r\n".encode()
    ti = dr.get_task_instance("convert")
    report = ti.xcom_pull(task_ids="convert")
    assert report["objects_converted"] == 1
    assert report["objects_skipped"] == 1
    assert report["converted"][0]["key"] == "in/a.csv"


def test_dag_run_fails_after_converting_the_good_objects(s3, run_dag):
    s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=b"fine\n")
    s3.put_object(Bucket=BUCKET, Key="in/bad.csv", Body=b"ok\n\x82\n")
    with DAG("encoding_bad", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False) as dag:
        _operator(delete_source=False)
    dr = run_dag(dag)
    assert task_states(dr) == {"convert": "failed"}
    assert s3.get_object(Bucket=BUCKET, Key="utf8/a.csv")["Body"].read() == b"fine\n"
    assert s3.get_object(Bucket=BUCKET, Key="in/bad.csv")["Body"].read() == b"ok\n\x82\n"
    report = dr.get_task_instance("convert").xcom_pull(task_ids="convert", key=REPORT_XCOM_KEY)
    assert report["failed"] == [
        {"key": "in/bad.csv", "reason": mock.ANY},
    ]
    assert "byte offset 3" in report["failed"][0]["reason"]


def test_store_without_conditional_deletes_fails_the_task_and_keeps_the_sources(s3):
    s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=b"abc")
    with pytest.raises(S3EncodingConversionError, match="the store does not delete conditionally"):
        _operator().execute({"ti": mock.MagicMock()})
    assert s3.get_object(Bucket=BUCKET, Key="in/a.csv")["Body"].read() == b"abc"
    assert s3.get_object(Bucket=BUCKET, Key="utf8/a.csv")["Body"].read() == b"abc"


def test_replace_target_overwrites_the_converted_copy(s3):
    for body in (b"v1\n", b"v2\n"):
        s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=body)
        _operator(delete_source=False, replace_target=True).execute({"ti": mock.MagicMock()})
    assert s3.get_object(Bucket=BUCKET, Key="utf8/a.csv")["Body"].read() == b"v2\n"
    assert s3.get_object(Bucket=BUCKET, Key="org/a.csv")["Body"].read() == b"v1\n"


def test_execute_raises_listing_every_failed_key(s3):
    for key in ("in/x.csv", "in/y.csv"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"\xfc")
    s3.put_object(Bucket=BUCKET, Key="in/z.csv", Body=b"z")
    ti = mock.MagicMock()
    with pytest.raises(S3EncodingConversionError) as info:
        _operator(delete_source=False).execute({"ti": ti})
    assert set(info.value.fields["failed"]) == {"in/x.csv", "in/y.csv"}
    assert "s3://op-bucket/in/x.csv: cannot decode as cp932 at byte offset 0" in str(info.value)
    ti.xcom_push.assert_called_once()


def test_logs_one_line_per_object_and_a_summary(s3):
    s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=b"abc")
    op = _operator(delete_source=False)
    with mock.patch.object(type(op), "log", new_callable=mock.PropertyMock) as log:
        op.execute({"ti": mock.MagicMock()})
    lines = [
        call.args[0] % call.args[1:] if len(call.args) > 1 else call.args[0]
        for call in log().info.call_args_list
    ]
    assert any(
        line.startswith("converted s3 key in/a.csv -> utf8/a.csv: 3 bytes in, 3 bytes out") for line in lines
    )
    assert any("MB/s" in line for line in lines)
    assert any("1 converted, 0 skipped, 0 failed" in line for line in lines)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"source_encoding": "sjis-ish"}, "unknown encoding 'sjis-ish'"),
        ({"errors": "ignore"}, "errors must be one of"),
        ({"target_prefix": "in/out/"}, "overlaps source_prefix"),
        ({"max_workers": 0}, "max_workers must be at least 1"),
    ],
)
def test_bad_parameters_fail_at_task_start(s3, kwargs, problem):
    with pytest.raises(GlueTaskParameterError, match=problem):
        _operator(**kwargs).execute({"ti": mock.MagicMock()})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_prefix": "in"}, "Task 'convert': source_prefix='in' must end with '/'"),
        ({"target_prefix": "utf8"}, "Task 'convert': target_prefix='utf8' must end with '/'"),
        ({"archive_prefix": "org"}, "Task 'convert': archive_prefix='org' must end with '/'"),
        ({"source_prefix": ""}, "Task 'convert': source_prefix='' must not be empty"),
        ({"bucket": ""}, "Task 'convert': bucket='' must not be empty"),
    ],
)
def test_bad_bucket_or_prefix_names_the_task_and_the_parameter_and_touches_nothing(s3, kwargs, message):
    s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=b"a")
    s3.put_object(Bucket=BUCKET, Key="in_old/b.csv", Body=b"b")
    with pytest.raises(GlueTaskParameterError) as info:
        _operator(**kwargs).execute({"ti": mock.MagicMock()})
    assert str(info.value).startswith(message)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["in/a.csv", "in_old/b.csv"]


def test_missing_bucket_is_a_conversion_error_naming_aws_message(s3):
    with pytest.raises(S3EncodingConversionError, match="NoSuchBucket"):
        _operator(bucket="no-such-bucket").execute({"ti": mock.MagicMock()})


def test_hook_client_retries_throttling(s3):
    op = _operator(max_workers=3)
    config = op.hook.get_conn().meta.config
    assert config.retries["mode"] == "adaptive"
    assert config.retries["total_max_attempts"] == 10


def test_botocore_config_adds_to_the_throttling_retries(s3):
    op = _operator(max_workers=3, botocore_config={"connect_timeout": 7})
    config = op.hook.get_conn().meta.config
    assert config.connect_timeout == 7
    assert config.retries["mode"] == "adaptive"
    assert config.max_pool_connections == 16
