"""``glue-flow sample upload`` lands the CP932 sample where glue_etl_flow looks for new files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airflow_glue_flow.cli.sample import DEFAULT_PREFIX, sample_text, upload
from tests.conftest import REPO_ROOT

CLI = [sys.executable, "-m", "airflow_glue_flow.cli"]


def test_sample_has_the_seed_columns_and_japanese_text_that_cp932_changes():
    text = sample_text()
    seed = (REPO_ROOT / "dags" / "data" / "csvlog.csv").read_text(encoding="utf-8")

    assert text.splitlines()[0] == seed.splitlines()[0]
    assert len(text.splitlines()) == len(seed.splitlines())
    assert "日本" in text
    # The conversion is visible: the CP932 bytes are not the UTF-8 bytes.
    assert text.encode("cp932") != text.encode("utf-8")


def test_a_prefix_that_is_not_a_folder_is_refused_before_any_call():
    with pytest.raises(ValueError, match="--prefix 'se2/raw/in0' must name a folder"):
        upload(object(), "bucket", "se2/raw/in0", b"x")


@pytest.mark.slow
def test_upload_creates_the_bucket_and_lands_cp932_bytes(local_glue, s3_client, unique):
    bucket = unique("sample").replace("_", "-")

    result = subprocess.run(
        [*CLI, "sample", "upload", "--endpoint-url", local_glue.endpoint_url, "--bucket", bucket],
        capture_output=True,
        text=True,
        check=True,
    )

    body = s3_client.get_object(Bucket=bucket, Key=f"{DEFAULT_PREFIX}csvlog.csv")["Body"].read()
    assert body == sample_text().encode("cp932")
    assert result.stdout.splitlines() == [
        f"created bucket {bucket}",
        f"uploaded {len(body)} bytes (cp932) to s3://{bucket}/{DEFAULT_PREFIX}csvlog.csv",
    ]


@pytest.mark.slow
def test_upload_into_an_existing_bucket_with_another_prefix_and_encoding(local_glue, s3_client, bucket):
    subprocess.run(
        [
            *CLI,
            "sample",
            "upload",
            "--endpoint-url",
            local_glue.endpoint_url,
            "--bucket",
            bucket,
            "--prefix",
            "landing/",
            "--name",
            "day1.csv",
            "--encoding",
            "shift_jis",
        ],
        capture_output=True,
        check=True,
    )

    body = s3_client.get_object(Bucket=bucket, Key="landing/day1.csv")["Body"].read()
    assert body.decode("shift_jis") == sample_text()
