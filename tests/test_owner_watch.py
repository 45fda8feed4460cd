"""A test run killed outright (SIGKILL skips atexit, finally blocks and fixture teardown) leaves no temp
dir, server or database behind: tests/support/owner_watch.py cleans up after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.deployment.services import wait_for


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def processes_using(folder: Path) -> list[str]:
    """Live processes whose command line or working folder lies in ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not running(int(entry.name)):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(folder) in cmdline or cwd.startswith(str(folder)):
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def start_pytest(test_file: Path, *plugins: str) -> subprocess.Popen:
    """Run ``test_file`` in a pytest of its own, with the repository's test plugins named."""
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s", "-q", "--rootdir", str(REPO_ROOT)]
    argv += [arg for plugin in plugins for arg in ("-p", plugin)] + [str(test_file)]
    return subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def read_until(process: subprocess.Popen, prefix: str) -> str:
    """The first line of the process's output that starts with ``prefix``; fail if it ends first."""
    assert process.stdout is not None
    seen = []
    for raw in process.stdout:
        line = raw.decode(errors="replace").strip()
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip()
        seen.append(line)
    raise AssertionError(f"no line {prefix!r}:\n" + "\n".join(seen[-40:]))


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.stdout is not None
    process.stdout.close()


def test_a_killed_owner_has_its_groups_ended_commands_run_and_folders_removed(tmp_path):
    folder, kept, marker = tmp_path / "owned", tmp_path / "cleaned-by-owner", tmp_path / "ran"
    folder.mkdir()
    kept.mkdir()
    owner_script = textwrap.dedent(f"""
        import subprocess, sys, time
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from tests.support.owner_watch import owner_watch
        watch = owner_watch()
        watch.remove_tree({str(folder)!r})
        watch.cancel(watch.remove_tree({str(kept)!r}))  # the owner cleaned this one up itself
        watch.run(["touch", {str(marker)!r}])
        server = subprocess.Popen(["sleep", "600"], start_new_session=True)
        watch.kill_group(server.pid)
        print(server.pid, flush=True)
        time.sleep(600)
    """)
    owner = subprocess.Popen([sys.executable, "-c", owner_script], stdout=subprocess.PIPE)
    assert owner.stdout is not None
    server = int(owner.stdout.readline())
    assert running(server)

    kill(owner)

    wait_for(
        lambda: not running(server) and marker.exists() and not folder.exists(),
        timeout=30,
        message=lambda: f"server running: {running(server)}, ran: {marker.exists()}, left: {folder.exists()}",
    )
    assert kept.exists()


@pytest.mark.slow
def test_a_killed_test_run_removes_its_airflow_home(tmp_path):
    test_file = tmp_path / "test_sleeps.py"
    test_file.write_text(
        "import os, time\n\n\ndef test_sleeps():\n"
        "    print('AIRFLOW_HOME', os.environ['AIRFLOW_HOME'], flush=True)\n    time.sleep(600)\n"
    )
    run = start_pytest(test_file, "tests.conftest")
    home = Path(read_until(run, "AIRFLOW_HOME"))
    assert home.name.startswith("glue-flow-airflow-home-") and home.is_dir()

    kill(run)

    wait_for(lambda: not home.exists(), timeout=30, message=lambda: f"{home} left behind")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_test_run_killed_while_its_deployment_starts_leaves_nothing_behind(tmp_path):
    # Killed while airflow-init migrates the database: Postgres, the local Glue and airflow-init run, each
    # in a session of its own that the kill does not reach.
    test_file = tmp_path / "test_deploys.py"
    test_file.write_text("def test_deploys(deployment):\n    pass\n")
    run = start_pytest(test_file, "tests.conftest", "tests.deployment.conftest")
    try:
        base = Path(read_until(run, "deployment in"))
        init_log = base / "compose" / "logs" / "airflow-init.log"
        wait_for(init_log.exists, timeout=480, message=lambda: f"airflow-init never started in {base}")
        assert processes_using(base)
    finally:
        kill(run)

    wait_for(
        lambda: not base.exists() and not processes_using(base),
        timeout=60,
        message=lambda: f"left behind: {base.exists()=}, processes: {processes_using(base)}",
    )
