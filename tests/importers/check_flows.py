"""Workflows for the ``--check`` tests, created on a local Glue with small real job scripts.

:func:`create_seed_004`: the seed-004 workflow (a scheduled trigger starts the encoding job, which turns
the CP932 logs under ``input/`` into UTF-8 under ``utf8/`` and moves the originals to ``shift_jis/``,
the seed's script; a conditional trigger (ALL: encoding SUCCEEDED) starts the data-lake load, which
copies the UTF-8 files to ``lake/``). :func:`create_from_graph`: a workflow of the migration corpus from
its graph, each job a script that writes one object, each crawler a crawl of a small CSV.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from glue_flow_local.testing import create_python_job

#: The seed's encoding job (its logging set-up left out), reading its settings from the job arguments.
ENCODE_SCRIPT = b"""
import re
import sys
import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(
    sys.argv, ["BUCKET_NAME", "BUCKET_PATH", "BUCKET_PATH_DECODE", "BUCKET_PATH_ORG", "DECODE_LANG"]
)
s3 = boto3.resource("s3")
bucket = s3.Bucket(args["BUCKET_NAME"])
for obj in bucket.objects.filter(Prefix=args["BUCKET_PATH"]):
    if obj.key == args["BUCKET_PATH"]:
        continue
    name = re.sub(args["BUCKET_PATH"], "", obj.key)
    body = s3.Object(bucket.name, obj.key).get()["Body"].read().decode(args["DECODE_LANG"])
    s3.Object(bucket.name, args["BUCKET_PATH_DECODE"] + name).put(Body=body)
    s3.meta.client.copy({"Bucket": bucket.name, "Key": obj.key}, bucket.name, args["BUCKET_PATH_ORG"] + name)
    s3.Object(bucket.name, obj.key).delete()
"""
#: The data-lake load: copy the UTF-8 files to the lake folder.
LOAD_SCRIPT = b"""
import sys
import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["BUCKET_NAME", "SOURCE", "LAKE"])
s3 = boto3.client("s3")
for item in s3.list_objects_v2(Bucket=args["BUCKET_NAME"], Prefix=args["SOURCE"]).get("Contents", []):
    key = args["LAKE"] + item["Key"][len(args["SOURCE"]):]
    s3.copy_object(Bucket=args["BUCKET_NAME"], Key=key, CopySource={"Bucket": args["BUCKET_NAME"], "Key": item["Key"]})
"""
#: A corpus stand-in job: writes one object named after the job.
STAND_IN_SCRIPT = b"""
import sys
import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["JOB_NAME", "OUT_BUCKET"])
boto3.client("s3").put_object(Bucket=args["OUT_BUCKET"], Key="out/" + args["JOB_NAME"] + ".txt", Body=b"done")
"""
_ROLE = "arn:aws:iam::123456789012:role/glue"


def create_seed_004(glue: Any, s3: Any, bucket: str, prefix: str) -> str:
    """Create the seed-004 workflow with its two jobs, triggers and landed CP932 logs; returns its name."""
    workflow, encode, load = f"{prefix}-wf", f"{prefix}-encode", f"{prefix}-datalake-import"
    for number in (1, 2):
        body = f"deviceid,country\\nd{number},日本\\n".encode("cp932")
        s3.put_object(Bucket=bucket, Key=f"input/log{number}.csv", Body=body)
    create_python_job(glue, s3, bucket, encode, ENCODE_SCRIPT)
    create_python_job(glue, s3, bucket, load, LOAD_SCRIPT)
    glue.create_workflow(Name=workflow, Description="seed 004: encode the logs, then load the data lake")
    encode_args = {
        "--BUCKET_NAME": bucket,
        "--BUCKET_PATH": "input/",
        "--BUCKET_PATH_DECODE": "utf8/",
        "--BUCKET_PATH_ORG": "shift_jis/",
        "--DECODE_LANG": "cp932",
    }
    glue.create_trigger(
        Name=f"{prefix}-schedule",
        WorkflowName=workflow,
        Type="SCHEDULED",
        # Once a year, at a time the test never reaches: the check starts its runs itself.
        Schedule="cron(0 3 1 1 ? *)",
        StartOnCreation=True,
        Actions=[{"JobName": encode, "Arguments": encode_args}],
    )
    glue.create_trigger(
        Name=f"{prefix}-after-encode",
        WorkflowName=workflow,
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={
            "Logical": "AND",
            "Conditions": [{"LogicalOperator": "EQUALS", "JobName": encode, "State": "SUCCEEDED"}],
        },
        Actions=[
            {"JobName": load, "Arguments": {"--BUCKET_NAME": bucket, "--SOURCE": "utf8/", "--LAKE": "lake/"}}
        ],
    )
    return workflow


def create_from_graph(glue: Any, s3: Any, bucket: str, database: str, document: dict[str, Any]) -> str:
    """Create a corpus workflow from its graph: each job a script writing ``out/<job>.txt``, each crawler a
    crawl of a small CSV, each trigger as the graph has it (ACTIVATED ones with StartOnCreation)."""
    workflow = document["Workflow"]
    for index, node in enumerate(workflow["Graph"]["Nodes"]):
        if node["Type"] == "JOB":
            arguments = {"--OUT_BUCKET": bucket, "--JOB_NAME": node["Name"]}
            create_python_job(glue, s3, bucket, node["Name"], STAND_IN_SCRIPT, DefaultArguments=arguments)
        elif node["Type"] == "CRAWLER":
            s3.put_object(Bucket=bucket, Key=f"data/{index}/part.csv", Body=b"id,name\n1,a\n2,b\n")
            glue.create_crawler(
                Name=node["Name"],
                Role=_ROLE,
                DatabaseName=database,
                TablePrefix=f"t{index}_",
                Targets={"S3Targets": [{"Path": f"s3://{bucket}/data/{index}/"}]},
            )
    glue.create_workflow(Name=workflow["Name"])
    for node in workflow["Graph"]["Nodes"]:
        if node["Type"] != "TRIGGER":
            continue
        trigger = node["TriggerDetails"]["Trigger"]
        request = {k: trigger[k] for k in ("Name", "Type", "Schedule", "Predicate") if trigger.get(k)}
        request["Actions"] = [
            {k: a[k] for k in ("JobName", "CrawlerName", "Arguments") if k in a} for a in trigger["Actions"]
        ]
        request["StartOnCreation"] = trigger["State"] == "ACTIVATED" and trigger["Type"] != "ON_DEMAND"
        glue.create_trigger(WorkflowName=workflow["Name"], **request)
    return str(workflow["Name"])


def import_check(kind: str, endpoint_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``glue-flow import KIND ARGS --check --endpoint-url URL``, run to its end."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::RuntimeWarning"}
    command = [sys.executable, "-m", "airflow_glue_flow.cli.commands", "import", kind]
    command += [*args, "--check", "--endpoint-url", endpoint_url]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)


def rows(stdout: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(scenario, item) -> (original, DAG, verdict), from the table (columns two or more spaces apart)."""
    table = {}
    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 5 and not line.startswith("-"):
            table[(cells[0], cells[1])] = (cells[2], cells[3], cells[4])
    return table
