"""The ready DAGs' CSV -> Parquet Glue job, in its two variants, their shared params, and the tasks that
deploy it.

``spark`` is the seed's PySpark job (``dags/scripts/csv_to_parquet_spark.py``: Glue 5.0 ``glueetl``,
reading the crawled table from the Data Catalog); ``pythonshell`` is the pyarrow job
(``dags/scripts/csv_to_parquet.py``), for a local Glue on a machine without Java. Both write Parquet
under ``--OUTPUT_PATH``. The job's DefaultArguments carry its input and output, so a plain
``StartJobRun`` with the job name alone (as the Step Functions seed runs it) does the whole work.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow.sdk import Param, task

from airflow_glue_flow.compat import AirflowSkipException
from airflow_glue_flow.exceptions import GlueTaskParameterError
from airflow_glue_flow.operators.deploy import GlueDeployOperator

#: The job variants and the script each runs (the file name under ``dags/scripts/``).
SCRIPTS = {"spark": "csv_to_parquet_spark.py", "pythonshell": "csv_to_parquet.py"}
#: Where in the flow's bucket the DAGs deploy the scripts.
SCRIPT_PREFIX = "glue-flow/scripts/"
#: The params :func:`job_from_params` reads.
JOB_PARAMS = (
    "job_type",
    "job_name",
    "glue_role",
    "bucket",
    "database",
    "table_prefix",
    "input_prefix",
    "output_prefix",
    "job_timeout",
)
#: Glue's NameString (crawlers, jobs, databases): one line, 1-255 characters; tab is the only control
#: character it allows.
NAME_PATTERN = "^[^\\x00-\\x08\\x0a-\\x1f]{1,255}$"
#: An S3 key prefix: a folder, ending in ``/`` (not starting with one, which would give ``s3://bucket//``).
PREFIX_PATTERN = "^[^/].*/$"
#: S3's bucket naming rules: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter
#: or digit.
BUCKET_PATTERN = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
#: An IAM role name, or a role ARN (with an optional path).
ROLE_PATTERN = "^(arn:aws[a-z-]*:iam::[0-9]{12}:role/([\\w+=,.@-]+/)*)?[\\w+=,.@-]{1,64}$"
#: The ready DAGs' default Glue role (AWS's example account id: give yours in the run's params).
DEFAULT_GLUE_ROLE = "arn:aws:iam::123456789012:role/AWSGlueServiceRole-glue-flow"


def _text_param(default: str, pattern: str, description: str) -> Param:
    return Param(default, type="string", pattern=pattern, description=description)


def prefix_param(default: str, description: str) -> Param:
    """A param holding an S3 key prefix (:data:`PREFIX_PATTERN`)."""
    return _text_param(default, PREFIX_PATTERN, description)


def bucket_param(default: str, description: str) -> Param:
    """A param holding an S3 bucket name (:data:`BUCKET_PATTERN`)."""
    return _text_param(default, BUCKET_PATTERN, description)


def name_param(default: str, description: str) -> Param:
    """A param holding a Glue crawler, job or other name (:data:`NAME_PATTERN`)."""
    return _text_param(default, NAME_PATTERN, description)


def role_param(default: str, description: str) -> Param:
    """A param holding the IAM role Glue runs as, by name or ARN (:data:`ROLE_PATTERN`)."""
    return _text_param(default, ROLE_PATTERN, description)


def flow_params(*, max_attempts: int) -> dict[str, Param]:
    """The params of a ready DAG that deploys the job with :func:`deploy_flow`, validated in the trigger
    form: S3's bucket naming rules, prefixes ending in ``/``, Glue's name limits, lower-case catalog
    names (Athena and Spark SQL fold names to lower case), a role name or role ARN, and the job types.

    :param max_attempts: the default number of crawler checks before ``GlueCrawlTimeoutError``.
    """
    return {
        "bucket": bucket_param(
            "glue-flow-demo", "S3 bucket of the flow (3-63 characters: a-z, 0-9, '.', '-')."
        ),
        "input_prefix": prefix_param("se2/in0/", "UTF-8 CSV files (ending in /); the crawler's target."),
        "output_prefix": prefix_param("se2/out0/", "Parquet output of the job (ending in /)."),
        "database": _text_param(
            "se2", "^[a-z0-9_]{1,255}$", "Catalog database of the crawler (a-z, 0-9, _)."
        ),
        "crawler_name": name_param("se2_in0", "Glue crawler name."),
        "table_prefix": _text_param(
            "se2_", "^[a-z0-9_]{0,128}$", "Crawler TablePrefix (table = prefix + folder; a-z, 0-9, _)."
        ),
        "job_name": name_param("se2_job0", "Glue job name."),
        "job_type": Param(
            "spark",
            type="string",
            enum=list(SCRIPTS),
            description="spark: the seed's PySpark job (Glue 5.0; a local Glue needs Java and the [spark] "
            "extra); pythonshell: a pyarrow Python-shell job doing the same.",
        ),
        "job_timeout": Param(60, type="integer", minimum=1, description="The job's Timeout in minutes."),
        "glue_role": role_param(DEFAULT_GLUE_ROLE, "IAM role the crawler and the job run as (name or ARN)."),
        "wait_time": Param(
            60,
            type="integer",
            minimum=0,
            description="Seconds between checks of the crawler and the job run.",
        ),
        "max_attempts": Param(
            max_attempts,
            type="integer",
            minimum=1,
            description="Crawler checks before GlueCrawlTimeoutError.",
        ),
    }


def csv_to_parquet_job(
    job_type: str,
    *,
    name: str,
    role: str,
    script_prefix: str,
    database: str,
    table: str,
    input_path: str,
    output_path: str,
    timeout: int = 60,
) -> dict[str, Any]:
    """The CreateJob request of one variant.

    :param job_type: ``spark`` or ``pythonshell``.
    :param name: the job name.
    :param role: the IAM role the job runs as.
    :param script_prefix: ``s3://bucket/prefix/`` holding the scripts of :data:`SCRIPTS`.
    :param database: the catalog database the Spark job reads from.
    :param table: the crawled table the Spark job reads.
    :param input_path: ``s3://bucket/prefix/`` of the CSV files the Python-shell job reads.
    :param output_path: ``s3://bucket/prefix/`` the job writes Parquet to.
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
            "DefaultArguments": {
                "library-set": "analytics",
                "--INPUT_PATH": input_path,
                "--OUTPUT_PATH": output_path,
            },
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
            "--OUTPUT_PATH": output_path,
        },
        "Timeout": timeout,
    }


