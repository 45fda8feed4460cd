"""What a Spark (``glueetl``) job run needs beyond a Python-shell run: Java and pyspark, a Spark
configuration that maps ``s3://`` to the run's copy of the buckets, ``--conf`` / ``--extra-jars`` /
``--additional-python-modules`` / ``--extra-py-files``, the job bookmark, and Glue's log groups.

The script runs unchanged as ``python script.py --JOB_NAME ...`` in its own job environment (boto3 and
the same pyspark release as the local Glue's, plus its ``--additional-python-modules``); the
``awsglue`` package is on its path, and ``SparkContext()`` picks up ``spark-defaults.conf`` from the
run's ``SPARK_CONF_DIR``: a local master and the s3 mapping.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glue_flow_local.glue.jobs.bookmarks import BookmarkStore
from glue_flow_local.s3.mirror import BucketMirror, MirrorError

#: Log group prefix of Spark job runs (``/output``, ``/error``; continuous logging adds ``/logs-v2``).
SPARK_LOG_GROUP = "/aws-glue/jobs"
CONTINUOUS_LOG_GROUP = "/aws-glue/jobs/logs-v2"
#: Glue versions whose Spark jobs run locally, and the Python each declares.
GLUE_VERSIONS = {"4.0": (3, 10), "5.0": (3, 11)}
#: Hadoop's viewfs overload scheme maps each bucket of these schemes to a local folder.
_S3_SCHEMES = ("s3", "s3a", "s3n")
#: Arguments that ask for what the local Glue cannot give a Spark job.
_REFUSED_ARGUMENTS = {
    "--datalake-formats": "Delta Lake, Apache Hudi and Apache Iceberg libraries",
    "--job-language": "Scala jobs",
}


class SparkRunError(Exception):
    """The run ends FAILED before its script starts; the message is its ErrorMessage."""


def java_executable() -> str | None:
    """The ``java`` Spark will start: ``$JAVA_HOME/bin/java``, else the first on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home, "bin", "java"), os.X_OK):
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


def pyspark_version() -> str | None:
    """The pyspark release the local Glue can import, or None without the ``[spark]`` extra.

    Found without importing it: pyspark's import would cost the server memory it never uses (the job
    environment gets the same release installed).
    """
    try:
        if importlib.util.find_spec("pyspark") is None:
            return None
        return importlib.metadata.version("pyspark")
    except (ImportError, ValueError, importlib.metadata.PackageNotFoundError):
        return None


