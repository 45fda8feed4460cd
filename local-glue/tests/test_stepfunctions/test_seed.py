"""Seed 000: its state machine as printed (only the account id filled in) and its three Lambdas word for
word, on the local Glue: a real crawl, then the final ``glue:startJobRun.sync`` job.

Glue .sync: https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html (a run that ends
FAILED fails the task with States.TaskFailed). Retry: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
(IntervalSeconds 1, BackoffRate 2.0, MaxAttempts 3: retries after 1 s, 2 s and 4 s).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from local_glue_support import SEED_CSV_PATH, SEED_SPARK_SCRIPT, require_spark

from glue_flow_local.testing import LocalGlue, create_python_job, create_spark_job
from test_stepfunctions.support import SEED, history, role, wait_for_execution, zipped

pytestmark = pytest.mark.slow
REGION = "ap-northeast-1"  # the region the seed's Lambda ARNs name
#: Seconds per Step Functions second: the seed's waits and retry intervals at a tenth.
SCALE = 0.1
BUCKET = "test-glue00"


@pytest.fixture(scope="module")
def glue_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalGlue]:
    with LocalGlue(state_dir=tmp_path_factory.mktemp("sfn-seed"), sfn_time_scale=SCALE) as server:
        yield server


def _clients(server: LocalGlue) -> dict[str, Any]:
    names = ("glue", "s3", "iam", "lambda", "stepfunctions")
    return {name: server.client(name, REGION) for name in names}


def _set_up(c: dict[str, Any], job: str) -> str:
    """The seed's crawler, its three Lambdas and its state machine; ``job`` is what se2_job0 runs."""
    if BUCKET not in [b["Name"] for b in c["s3"].list_buckets()["Buckets"]]:
        c["s3"].create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        c["s3"].put_object(Bucket=BUCKET, Key="se2/in0/cvlog.csv", Body=SEED_CSV_PATH.read_bytes())
        c["glue"].create_database(DatabaseInput={"Name": "se2"})
        c["glue"].create_crawler(
            Name="se2_in0",
            Role="arn:aws:iam::123456789012:role/glue",
            DatabaseName="se2",
            TablePrefix="se2_",
            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/se2/in0/"}]},
        )
        lambda_role = role(c["iam"], "demo-lambda")
        for name in ("glue-test1-cr1", "glue-test1-crcheck", "glue-test1-addcount"):
            c["lambda"].create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=lambda_role,
                Handler="lambda_function.lambda_handler",
                Code={"ZipFile": zipped((SEED / f"{name}.py").read_bytes())},
                Timeout=30,
            )
    try:
        c["glue"].delete_job(JobName="se2_job0")
    except c["glue"].exceptions.EntityNotFoundException:
        pass
    if job == "spark":
        create_spark_job(c["glue"], c["s3"], BUCKET, "se2_job0", SEED_SPARK_SCRIPT.read_bytes())
    else:
        create_python_job(c["glue"], c["s3"], BUCKET, "se2_job0", b"raise SystemExit('the load failed')\n")
    arn = f"arn:aws:states:{REGION}:123456789012:stateMachine:GlueJob2"
    try:
        c["stepfunctions"].describe_state_machine(stateMachineArn=arn)
    except c["stepfunctions"].exceptions.StateMachineDoesNotExist:
        c["stepfunctions"].create_state_machine(
            name="GlueJob2",
            definition=(SEED / "state_machine.json").read_text(),
            roleArn=role(c["iam"], "demo-sf-glue-ddb-test"),
        )
    return arn


def test_seed_runs_to_succeeded_after_a_real_crawl(glue_server: LocalGlue) -> None:
    require_spark()
    c = _clients(glue_server)
    machine = _set_up(c, "spark")
    run = c["stepfunctions"].start_execution(stateMachineArn=machine, input=json.dumps({"wait_time": 10}))
    ended = wait_for_execution(c["stepfunctions"], run["executionArn"])
    assert ended["status"] == "SUCCEEDED", ended
    crawler = c["glue"].get_crawler(Name="se2_in0")["Crawler"]
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"
    # The .sync task's output is the job run, which really ran: SUCCEEDED and its Parquet written.
    output = json.loads(ended["output"])
    assert output["JobName"] == "se2_job0" and output["JobRunState"] == "SUCCEEDED"
    written = c["s3"].list_objects_v2(Bucket=BUCKET, Prefix="se2/out0/").get("KeyCount", 0)
    assert written > 0
    kinds = [e["type"] for e in history(c["stepfunctions"], run["executionArn"])]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
    assert "LambdaFunctionSucceeded" in kinds and "WaitStateEntered" in kinds and "TaskSucceeded" in kinds


def test_failing_job_is_retried_three_times_then_the_execution_fails(glue_server: LocalGlue) -> None:
    c = _clients(glue_server)
    machine = _set_up(c, "failing")
    run = c["stepfunctions"].start_execution(stateMachineArn=machine, input=json.dumps({"wait_time": 10}))
    ended = wait_for_execution(c["stepfunctions"], run["executionArn"])
    assert ended["status"] == "FAILED"
    assert ended["error"] == "States.TaskFailed"
    assert json.loads(ended["cause"])["JobRunState"] == "FAILED"
    # This execution's runs (the module's other test ran the Spark se2_job0 before this one was made).
    runs = [
        r
        for r in c["glue"].get_job_runs(JobName="se2_job0")["JobRuns"]
        if r["StartedOn"] >= ended["startDate"]
    ]
    assert len(runs) == 4 and {r["JobRunState"] for r in runs} == {"FAILED"}
    events = history(c["stepfunctions"], run["executionArn"])
    failures = [e["timestamp"] for e in events if e["type"] == "TaskFailed"]
    scheduled = [e["timestamp"] for e in events if e["type"] == "TaskScheduled"]
    gaps = [(s - f).total_seconds() for f, s in zip(failures, scheduled[1:], strict=False)]
    # 1 s, 2 s, 4 s at the test's time scale (each at least its interval; job start-up adds a little).
    for gap, interval in zip(gaps, (1, 2, 4), strict=True):
        assert gap >= interval * SCALE
    assert gaps[2] > gaps[0]