def job_from_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateJob request the ready DAGs deploy, from their params (:data:`JOB_PARAMS`); the scripts
    are under ``s3://<bucket>/glue-flow/scripts/``.

    :param params: the DAG run's params.
    """
    bucket = params["bucket"]
    return csv_to_parquet_job(
        params["job_type"],
        name=params["job_name"],
        role=params["glue_role"],
        script_prefix=f"s3://{bucket}/{SCRIPT_PREFIX}",
        database=params["database"],
        # The crawler names the table after the folder it crawled.
        table=params["table_prefix"] + params["input_prefix"].rstrip("/").rsplit("/", 1)[-1],
        input_path=f"s3://{bucket}/{params['input_prefix']}",
        output_path=f"s3://{bucket}/{params['output_prefix']}",
        timeout=params["job_timeout"],
    )


def deploy_flow(scripts_dir: Path, *, switch: str | None = None) -> GlueDeployOperator:
    """In a ready DAG (with :func:`flow_params`): the ``job_definition`` task and the ``deploy`` task it
    feeds, which creates or updates the bucket, database, crawler over ``input_prefix``, the job of the
    chosen ``job_type``, and uploads both job scripts.

    :param scripts_dir: the folder holding the scripts of :data:`SCRIPTS`.
    :param switch: the name of a boolean param; a run where it is false deploys nothing (both tasks are
        skipped, saying why), so the flow runs the crawler and job as they already are.
    :returns: the deploy task.
    """

    @task
    def job_definition(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The CreateJob request of the chosen ``job_type``."""
        if not isinstance(params, Mapping):
            raise GlueTaskParameterError("job_definition", "params", repr(params), "is not the run's params")
        missing = [
            name for name in (*JOB_PARAMS, "crawler_name", *filter(None, [switch])) if name not in params
        ]
        if missing:
            raise GlueTaskParameterError(
                "job_definition", "params", repr(sorted(params)), f"lack {', '.join(missing)}"
            )
        if switch and not params[switch]:
            raise AirflowSkipException(
                f"{switch}=false: nothing is deployed; the flow runs crawler {params['crawler_name']!r} "
                f"and job {params['job_name']!r} as they are"
            )
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
