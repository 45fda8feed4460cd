"""The AWS CLI against the local Glue: definition checks, workflow runs and log paging as a user sees them.

The AWS facts are cited where the boto3 tests rely on them (test_glue/jobs/test_validation.py, test_glue/workflows/test_workflow_runs.py,
test_logs/test_streams.py). The CLI prints AWS's error code and message and exits non-zero on a service error (254 in CLI v2, 255 in
v1): https://docs.aws.amazon.com/cli/latest/topic/return-codes.html
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from typing import Any

import pytest

from glue_flow_local import LocalGlueProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI (`aws`) is not installed"),
]


def _aws(glue: LocalGlueProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") or k in ("AWS_DEFAULT_REGION", "AWS_REGION")
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": glue.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": glue.credentials.secret_access_key,
            "AWS_DEFAULT_REGION": glue.region,
            "AWS_PAGER": "",
        }
    )
    return subprocess.run(
        ["aws", "--endpoint-url", glue.endpoint_url, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_create_job_with_python_shell_capacity_10_fails_as_on_aws(local_glue, bucket, unique):
    name = unique("job")
    command = json.dumps({"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/job.py"})

    create = ("glue", "create-job", "--name", name, "--role", "r", "--command", command, "--max-capacity")
    # The same job with the capacity AWS refuses for Python shell, then with one it accepts.
    refused, accepted = (_aws(local_glue, *create, capacity) for capacity in ("10", "1"))

    assert refused.returncode != 0
    assert "(InvalidInputException) when calling the CreateJob operation" in refused.stderr
    assert "is not valid for Job Command pythonshell" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout) == {"Name": name}


def test_cli_start_workflow_run_starts_a_run_with_its_properties(local_glue, unique):
    name = unique("workflow")
    assert _aws(local_glue, "glue", "create-workflow", "--name", name).returncode == 0

    started = _aws(
        local_glue, "glue", "start-workflow-run", "--name", name, "--run-properties", "day=2026-12-07"
    )
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["RunId"]
    shown = _aws(local_glue, "glue", "get-workflow-run", "--name", name, "--run-id", run_id)

    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)["Run"]
    # No trigger: the run has nothing to start and is COMPLETED at once.
    assert (run["Status"], run["WorkflowRunProperties"]) == ("COMPLETED", {"day": "2026-12-07"})


def test_cli_filter_log_events_pages_through_more_than_1_mb(local_glue, logs_client, unique):
    group = f"/test/{unique('group')}"
    logs_client.create_log_group(logGroupName=group)
    logs_client.create_log_stream(logGroupName=group, logStreamName="run")
    now = int(time.time() * 1000)
    messages = [f"{index:04d} " + "y" * 9_000 for index in range(250)]
    for start in range(0, len(messages), 50):
        events: list[dict[str, Any]] = [
            {"timestamp": now + start + offset, "message": message}
            for offset, message in enumerate(messages[start : start + 50])
        ]
        logs_client.put_log_events(logGroupName=group, logStreamName="run", logEvents=events)

    # The CLI follows nextToken itself and joins the pages.
    answer = _aws(local_glue, "logs", "filter-log-events", "--log-group-name", group)

    assert answer.returncode == 0, answer.stderr
    assert [event["message"] for event in json.loads(answer.stdout)["events"]] == messages
