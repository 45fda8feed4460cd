"""The console lists workflow runs with their graph state: a COMPLETED run shows its failed action."""

from __future__ import annotations

import urllib.request
from urllib.parse import quote

import pytest
from local_glue_support import create_python_job
from test_glue.workflows.flows import FAIL_SCRIPT, OK_SCRIPT, conditional, on_job, wait_for_workflow_run

pytestmark = pytest.mark.slow


def page(local_glue, path: str) -> str:
    with urllib.request.urlopen(f"{local_glue.endpoint_url}/_console{path}", timeout=10) as answer:
        return answer.read().decode()


def test_workflow_pages_show_runs_and_each_nodes_state(local_glue, glue_client, s3_client, bucket, unique):
    wf, encode, load = unique("wf"), unique("encode"), unique("load<b>")
    create_python_job(glue_client, s3_client, bucket, encode, OK_SCRIPT)
    create_python_job(glue_client, s3_client, bucket, load, FAIL_SCRIPT)
    glue_client.create_workflow(Name=wf)
    glue_client.create_trigger(
        Name=unique("start"), WorkflowName=wf, Type="ON_DEMAND", Actions=[{"JobName": encode}]
    )
    conditional(glue_client, unique("then"), wf, {"JobName": load}, "AND", on_job(encode, "SUCCEEDED"))
    run_id = glue_client.start_workflow_run(Name=wf)["RunId"]
    wait_for_workflow_run(glue_client, wf, run_id)

    index = page(local_glue, "/")
    workflow = page(local_glue, f"/workflows/{quote(wf)}")
    run = page(local_glue, f"/workflows/{quote(wf)}/runs/{run_id}")

    assert wf in index and '<span class="COMPLETED">COMPLETED</span>' in index
    assert run_id in workflow
    assert "<td>FailedActions</td><td>1</td>" in run
    assert '<span class="FAILED">FAILED</span>' in run and '<span class="SUCCEEDED">SUCCEEDED</span>' in run
    assert "load&lt;b&gt;" in run and "load<b>" not in run  # names are escaped
