"""A test run removes its temporary folders when it is stopped, not only when it finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.local_glue import process_gone

pytestmark = pytest.mark.slow

#: A test that holds a local Glue with a folder of its own, says where everything is, and waits.
WAITING_TEST = """
import os
import time

import pytest

from glue_flow_local import LocalGlueProcess


@pytest.fixture
def glue():
    with LocalGlueProcess.start() as local:
        yield local


def test_waits(glue):
    print("READY", os.environ["AIRFLOW_HOME"], glue.state_dir, glue.process.pid, flush=True)
    time.sleep(600)
"""


def test_a_test_run_stopped_with_sigterm_removes_its_folders_and_servers(tmp_path):
    (tmp_path / "test_waiting.py").write_text(WAITING_TEST)
    run = subprocess.Popen(
        # tests.conftest as a plugin: the waiting test gets the suite's set-up (its Airflow home).
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.conftest",
            "-s",
            "-q",
            str(tmp_path / "test_waiting.py"),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert run.stdout is not None
        ready = next(line for line in run.stdout if line.startswith("READY") or "error" in line.lower())
        _, home, state_dir, server_pid = ready.split()
        assert Path(home).is_dir() and Path(state_dir).is_dir()

        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()

    assert not Path(home).exists()
    assert not Path(state_dir).exists()
    deadline = time.monotonic() + 30
    while not process_gone(int(server_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process_gone(int(server_pid))
