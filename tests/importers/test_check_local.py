"""``glue-flow import workflow --check`` on a local Glue: the Glue workflow and the DAG made from it run
the fault matrix (all succeed, each job failing, each crawl failing) and the table compares them.

A Glue workflow run is COMPLETED even when a job in it failed
(https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html: Status has no FAILED; only
Statistics.FailedActions shows it); the generated DAG fails then and its header declares it (strict).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glue_flow_local.testing import LocalGlue
from tests.importers.check_flows import create_from_graph, create_seed_004, import_check, rows

pytestmark = pytest.mark.slow
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def server() -> Any:
    """A local Glue of the check tests' own: its S3 holds only what they create."""
    with LocalGlue() as glue:
        glue.client("s3").create_bucket(Bucket="logs")
        yield glue


def check(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return import_check("workflow", server.endpoint_url, *args)


def test_the_check_passes_on_the_seed_004_workflow_read_live(server: Any, tmp_path: Path) -> None:
    glue, s3 = server.client("glue"), server.client("s3")
    workflow = create_seed_004(glue, s3, "logs", "s4")
    script = glue.get_job(JobName="s4-encode")["Job"]["Command"]["ScriptLocation"]

    done = check(server, "--name", workflow, "-o", str(tmp_path / "s4.py"))

    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert table[("all succeed", "outcome")] == ("COMPLETED", "success", "same")
    assert table[("all succeed", "job s4-datalake-import")] == ("SUCCEEDED x1", "SUCCEEDED x1", "same")
    # 2 UTF-8 files, 2 moved originals, 2 deleted inputs, 2 lake copies: the same on both sides.
    assert table[("all succeed", "S3 objects written")] == ("8", "8", "same")
    failed = table[("job s4-encode fails", "outcome")]
    assert failed == ("COMPLETED (FailedActions 1)", "failed", "declared (strict)")
    assert ("job s4-encode fails", "job s4-datalake-import") not in table  # never started on either side
    assert "the DAG does what the workflow does" in done.stdout
    # Everything is as it was: the landed logs, nothing written, the job's own script.
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="logs").get("Contents", []))
    assert [k for k in keys if not k.startswith("scripts/")] == ["input/log1.csv", "input/log2.csv"]
    assert glue.get_job(JobName="s4-encode")["Job"]["Command"]["ScriptLocation"] == script


def test_with_on_failure_completed_the_dag_succeeds_as_glue_does(server: Any, tmp_path: Path) -> None:
    glue, s3 = server.client("glue"), server.client("s3")
    workflow = create_seed_004(glue, s3, "logs", "s4c")

    done = check(server, "--name", workflow, "-o", str(tmp_path / "s4c.py"), "--on-failure", "completed")

    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    outcome = ("COMPLETED (FailedActions 1)", "success", "declared (completed)")
    assert table[("job s4c-encode fails", "outcome")] == outcome
    assert table[("job s4c-datalake-import fails", "outcome")] == outcome
    assert table[("all succeed", "outcome")] == ("COMPLETED", "success", "same")


def test_an_edited_dag_fails_the_check_naming_the_difference(server: Any, tmp_path: Path) -> None:
    glue, s3 = server.client("glue"), server.client("s3")
    workflow = create_seed_004(glue, s3, "logs", "s4e")
    generated = tmp_path / "generated.py"
    done = subprocess.run(
        [sys.executable, "-m", "airflow_glue_flow.cli.commands", "import", "workflow", "--name", workflow]
        + ["-o", str(generated), "--endpoint-url", server.endpoint_url],
        capture_output=True,
        text=True,
        check=True,
    )
    edited = tmp_path / "s4e_wf.py"
    source = generated.read_text()
    assert '"--LAKE": "lake/",' in source
    edited.write_text(source.replace('"--LAKE": "lake/",', '"--LAKE": "lake-v2/",'))

    done = check(server, "--name", workflow, "-o", str(generated), "--check-dag", str(edited))

    assert done.returncode == 1, done.stdout + done.stderr
    lake = '{"--BUCKET_NAME": "logs", "--LAKE": "lake/", "--SOURCE": "utf8/"}'
    assert (
        f"DIFFERENT in scenario 'all succeed': StartJobRun s4e-datalake-import {lake}: x1 vs x0"
        in done.stdout
    )
    assert "DIFFERENT in scenario 'all succeed': s3://logs/lake-v2/log1.csv: - vs written" in done.stdout
    assert "check: the DAG differs" in done.stdout


@pytest.mark.parametrize(
    "name",
    [
        "06_local-aws-glue-workflows_simple_etl_tf.json",
        "10_LBHackney-Data-Platform_liberator_crawler_fanout_tf.json",
    ],
    ids=["06", "10"],
)
def test_the_check_passes_on_a_corpus_workflow(server: Any, tmp_path: Path, name: str) -> None:
    glue, s3 = server.client("glue"), server.client("s3")
    document = json.loads((DATA / name).read_text())
    database = f"corpus{name[:2]}"
    glue.create_database(DatabaseInput={"Name": database})
    create_from_graph(glue, s3, "logs", database, document)

    done = check(server, str(DATA / name), "-o", str(tmp_path / "dag.py"))

    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    scenarios = {scenario for scenario, _ in table} - {"scenario"}
    assert "the DAG does what the workflow does" in done.stdout
    nodes = [n for n in document["Workflow"]["Graph"]["Nodes"] if n["Type"] != "TRIGGER"]
    assert len(scenarios) == 1 + len(nodes)
    assert all(
        verdict in ("same", "declared (strict)") for _, _, verdict in table.values() if verdict != "verdict"
    )
