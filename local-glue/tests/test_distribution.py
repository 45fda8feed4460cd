"""glue-flow-local on its own: installed (not editable) into a fresh environment with nothing else, where
Airflow cannot be imported, it serves a real crawl and a Python-shell job run to boto3."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from local_glue_support import (
    SEED_COLUMNS,
    crawl_csv,
    create_python_job,
    log_messages,
    wait_for_run,
)

from glue_flow_local.process import LocalGlueProcess
from glue_flow_local.settings import ServerOptions

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: The distribution's folder (its pyproject.toml).
DISTRIBUTION = Path(__file__).resolve().parents[1]

SCRIPT = b"""
import sys
import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["greeting"])
print(args["greeting"], "from", sys.version_info[:2] >= (3, 9), flush=True)
"""


def _uv() -> str:
    uv = Path(sys.executable).parent / "uv"
    found = str(uv) if uv.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed (glue-flow-local depends on it)")
    return found


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a new environment where only glue-flow-local (and what it requires) is installed."""
    venv = tmp_path_factory.mktemp("alone") / "venv"
    uv = _uv()
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "--quiet", "--python", str(python), str(DISTRIBUTION)]
    # Offline from uv's cache where it holds everything; from the package index otherwise.
    if subprocess.run([*install, "--offline"], capture_output=True).returncode != 0:
        subprocess.run(install, check=True)
    return python


def test_the_environment_holds_no_airflow_and_no_provider(alone: Path, tmp_path: Path) -> None:
    # Run outside the repository: ``python -c`` puts the working folder first on sys.path, and the
    # repository's root holds the provider's source.
    probe = (
        "import importlib.util as u; "
        "print([m for m in ('airflow', 'airflow_glue_flow', 'glue_flow_local') if u.find_spec(m)])"
    )

    out = subprocess.run(
        [str(alone), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout

    assert out.strip() == "['glue_flow_local']"
    failed = subprocess.run(
        [str(alone), "-c", "import airflow"], capture_output=True, text=True, cwd=tmp_path
    )
    assert failed.returncode != 0 and "No module named 'airflow'" in failed.stderr


def test_it_serves_a_crawl_and_a_python_shell_run(alone: Path, tmp_path: Path) -> None:
    with LocalGlueProcess.start(
        state_dir=tmp_path / "state",
        options=ServerOptions(min_crawl_seconds=1.0, timeout_unit_seconds=1.0),
        python=str(alone),
    ) as glue:
        command = glue.process.args
        glue_client, s3, logs = glue.client("glue"), glue.client("s3"), glue.client("logs")
        s3.create_bucket(Bucket="alone")

        crawled = crawl_csv(glue_client, s3, "alone", database="alone_db", crawler="alone_crawler")
        table = glue_client.get_table(DatabaseName="alone_db", Name="se2_in0")["Table"]
        create_python_job(
            glue_client, s3, "alone", "alone_job", SCRIPT, DefaultArguments={"--greeting": "hello"}
        )
        run_id = glue_client.start_job_run(JobName="alone_job")["JobRunId"]
        run = wait_for_run(glue_client, "alone_job", run_id, timeout=600)
        output = log_messages(logs, "/aws-glue/python-jobs/output", run_id)

    assert command[0] == str(alone)
    assert crawled["LastCrawl"]["Status"] == "SUCCEEDED"
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == SEED_COLUMNS
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert "hello from True" in output
