"""A local Glue's lake for the public scripts' tests: land inputs, crawl them, run a script unchanged and
read what it wrote back through S3."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from local_glue_support import DATA, log_messages, wait_for_crawl, wait_for_run

from glue_flow_local.testing import LocalGlue

#: The public job scripts, word for word, and their SOURCES.md.
SCRIPTS = DATA / "public_scripts"
#: The input data sets, one folder each.
INPUTS = SCRIPTS / "inputs"
ROLE = "arn:aws:iam::123456789012:role/glue"


class Lake:
    """Clients of one local Glue and the steps every public script's test takes."""

    def __init__(self, local: LocalGlue) -> None:
        self.glue, self.s3, self.logs = local.client("glue"), local.client("s3"), local.client("logs")

    def bucket(self, name: str) -> None:
        """Create the bucket unless it exists."""
        if name not in {b["Name"] for b in self.s3.list_buckets()["Buckets"]}:
            self.s3.create_bucket(Bucket=name)

    def land(self, bucket: str, key: str, source: Path | bytes) -> None:
        """Put one input object."""
        self.bucket(bucket)
        body = source if isinstance(source, bytes) else source.read_bytes()
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)

    def crawl(self, crawler: str, database: str, path: str, **extra: Any) -> dict[str, Any]:
        """Crawl an ``s3://`` folder into the database (created unless it exists); the catalog's tables."""
        try:
            self.glue.create_database(DatabaseInput={"Name": database})
        except self.glue.exceptions.AlreadyExistsException:
            pass
        self.glue.create_crawler(
            Name=crawler, Role=ROLE, DatabaseName=database, Targets={"S3Targets": [{"Path": path}]}, **extra
        )
        self.glue.start_crawler(Name=crawler)
        crawled = wait_for_crawl(self.glue, crawler, 120)
        assert crawled["LastCrawl"]["Status"] == "SUCCEEDED", crawled["LastCrawl"]
        tables = self.glue.get_tables(DatabaseName=database)["TableList"]
        return {table["Name"]: table for table in tables}

    def run(self, script: str, version: str = "5.0", **arguments: str) -> dict[str, Any]:
        """Run the public script ``script`` unchanged as a Spark job of that Glue version; the ended run,
        its ``ErrorMessage`` followed by the driver log's last lines when it did not succeed."""
        self.bucket("public-scripts")
        key = f"scripts/{script}"
        self.s3.put_object(Bucket="public-scripts", Key=key, Body=(SCRIPTS / script).read_bytes())
        job = script.removesuffix(".py")
        self.glue.create_job(
            Name=job,
            Role=ROLE,
            Command={"Name": "glueetl", "ScriptLocation": f"s3://public-scripts/{key}", "PythonVersion": "3"},
            GlueVersion=version,
            WorkerType="G.1X",
            NumberOfWorkers=2,
            DefaultArguments={"--enable-glue-datacatalog": "true"},
        )
        run_id = self.glue.start_job_run(JobName=job, Arguments={f"--{k}": v for k, v in arguments.items()})
        run = wait_for_run(self.glue, job, run_id["JobRunId"], 600)
        if run["JobRunState"] != "SUCCEEDED":
            log = log_messages(self.logs, "/aws-glue/jobs/error", run["Id"])[-30:]
            run["ErrorMessage"] = run.get("ErrorMessage", "") + "\n" + "\n".join(log)
        return run

    def keys(self, bucket: str, prefix: str) -> list[str]:
        """The keys under a prefix, sorted."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def _bodies(self, bucket: str, prefix: str, suffix: str) -> list[tuple[str, bytes]]:
        keys = [key for key in self.keys(bucket, prefix) if key.endswith(suffix)]
        assert keys, f"no {suffix} object under s3://{bucket}/{prefix}"
        return [(key, self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]

    def parquet(self, bucket: str, prefix: str) -> list[dict[str, Any]]:
        """Every record of the Parquet objects under a prefix."""
        return [
            record
            for _, body in self._bodies(bucket, prefix, ".parquet")
            for record in pq.read_table(io.BytesIO(body)).to_pylist()
        ]

    def json_lines(self, bucket: str, prefix: str) -> list[dict[str, Any]]:
        """Every record of the JSON-lines objects under a prefix (Spark's and Glue's part files)."""
        return [
            json.loads(line)
            for key, body in self._bodies(bucket, prefix, "")
            if not key.endswith("/")
            for line in body.decode().splitlines()
            if line.strip()
        ]

    def csv_rows(self, bucket: str, prefix: str) -> list[dict[str, str]]:
        """Every row of the headed CSV objects under a prefix."""
        return [
            row
            for _, body in self._bodies(bucket, prefix, ".csv")
            for row in csv.DictReader(io.StringIO(body.decode()))
        ]


def medicare_csv(numeric_rows: int = 1000) -> bytes:
    """AWS's Medicare sample shape (the data behind ``data_cleaning_and_lambda.py``): ``numeric_rows``
    records with a numeric provider id, then two whose provider id is text. The crawler reads the first
    1,000 records, so the catalog says ``bigint``; the two last records make it a choice when read
    (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-samples-medicaid.html)."""
    header = (
        "DRG Definition,Provider Id,Provider Name,Provider Street Address,Provider City,Provider State,"
        "Provider Zip Code,Hospital Referral Region Description,Total Discharges,Average Covered Charges,"
        "Average Total Payments,Average Medicare Payments"
    )
    lines = [header]
    ids = [str(10001 + number) for number in range(numeric_rows)] + ["ABC", "DEF"]
    for number, provider in enumerate(ids):
        discharges = 20 + number % 30
        lines.append(
            f"039 - EXTRACRANIAL PROCEDURES W/O CC/MCC,{provider},HOSPITAL {number},{number} MAIN ST,"
            f"DOTHAN,AL,{36301 + number % 7},AL - Dothan,{discharges},$3{number % 10}963.07,"
            f"$5{number % 10}777.24,$4{number % 10}763.70"
        )
    return ("\n".join(lines) + "\n").encode()
