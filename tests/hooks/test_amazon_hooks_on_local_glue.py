"""The amazon provider's own Glue hooks work against the local Glue with only the connection's endpoint set."""

from __future__ import annotations

import pytest

from tests.local_glue import SEED_CSV_PATH

pytestmark = pytest.mark.slow


def test_provider_crawler_hook_waits_for_a_real_crawl(aws_conn_id, s3_client, bucket, unique):
    from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook

    s3_client.put_object(Bucket=bucket, Key="se2/in0/csvlog.csv", Body=SEED_CSV_PATH.read_bytes())
    hook = GlueCrawlerHook(aws_conn_id=aws_conn_id)
    name, database = unique("se2_in0"), unique("se2")
    hook.create_crawler(
        Name=name,
        Role="glue-role",
        DatabaseName=database,
        TablePrefix="se2_",
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/se2/in0/"}]},
    )

    hook.start_crawler(name)

    assert hook.wait_for_crawler_completion(name, poll_interval=1) == "SUCCEEDED"
    assert hook.get_crawler(name)["LastCrawl"]["Status"] == "SUCCEEDED"


def test_provider_job_hook_runs_a_script_and_reads_its_logs(aws_conn_id, s3_client, bucket, unique, capfd):
    from airflow.providers.amazon.aws.hooks.glue import GlueJobHook

    s3_client.put_object(Bucket=bucket, Key="job.py", Body=b"import sys\nprint('hello from', sys.argv[-1])\n")
    name = unique("job")
    hook = GlueJobHook(
        aws_conn_id=aws_conn_id,
        job_name=name,
        desc="local job",
        script_location=f"s3://{bucket}/job.py",
        iam_role_arn="arn:aws:iam::123456789012:role/glue-role",
        create_job_kwargs={"Command": {"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/job.py"}},
        # The hook's default of 10 DPUs is refused for a Python-shell job, on AWS as locally: "you can
        # allocate either 0.0625 or 1 DPU" (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html).
        num_of_dpus=1,
        job_poll_interval=0.1,
    )

    run = hook.initialize_job({"--WHO": "the-local-glue"})
    result = hook.job_completion(name, run["JobRunId"], verbose=True)

    assert result["JobRunState"] == "SUCCEEDED"
    out, err = capfd.readouterr()
    assert "hello from the-local-glue" in out + err
