"""Every Glue workflow of the migration corpus, created on the local Glue from its graph, runs.

With stand-in jobs and crawlers that all succeed, each run is COMPLETED with no failed action and
starts exactly the jobs and crawlers its triggers reach (an ACTIVATED conditional trigger whose
predicate holds; a CREATED one never fires), as https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
and https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html describe.
"""

from __future__ import annotations

import pytest

from test_glue.workflows.corpus import corpus_files, create, expected_actions, load, started_actions
from test_glue.workflows.flows import wait_for_workflow_run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name[:2])
def test_corpus_workflow_runs_from_its_graph(glue_client, s3_client, bucket, unique, path):
    workflow = load(path)
    database = unique("corpus")
    glue_client.create_database(DatabaseInput={"Name": database})
    create(glue_client, s3_client, bucket, database, workflow)

    run_id = glue_client.start_workflow_run(Name=workflow["Name"])["RunId"]
    run = wait_for_workflow_run(glue_client, workflow["Name"], run_id, timeout=180)

    expected = expected_actions(workflow)
    assert run["Status"] == "COMPLETED"
    stats = run["Statistics"]
    assert (stats["FailedActions"], stats["ErroredActions"]) == (0, 0)
    assert stats["SucceededActions"] == stats["TotalActions"] == len(expected)
    assert started_actions(run) == expected
    graph = glue_client.get_workflow(Name=workflow["Name"], IncludeGraph=True)["Workflow"]["Graph"]
    assert {(n["Type"], n["Name"]) for n in graph["Nodes"]} == {
        (n["Type"], n["Name"]) for n in workflow["Graph"]["Nodes"]
    }
    print(
        f"{path.name}: {len(expected)} of {sum(n['Type'] != 'TRIGGER' for n in workflow['Graph']['Nodes'])} actions, {stats}"
    )
