"""The ready DAGs' CSV -> Parquet Glue job, in its two variants, and the task that deploys it.

``spark`` is the seed's PySpark job (``dags/scripts/csv_to_parquet_spark.py``: Glue 5.0 ``glueetl``,
reading the crawled table from the Data Catalog); ``pythonshell`` is the pyarrow job
(``dags/scripts/csv_to_parquet.py``), for a local Glue on a machine without Java. Both write Parquet
under the run's ``--OUTPUT_PATH``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow.sdk import task

from airflow_glue_flow.operators.deploy import GlueDeployOperator

#: The job variants and the script each runs (the file name under ``dags/scripts/``).
SCRIPTS = {"spark": "csv_to_parquet_spark.py", "pythonshell": "csv_to_parquet.py"}
#: Where in the flow's bucket the DAGs deploy the scripts.
SCRIPT_PREFIX = "glue-flow/scripts/"


def csv_to_parquet_job(
    job_type: str, *, name: str, role: str, script_prefix: str, database: str, table: str, timeout: int = 60
) -> dict[str, Any]:
    """The CreateJob request of one variant.

    :param job_type: ``spark`` or ``pythonshell``.
    :param name: the job name.
    :param role: the IAM role the job runs as.
    :param script_prefix: ``s3://bucket/prefix/`` holding the scripts of :data:`SCRIPTS`.
    :param database: the catalog database the Spark job reads from.
    :param table: the crawled table the Spark job reads.
    :param timeout: the job's Timeout in minutes.
    :raises ValueError: an unknown ``job_type``.
    """
    if job_type not in SCRIPTS:
        raise ValueError(f"job_type {job_type!r} is not one of {', '.join(SCRIPTS)}")
    location = f"{script_prefix}{SCRIPTS[job_type]}"
    if job_type == "pythonshell":
        return {
            "Name": name,
            "Role": role,
            "Command": {"Name": "pythonshell", "PythonVersion": "3.9", "ScriptLocation": location},
            "DefaultArguments": {"library-set": "analytics"},
            "MaxCapacity": 0.0625,
            "Timeout": timeout,
        }
    return {
        "Name": name,
        "Role": role,
        "Command": {"Name": "glueetl", "PythonVersion": "3", "ScriptLocation": location},
        "GlueVersion": "5.0",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        # Each run adds the rows of the files it has not read yet (Glue's write_dynamic_frame appends).
        "DefaultArguments": {
            "--job-bookmark-option": "job-bookmark-enable",
            "--DATABASE": database,
            "--TABLE_NAME": table,
        },
        "Timeout": timeout,
    }


def job_from_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateJob request the ready DAGs deploy, from their params (``job_type``, ``job_name``,
    ``glue_role``, ``bucket``, ``database``, ``table_prefix``, ``input_prefix``, ``job_timeout``); the
    scripts are under ``s3://<bucket>/glue-flow/scripts/``.

    :param params: the DAG run's params.
    """
    return csv_to_parquet_job(
        params["job_type"],
        name=params["job_name"],
        role=params["glue_role"],
        script_prefix=f"s3://{params['bucket']}/{SCRIPT_PREFIX}",
        database=params["database"],
        # The crawler names the table after the folder it crawled.
        table=params["table_prefix"] + params["input_prefix"].rstrip("/").rsplit("/", 1)[-1],
        timeout=params["job_timeout"],
    )


def deploy_flow(scripts_dir: Path) -> GlueDeployOperator:
    """In a ready DAG (with :func:`job_from_params`' params and ``crawler_name``): the ``job_definition``
    task and the ``deploy`` task it feeds, which creates or updates the bucket, database, crawler over
    ``input_prefix``, the job of the chosen ``job_type``, and uploads both job scripts.

    :param scripts_dir: the folder holding the scripts of :data:`SCRIPTS`.
    :returns: the deploy task.
    """

    @task
    def job_definition(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The CreateJob request of the chosen ``job_type``."""
        assert params is not None  # Airflow passes the run's params
        return job_from_params(params)

    return GlueDeployOperator(
        task_id="deploy",
        buckets=["{{ params.bucket }}"],
        databases=["{{ params.database }}"],
        scripts={
            str(scripts_dir / name): f"s3://{{{{ params.bucket }}}}/{SCRIPT_PREFIX}{name}"
            for name in SCRIPTS.values()
        },
        crawlers=[
            {
                "Name": "{{ params.crawler_name }}",
                "Role": "{{ params.glue_role }}",
                "DatabaseName": "{{ params.database }}",
                "TablePrefix": "{{ params.table_prefix }}",
                "Targets": {"S3Targets": [{"Path": "s3://{{ params.bucket }}/{{ params.input_prefix }}"}]},
            }
        ],
        jobs=[job_definition()],  # type: ignore[list-item]  # an XComArg: the dict, resolved at run time
    )
