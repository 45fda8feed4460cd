"""``glue-flow import asl --check`` on a local Glue: seed 000's state machine (its Lambdas as printed) and
the DAG made from it run the fault matrix (all succeed, the job failing, the crawl failing) and the table
compares them.

The seed's loop reads only Crawler.State (glue-test1-crcheck), so after a FAILED crawl the state machine
runs the job; the DAG's wait fails then and its header flags it: declared.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glue_flow_local.testing import LocalGlue, create_python_job
from tests.importers.check_flows import import_check, rows
from tests.importers.test_asl_live import deployable
from tests.importers.test_asl_seed import SEED

pytestmark = pytest.mark.slow
#: The region of the seed's Lambda ARNs: the Lambdas' Glue calls go there.
REGION = "ap-northeast-1"
#: The seed's final job (se2_job0), standing in: it writes one object.
JOB_SCRIPT = b"""
import boto3
boto3.client("s3").put_object(Bucket="se2", Key="out/result.txt", Body=b"done")
"""


@pytest.fixture(scope="module")
def server() -> Any:
    """A local Glue with the seed's crawler se2_in0 (a small CSV) and job se2_job0, in the Lambdas' region."""
    with LocalGlue() as glue:
        s3, client = glue.client("s3", REGION), glue.client("glue", REGION)
        s3.create_bucket(Bucket="se2", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="se2", Key="in/part.csv", Body=b"id,name\n1,a\n2,b\n")
        client.create_database(DatabaseInput={"Name": "se2"})
        client.create_crawler(
            Name="se2_in0",
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName="se2",
            Targets={"S3Targets": [{"Path": "s3://se2/in/"}]},
        )
        create_python_job(client, s3, "se2", "se2_job0", JOB_SCRIPT)
        yield glue


def check(server: Any, definition: Path, *args: str) -> subprocess.CompletedProcess[str]:
    args = (str(definition), "--lambda-source", str(SEED / "lambda"), *args, "--region", REGION)
    return import_check("asl", server.endpoint_url, *args, "--check-input", '{"wait_time": 2}')


def test_the_check_passes_on_seed_000(server: Any, tmp_path: Path) -> None:
    definition = tmp_path / "GlueJob2.json"
    definition.write_text(deployable())

    done = check(server, definition, "-o", str(tmp_path / "glue_job2.py"))

    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert table[("all succeed", "outcome")] == ("SUCCEEDED", "success", "same")
    assert table[("all succeed", "crawl se2_in0")] == ("SUCCEEDED x1", "SUCCEEDED x1", "same")
    assert table[("all succeed", "S3 objects written")] == ("1", "1", "same")
    # Retry MaxAttempts 3 on 'Run Final Glue Job': four runs on both sides, then the run fails.
    assert table[("job se2_job0 fails", "job se2_job0")] == ("FAILED x4", "FAILED x4", "same")
    assert table[("job se2_job0 fails", "outcome")] == ("FAILED (States.TaskFailed)", "failed", "same")
    # After a FAILED crawl the Lambda loop sees READY and runs the job; the DAG's wait fails: flagged.
    declared = "declared ('Wait X Seconds' checks only Crawler.State)"
    assert table[("crawl se2_in0 fails", "job se2_job0")] == ("SUCCEEDED x1", "not run", declared)
    assert table[("crawl se2_in0 fails", "outcome")] == ("SUCCEEDED", "failed", declared)
    assert "check: the DAG does what the state machine does" in done.stdout
    # What the check created is gone: the state machine, the Lambdas; the crawler crawls its own path.
    assert server.client("stepfunctions", REGION).list_state_machines()["stateMachines"] == []
    assert server.client("lambda", REGION).list_functions()["Functions"] == []
    crawler = server.client("glue", REGION).get_crawler(Name="se2_in0")["Crawler"]
    assert crawler["Targets"]["S3Targets"][0]["Path"] == "s3://se2/in/"


def test_an_edited_dag_fails_the_check_naming_the_difference(server: Any, tmp_path: Path) -> None:
    definition = tmp_path / "GlueJob2.json"
    definition.write_text(deployable())
    generated = tmp_path / "generated.py"
    done = subprocess.run(
        [sys.executable, "-m", "airflow_glue_flow.cli.commands", "import", "asl", str(definition)]
        + ["-o", str(generated), "--lambda-source", str(SEED / "lambda")],
        capture_output=True,
        text=True,
        check=True,
    )
    source = generated.read_text()
    # The job's retries taken away, and the flag of the crawler loop taken out of the header.
    job = 'job_name="se2_job0",\n        retries=3,'
    flag = next(line for line in source.splitlines() if "checks only Crawler.State" in line)
    assert job in source and flag.startswith("- 'Wait X Seconds'")
    edited = tmp_path / "edited.py"
    edited.write_text(source.replace(job, job.replace("3", "0")).replace(flag + "\n", ""))

    done = check(server, definition, "-o", str(generated), "--check-dag", str(edited))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "DIFFERENT in scenario 'job se2_job0 fails': StartJobRun se2_job0: x4 vs x1" in done.stdout
    assert "DIFFERENT in scenario 'crawl se2_in0 fails': outcome: SUCCEEDED vs failed" in done.stdout
    assert "DIFFERENT in scenario 'all succeed'" not in done.stdout
    assert "check: the DAG differs" in done.stdout
