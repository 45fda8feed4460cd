"""``glue-flow import asl --check`` on a local Glue: seed 000's state machine (its Lambdas as printed) and
the DAG made from it run the fault matrix (all succeed, the job failing, the crawl failing) and the table
compares them.

The seed's loop reads only Crawler.State (glue-test1-crcheck), so after a FAILED crawl the state machine
runs the job; the DAG's wait fails then and its header flags it: declared.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glue_flow_local.testing import LocalGlue, create_python_job
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
    env = {**os.environ, "PYTHONWARNINGS": "ignore::RuntimeWarning"}
    command = [sys.executable, "-m", "airflow_glue_flow.cli.commands", "import", "asl", str(definition)]
    command += ["--lambda-source", str(SEED / "lambda"), *args, "--check", "--endpoint-url"]
    command += [server.endpoint_url, "--region", REGION, "--check-input", '{"wait_time": 2}']
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)


def rows(stdout: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(scenario, item) -> (original, DAG, verdict), from the table (columns two or more spaces apart)."""
    table = {}
    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 5 and not line.startswith("-"):
            table[(cells[0], cells[1])] = (cells[2], cells[3], cells[4])
    return table


def test_the_check_passes_on_seed_000(server: Any, tmp_path: Path) -> None:
    definition = tmp_path / "GlueJob2.json"
    definition.write_text(deployable())

    done = check(server, definition, "-o", str(tmp_path / "glue_job2.py"))

    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
