"""What a local Glue job run is given: its command line and its process environment.

Arguments reach the script as AWS passes them to a Python-shell job: Glue's reserved ``--JOB_NAME``,
``--JOB_ID``, ``--JOB_RUN_ID``, ``--job-bookmark-option`` and ``--scriptLocation``, then ``--KEY value``
pairs of the job's DefaultArguments, overridden key by key by the run's Arguments, then
NonOverridableArguments (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html).

The environment is built from nothing, never copied from the server's: the local Glue's endpoint and
credentials, the run's region, and what Python needs (PATH, HOME, locale, PYTHONPATH). A job cannot see
the server's Airflow connections, tokens or cloud credentials.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from glue_flow_local.settings import Settings

#: The folder holding the job-side ``awsglue`` package; it goes on a job's path only.
#: Both live in ``inside_jobs/``, the package's folder of code that runs inside jobs, not in the server.
INSIDE_JOBS = Path(__file__).resolve().parents[2] / "inside_jobs"
GLUE_LIB = INSIDE_JOBS / "glue_lib"
#: The folder holding the job's ``sitecustomize`` (AWS SDK clients default to the local Glue).
JOB_SITE = INSIDE_JOBS / "site"


def merged_arguments(job: dict[str, Any], run_arguments: dict[str, str]) -> dict[str, str]:
    """The run's arguments: DefaultArguments < run Arguments < NonOverridableArguments, keys with ``--``.

    :param job: the job definition.
    :param run_arguments: the StartJobRun Arguments.
    """
    merged = {
        **(job.get("DefaultArguments") or {}),
        **run_arguments,
        **(job.get("NonOverridableArguments") or {}),
    }
    return {(name if name.startswith("--") else f"--{name}"): str(value) for name, value in merged.items()}


def job_id(region: str, job_name: str) -> str:
    """A stable job id for ``--JOB_ID`` (``j_`` and 64 hex digits, like Glue's).

    :param region: the job's region.
    :param job_name: the job name.
    """
    return "j_" + hashlib.sha256(f"{region}/{job_name}".encode()).hexdigest()


def script_argv(
    script: Path, script_location: str, arguments: dict[str, str], region: str, job_name: str, run_id: str
) -> list[str]:
    """The arguments after the interpreter: the script, then the job arguments as Glue passes them.

    :param script: the downloaded script.
    :param script_location: the script's S3 location.
    :param arguments: the merged arguments (:func:`merged_arguments`).
    :param region: the run's region.
    :param job_name: the job name.
    :param run_id: the run id.
    """
    argv = [str(script)]
    ids = {"--JOB_NAME": job_name, "--JOB_ID": job_id(region, job_name), "--JOB_RUN_ID": run_id}
    defaults = {"--job-bookmark-option": "job-bookmark-disable", "--scriptLocation": script_location}
    for name, value in {**ids, **{k: v for k, v in defaults.items() if k not in arguments}}.items():
        argv += [name, value]
    for name, value in arguments.items():
        if name not in ids:  # Glue's own ids cannot be overridden
            argv += [name, value]
    return argv


def job_environment(
    settings: Settings, region: str, python: Path, workdir: Path, python_path: list[Path]
) -> dict[str, str]:
    """The process environment of a job run, built from nothing.

    :param settings: the server settings: its URL, the credentials it accepts, its state folder (which
        holds the AWS config file).
    :param region: the run's region.
    :param python: the job environment's interpreter.
    :param workdir: the run's working directory (also its HOME).
    :param python_path: folders and archives to import from (``--extra-py-files``), before ``awsglue``
        and the ``sitecustomize`` that points older AWS SDKs at the local Glue.
    """
    endpoint_url, state_dir = settings.endpoint_url, settings.state_dir
    config = state_dir / "aws-config"
    if not config.exists():
        # Path-style S3 addressing: bucket.<host> does not resolve for a local endpoint.
        config.write_text("[default]\ns3 =\n    addressing_style = path\n")
        (state_dir / "aws-credentials").write_text("")
    return {
        "PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": ":".join(str(p) for p in [*python_path, GLUE_LIB, JOB_SITE]),
        "PYTHONUNBUFFERED": "1",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": settings.credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.credentials.secret_access_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(state_dir / "aws-credentials"),
        # Never fall back to an instance role of the machine the local Glue runs on.
        "AWS_EC2_METADATA_DISABLED": "true",
    }
