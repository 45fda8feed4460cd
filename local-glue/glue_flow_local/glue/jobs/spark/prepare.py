"""Preparing one Spark (``glueetl``) run: script and files from S3, the job environment, Spark's
configuration and the bucket copy; :mod:`glue_flow_local.glue.jobs.process` starts and watches it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glue_flow_local.clients import server_client
from glue_flow_local.glue.jobs.args import job_environment, merged_arguments, script_argv
from glue_flow_local.glue.jobs.bookmarks import BookmarkStore
from glue_flow_local.glue.jobs.env import JobEnvironmentError, closest_interpreter, ensure_environment
from glue_flow_local.glue.jobs.spark import runtime as spark_jobs
from glue_flow_local.s3.uri import S3UriError, parse_s3_uri
from glue_flow_local.settings import Settings

if TYPE_CHECKING:
    from glue_flow_local.glue.jobs.script_run import ScriptRun


class SparkPrepareError(Exception):
    """The run ends FAILED before its script starts; the message is its ErrorMessage."""


def prepare_spark(
    settings: Settings,
    run: ScriptRun,
    download: Callable[[Any, str, str], bytes],
    workdir: Path | None = None,
) -> tuple[list[str], dict[str, str], dict[str, str], Callable[[], None]]:
    """Get a Spark run ready; return its argv, environment, Spark properties and the step to call once it ends.

    :param settings: the server settings.
    :param run: the run.
    :param download: fetches an s3:// object's bytes, raising the run's failure with AWS's message.
    :param workdir: the run's folder (default: :meth:`Settings.run_dir`; a warm Spark's own folder).
    :raises SparkPrepareError: what the run needs is missing (Java, pyspark, an S3 object, a module).
    """
    job = run.job
    command = job.get("Command") or {}
    arguments = merged_arguments(job, run.arguments)
    try:
        java, version = spark_jobs.check_runtime(job["Name"], str(job.get("GlueVersion") or ""))
    except spark_jobs.SparkRunError as err:
        raise SparkPrepareError(str(err)) from None
    refused = spark_jobs.refused_argument(arguments)
    if refused:
        raise SparkPrepareError(refused)
    location = arguments.pop("--scriptLocation", None) or command.get("ScriptLocation") or ""
    try:
        parse_s3_uri(location)
    except S3UriError as err:
        raise SparkPrepareError(f"Invalid ScriptLocation of job {job['Name']}: {err}") from None
    workdir = workdir or settings.run_dir(run.id)
    workdir.mkdir(parents=True, exist_ok=True)
    s3 = server_client(settings.endpoint_url, "s3", run.region, settings.credentials)
    script = workdir / (location.rsplit("/", 1)[-1] or "script.py")
    script.write_bytes(download(s3, location, "script"))
    python_path: list[Path] = []
    for uri in _uris(arguments.get("--extra-py-files", "")):
        target = workdir / uri.rsplit("/", 1)[-1]
        target.write_bytes(download(s3, uri, "--extra-py-files"))
        if target.suffix != ".py":  # .zip, .whl and .egg are imported from the archive; .py from the workdir
            python_path.append(target)
    for uri in _uris(arguments.get("--extra-files", "")):
        (workdir / uri.rsplit("/", 1)[-1]).write_bytes(download(s3, uri, "--extra-files"))
    jars = []
    for uri in _uris(arguments.get("--extra-jars", "")):
        jar = workdir / "jars" / uri.rsplit("/", 1)[-1]
        jar.parent.mkdir(exist_ok=True)
        jar.write_bytes(download(s3, uri, "--extra-jars"))
        jars.append(jar)
    try:
        python = spark_environment(
            str(job.get("GlueVersion")),
            version,
            arguments.get("--additional-python-modules", ""),
            arguments.get("--python-modules-installer-option", ""),
        )
    except JobEnvironmentError as err:
        raise SparkPrepareError(str(err)) from None
    launch = spark_jobs.prepare(
        s3,
        workdir,
        arguments,
        jars,
        java,
        python,
        BookmarkStore(settings.state_dir),
        (run.region, job["Name"]),
        run.id,
    )
    argv = [str(python), "-u", *script_argv(script, location, arguments, run.region, job["Name"], run.id)]
    env = spark_job_environment(
        settings, run.region, str(job.get("GlueVersion")), python, workdir, python_path
    )
    env.update(launch.env)
    return argv, env, launch.conf, launch.finish


def spark_job_environment(
    settings: Settings, region: str, glue_version: str, python: Path, workdir: Path, python_path: list[Path]
) -> dict[str, str]:
    """A Spark run's process environment, less :func:`~glue_flow_local.glue.jobs.spark.runtime.spark_env`.

    :param settings: the server settings.
    :param region: the run's region.
    :param glue_version: the job's GlueVersion.
    :param python: the job environment's interpreter.
    :param workdir: the run's folder.
    :param python_path: ``--extra-py-files`` to import from.
    """
    env = job_environment(settings, region, python, workdir, python_path)
    # The job-side library notes in the driver log when this Spark or Python is not the version's.
    env["GLUE_LOCAL_GLUE_VERSION"] = glue_version
    return env


def spark_environment(
    glue_version: str, pyspark: str, modules: str = "", installer_options: str = ""
) -> Path:
    """The job environment of a Spark job (built once, then reused): boto3, the local Glue's own pyspark
    release (so the job talks to the same Spark), and the job's ``--additional-python-modules``.

    :param glue_version: the job's GlueVersion (4.0 or 5.0), which sets the Python.
    :param pyspark: the pyspark version.
    :param modules: the ``--additional-python-modules`` value.
    :param installer_options: the ``--python-modules-installer-option`` value.
    :raises JobEnvironmentError: an installation failed (the message names it).
    """
    user = [m.strip() for m in modules.split(",") if m.strip()]
    return ensure_environment(
        closest_interpreter(spark_jobs.GLUE_VERSIONS[glue_version]),
        sorted({"boto3", f"pyspark=={pyspark}", *user}, key=str.lower),
        user,
        shlex.split(installer_options),
    )


def _uris(value: str) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()]
