"""The local Glue cleans up after itself: a run's working folder goes when the run ends, temporary state
folders when their owner stops."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_glue_support import create_python_job, log_messages, process_gone, wait_for_run

from glue_flow_local import LocalGlueProcess, LocalGlueServer
from glue_flow_local.clients import server_client
from glue_flow_local.settings import STATE_DIR_ENV, Credentials

pytestmark = pytest.mark.slow


def test_an_in_thread_server_removes_the_state_folder_it_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    server = LocalGlueServer().start()
    made = server.settings.state_dir
    assert made.is_dir()
    server.stop()
    assert not made.exists()


def test_a_given_state_folder_is_kept(tmp_path: Path) -> None:
    server = LocalGlueServer(state_dir=tmp_path / "kept").start()
    server.stop()
    assert (tmp_path / "kept").is_dir()
    with LocalGlueProcess.start(state_dir=tmp_path / "kept-too") as glue:
        pass
    assert glue.state_dir.is_dir()


def test_a_subprocess_server_started_without_a_folder_leaves_none_behind() -> None:
    with LocalGlueProcess.start() as glue:
        made = glue.state_dir
        assert made.is_dir()
    assert not made.exists()


def test_the_cli_server_removes_its_default_folder_on_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "glue_flow_local", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("http://")
        summary = next(line for line in process.stderr if "scripts under" in line)
        made = Path(re.search(r"scripts under (\S+)\)", summary).group(1))
        assert made.is_dir()
        assert "'testing'" in summary  # the credentials are printed at start
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not made.exists()


def test_crawls_and_job_runs_share_one_client_per_service_and_region() -> None:
    """A new boto3 client per crawl or run reloaded the service model: megabytes per run.

    bench/bench_local_memory.py measures the server's memory over many runs.
    """
    credentials = Credentials()
    first = server_client("http://127.0.0.1:1", "logs", "us-east-1", credentials)
    assert server_client("http://127.0.0.1:1", "logs", "us-east-1", credentials) is first
    assert server_client("http://127.0.0.1:1", "logs", "eu-west-1", credentials) is not first


#: Writes a file into its working directory and says where that is.
WORKDIR_SCRIPT = b"""
import os
with open("scratch.bin", "wb") as out:
    out.write(os.urandom(1 << 20))
print(os.getcwd(), flush=True)
"""


@pytest.mark.parametrize("failing", [False, True], ids=["succeeded", "failed"])
def test_a_finished_run_leaves_no_working_folder(
    local_glue, glue_client, s3_client, logs_client, bucket, unique, failing
):
    # Glue runs a job in a container that goes with the run; the record (GetJobRun) and logs stay.
    name = unique("workdir")
    script = WORKDIR_SCRIPT + (b"raise SystemExit(3)\n" if failing else b"")
    create_python_job(glue_client, s3_client, bucket, name, script)

    run_id = glue_client.start_job_run(JobName=name)["JobRunId"]
    run = wait_for_run(glue_client, name, run_id, timeout=600)

    assert run["JobRunState"] == ("FAILED" if failing else "SUCCEEDED"), run.get("ErrorMessage")
    workdir = Path(log_messages(logs_client, "/aws-glue/python-jobs/output", run_id)[0])
    assert workdir == local_glue.state_dir.resolve() / "runs" / run_id
    assert not workdir.exists()
    assert glue_client.get_job_run(JobName=name, RunId=run_id)["JobRun"]["Id"] == run_id


def test_a_subprocess_server_whose_owner_is_killed_stops_and_removes_its_folder() -> None:
    owner_code = (
        "import time\n"
        "from glue_flow_local import LocalGlueProcess\n"
        "glue = LocalGlueProcess.start()\n"
        "print(glue.state_dir, glue.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", owner_code], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        state_dir, server_pid = owner.stdout.readline().split()
        assert Path(state_dir).is_dir()
        owner.kill()  # no stop(), no atexit: only the server can clean up now
        owner.wait()
        deadline = time.monotonic() + 60
        while (Path(state_dir).exists() or not process_gone(int(server_pid))) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
    assert process_gone(int(server_pid))
    assert not Path(state_dir).exists()
