"""One Lambda invoke in its own process: the function's interpreter, environment and timeout.

The process gets what a job run gets (the local endpoint, the server's credentials, no other server
secret: :func:`~glue_flow_local.glue.jobs.args.job_environment`) plus the function's variables and
Lambda's own (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
Its output goes to the log group ``/aws/lambda/<name>``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from glue_flow_local.clients import server_client
from glue_flow_local.glue.jobs.args import job_environment
from glue_flow_local.glue.jobs.env import closest_interpreter, ensure_environment
from glue_flow_local.logs.streams import LogStreamWriter
from glue_flow_local.settings import Settings

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
#: The invokes running now, so that a stopping server ends them (:func:`kill_running`).
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def kill_running() -> None:
    """Kill every invoke still running (the server is stopping)."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the invoke's process group: the handler and anything it started."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def runtime_version(runtime: str) -> tuple[int, int]:
    """``python3.12`` -> (3, 12)."""
    major, _, minor = runtime.removeprefix("python").partition(".")
    return int(major), int(minor)


def invoke(
    settings: Settings, region: str, function: dict[str, Any], code_dir: Path, event: Any
) -> tuple[Any, bool]:
    """Run the handler once; return (answer, whether it is an error in AWS's shape).

    :param function: the function's configuration (FunctionName, Handler, Runtime, Timeout, Environment).
    :param code_dir: the unpacked deployment package.
    :param event: the event, already parsed from JSON.
    """
    python = ensure_environment(closest_interpreter(runtime_version(function["Runtime"])), ["boto3"])
    request_id = str(uuid.uuid4())
    workdir = settings.state_dir / "lambda-invokes" / request_id
    workdir.mkdir(parents=True)
    try:
        return _run(settings, region, function, code_dir, event, python, request_id, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(
    settings: Settings,
    region: str,
    function: dict[str, Any],
    code_dir: Path,
    event: Any,
    python: Path,
    request_id: str,
    workdir: Path,
) -> tuple[Any, bool]:
    name = function["FunctionName"]
    (workdir / "event.json").write_text(json.dumps(event))
    answer_file = workdir / "answer.json"
    env = job_environment(settings, region, python, workdir, [])
    env.pop("PYTHONPATH")  # no awsglue library in a Lambda
    env.update((function.get("Environment") or {}).get("Variables") or {})
    timeout = float(function.get("Timeout", 3))
    env.update(
        AWS_LAMBDA_FUNCTION_NAME=name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.get("MemorySize", 128)),
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{name}",
        AWS_LAMBDA_LOG_STREAM_NAME=request_id,
        LAMBDA_TASK_ROOT=str(code_dir),
        _HANDLER=function["Handler"],
    )
    logs = LogStreamWriter(
        server_client(settings.endpoint_url, "logs", region, settings.credentials),
        f"/aws/lambda/{name}",
        request_id,
    )
    logs.write(f"START RequestId: {request_id} Version: $LATEST")
    argv = [
        str(python),
        "-u",
        str(BOOTSTRAP),
        function["Handler"],
        str(workdir / "event.json"),
        str(answer_file),
        name,
        str(timeout),
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        argv, cwd=code_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    pump = threading.Thread(target=_pump, args=(process, logs), daemon=True)
    pump.start()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        process.wait()
        pump.join(timeout=5)
        message = f"Task timed out after {timeout:.2f} seconds"
        logs.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {request_id} {message}")
        return {"errorMessage": message, "errorType": "Sandbox.Timedout"}, True
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)
    pump.join(timeout=5)
    logs.write(f"END RequestId: {request_id}")
    logs.write(f"REPORT RequestId: {request_id}\tDuration: {(time.monotonic() - started) * 1000:.2f} ms")
    if not answer_file.exists():
        return {
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}",
            "errorType": "Runtime.ExitError",
        }, True
    answer = json.loads(answer_file.read_text())
    if isinstance(answer, dict) and answer.pop("__error__", False):
        return answer, True
    return answer, False


def _pump(process: subprocess.Popen[bytes], logs: LogStreamWriter) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        logs.write(line.decode("utf-8", "replace").rstrip("\n"))