def check_runtime(job_name: str, glue_version: str) -> tuple[str, str]:
    """(java path, pyspark version) for a Spark run, or the error that says what to install.

    :param job_name: the job, for the message.
    :param glue_version: the job's GlueVersion.
    :raises SparkRunError: no Java, no pyspark, or a Glue version without local Spark.
    """
    if glue_version not in GLUE_VERSIONS:
        raise SparkRunError(
            f"Job {job_name} is a Spark job with GlueVersion {glue_version or '(none)'}: the local Glue runs "
            f"Spark jobs of GlueVersion {' and '.join(GLUE_VERSIONS)} only"
        )
    version = pyspark_version()
    if version is None:
        raise SparkRunError(
            f"Job {job_name} is a Spark job, and the local Glue has no pyspark: install it with "
            "pip install 'glue-flow-local[spark]'"
        )
    java = java_executable()
    if java is None:
        raise SparkRunError(
            f"Job {job_name} is a Spark job, and the local Glue found no Java to run Spark: install a Java 17 "
            "runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    return java, version


def refused_argument(arguments: dict[str, str]) -> str | None:
    """The ErrorMessage for an argument asking for what the local Glue cannot run, else None.

    :param arguments: the run's merged arguments.
    """
    for name, what in _REFUSED_ARGUMENTS.items():
        value = arguments.get(name, "")
        if value and not (name == "--job-language" and value.lower() == "python"):
            return f"{name} {value}: {what} are not available in the local Glue; run this job on AWS Glue"
    return None


def conf_pairs(value: str) -> dict[str, str]:
    """Glue's ``--conf`` value (``k=v --conf k2=v2``) as Spark properties.

    :param value: the argument's value.
    :raises SparkRunError: a part that is not ``key=value``.
    """
    out: dict[str, str] = {}
    for part in (p.strip() for p in f" {value}".split(" --conf ")):
        if not part:
            continue
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise SparkRunError(f"--conf {value!r}: each setting must be key=value (got {part!r})")
        out[key.strip()] = val.strip()
    return out


def spark_defaults(
    workdir: Path, mirror_root: Path, buckets: list[str], arguments: dict[str, str], jars: list[Path]
) -> dict[str, str]:
    """The run's ``spark-defaults.conf``: local master, s3 mapping, scratch folders, jars, ``--conf``.

    :param workdir: the run's working folder.
    :param mirror_root: the folder holding one folder per bucket.
    :param buckets: the bucket names.
    :param arguments: the run's merged arguments.
    :param jars: downloaded ``--extra-jars``.
    """
    # Every temporary file of the JVM (Spark's spark-<uuid> folders, the lz4 and snappy native libraries
    # it unpacks) goes into the run's folder, which is removed when the run ends; without perf data the
    # JVM writes no hsperfdata_<user>/<pid> into the system temp folder (its place is fixed to /tmp).
    jvm_options = f"-Djava.io.tmpdir={run_tmp_dir(workdir)} -XX:-UsePerfData"
    conf = {
        "spark.master": "local[*]",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(workdir / "spark-warehouse"),
        "spark.local.dir": str(workdir / "spark-tmp"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={workdir} {jvm_options}",
        "spark.executor.extraJavaOptions": jvm_options,
        # Plain local files: no .crc side files next to what the job writes (they would become objects).
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    }
    for scheme in _S3_SCHEMES:
        conf[f"spark.hadoop.fs.{scheme}.impl"] = "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme"
        conf[f"spark.hadoop.fs.viewfs.overload.scheme.target.{scheme}.impl"] = (
            "org.apache.hadoop.fs.RawLocalFileSystem"
        )
    for bucket in buckets:
        conf[f"spark.hadoop.fs.viewfs.mounttable.{bucket}.linkFallback"] = (mirror_root / bucket).as_uri()
    if "--enable-glue-datacatalog" in arguments:
        # "It also enables Hive support in the SparkSession object created in the AWS Glue job":
        # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-data-catalog-hive.html
        # The metastore (Derby, under derby.system.home) and Hive's scratch folders stay in the run's folder.
        conf["spark.sql.catalogImplementation"] = "hive"
        conf["spark.hadoop.hive.exec.scratchdir"] = str(workdir / "hive-scratch")
        conf["spark.hadoop.hive.exec.local.scratchdir"] = str(workdir / "hive-local")
        conf["spark.hadoop.hive.downloaded.resources.dir"] = str(workdir / "hive-resources")
    if jars:
        conf["spark.jars"] = ",".join(str(j) for j in jars)
        if arguments.get("--user-jars-first", "").lower() == "true":
            conf["spark.driver.userClassPathFirst"] = "true"
    for key, value in conf_pairs(arguments.get("--conf", "")).items():
        # The job's own JVM options come after the run's, so a job that sets the same option wins.
        conf[key] = f"{conf[key]} {value}" if key.endswith(".extraJavaOptions") and key in conf else value
    return conf


def run_tmp_dir(workdir: Path) -> Path:
    """The temporary folder of a Spark run's processes (``TMPDIR``, ``java.io.tmpdir``): in its folder.

    :param workdir: the run's working folder.
    """
    return workdir / "tmp"


def write_conf_dir(conf_dir: Path, conf: dict[str, str]) -> None:
    """Write ``spark-defaults.conf`` and a log4j2 configuration (driver log to stderr) into ``conf_dir``.

    :param conf_dir: the run's SPARK_CONF_DIR.
    :param conf: the Spark properties.
    """
    conf_dir.mkdir(parents=True, exist_ok=True)
    (conf_dir / "spark-defaults.conf").write_text("".join(f"{k} {v}\n" for k, v in conf.items()))
    (conf_dir / "log4j2.properties").write_text(
        "rootLogger.level = warn\n"
        "rootLogger.appenderRef.stderr.ref = console\n"
        "appender.console.type = Console\n"
        "appender.console.name = console\n"
        "appender.console.target = SYSTEM_ERR\n"
        "appender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex\n"
    )


@dataclass
class SparkLaunch:
    """A prepared Spark run.

    :param env: extra environment variables for the script.
    :param conf: its Spark properties (``spark-defaults.conf``).
    :param finish: call once the script has ended (writes S3 changes back, keeps the bookmark).
    """

    env: dict[str, str]
    conf: dict[str, str]
    finish: Callable[[], None]


def prepare(
    s3: Any,
    workdir: Path,
    arguments: dict[str, str],
    jars: list[Path],
    java: str,
    python: Path,
    bookmarks: BookmarkStore,
    bookmark_key: tuple[str, str],
    run_id: str,
) -> SparkLaunch:
    """Copy the buckets in, write the Spark configuration and bookmark; return the env and the finish step.

    :param s3: an S3 client of the local endpoint.
    :param workdir: the run's working folder.
    :param arguments: the run's merged arguments.
    :param jars: downloaded ``--extra-jars``.
    :param java: the java executable.
    :param python: the job environment's interpreter (also Spark's worker Python).
    :param bookmarks: the server's bookmark store.
    :param bookmark_key: (region, job name).
    :param run_id: the run id.
    :raises SparkRunError: an object that cannot be mapped to a file.
    """
    mirror = BucketMirror(s3, workdir / "s3")
    try:
        buckets = mirror.pull()
    except MirrorError as err:
        raise SparkRunError(str(err)) from None
    conf = spark_defaults(workdir, mirror.root, buckets, arguments, jars)
    write_conf_dir(workdir / "spark-conf", conf)
    run_tmp_dir(workdir).mkdir(parents=True, exist_ok=True)
    bookmarks.write_state(bookmark_key, workdir / "bookmark-in.json")

    def finish() -> None:
        try:
            mirror.push()
        finally:
            bookmarks.commit(bookmark_key, workdir / "bookmark-out.json", run_id)
            mirror.remove()

    return SparkLaunch(spark_env(workdir, java, python), conf, finish)


def spark_env(workdir: Path, java: str, python: Path) -> dict[str, str]:
    """What a Spark run's processes get in their environment beyond a Python-shell run's.

    :param workdir: the run's working folder.
    :param java: the java executable.
    :param python: the job environment's interpreter (also Spark's worker Python).
    """
    return {
        "SPARK_CONF_DIR": str(workdir / "spark-conf"),
        "JAVA_HOME": str(Path(os.path.realpath(java)).parent.parent),
        "PYSPARK_PYTHON": str(python),
        "PYSPARK_DRIVER_PYTHON": str(python),
        "SPARK_LOCAL_IP": "127.0.0.1",
        # Spark's scratch space (shuffle, spills) inside the run's folder.
        "SPARK_LOCAL_DIRS": str(workdir / "spark-tmp"),
        # The Python side's temporary files (pyspark's gateway, the job's tempfile use) and the launcher's.
        "TMPDIR": str(run_tmp_dir(workdir)),
        "SPARK_LAUNCHER_OPTS": f"-Djava.io.tmpdir={run_tmp_dir(workdir)} -XX:-UsePerfData",
        "GLUE_LOCAL_BOOKMARK_IN": str(workdir / "bookmark-in.json"),
        "GLUE_LOCAL_BOOKMARK_OUT": str(workdir / "bookmark-out.json"),
    }


class TeeWriter:
    """Writes each line to several log streams (a Spark run's stream and its continuous-logging stream)."""

    def __init__(self, *writers: Any) -> None:
        self._writers = writers

    def open(self) -> None:
        for writer in self._writers:
            writer.open()

    def write(self, message: str) -> None:
        for writer in self._writers:
            writer.write(message)


def continuous_writers(
    logs: Any, arguments: dict[str, str], run_id: str, out: Any, err: Any
) -> tuple[Any, Any]:
    """With ``--enable-continuous-cloudwatch-log true``, the output and error writers also write to
    ``/aws-glue/jobs/logs-v2`` (or ``--continuous-log-logGroup``), stream = run id (the driver's).

    :param logs: a CloudWatch Logs client of the local endpoint.
    :param arguments: the run's merged arguments.
    :param run_id: the run id.
    :param out: the output writer.
    :param err: the error writer.
    """
    if arguments.get("--enable-continuous-cloudwatch-log", "").lower() != "true":
        return out, err
    from glue_flow_local.logs.streams import LogStreamWriter

    driver = LogStreamWriter(logs, arguments.get("--continuous-log-logGroup") or CONTINUOUS_LOG_GROUP, run_id)
    driver.open()
    return TeeWriter(out, driver), TeeWriter(err, driver)
