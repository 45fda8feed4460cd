"""A warm Spark driver: one Spark run's driver process, started before its run.

Run as ``python -u warm.py FD READY_FD`` in the run's folder with the run's environment (the local Glue starts it
under the run's supervisor, as it starts a cold run's ``python -u script.py ...``). It starts Spark's JVM
and a SparkContext from the folder's ``spark-defaults.conf``, as the script's ``SparkContext()`` would,
writes one byte to READY_FD, then waits on file descriptor FD for its run: a JSON object with ``argv`` (the script and its arguments)
and ``conf`` (the Spark properties of the run that the warm Spark was started without: the run's bucket
mapping, Hive support). It then runs the script in this process, as ``python -u script.py ARGS`` runs it,
and exits with its status. The process serves one run: nothing of a run can reach another.

The script's first ``SparkContext(...)`` gets the prepared context when it asks for the same settings a
cold run's would have; with other settings (an app name, ``--conf`` set in code) the prepared context is
stopped and a new one starts with the script's settings, in the already running JVM.

Standard library and pyspark only: it runs in the job's environment, never in the server.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import shutil
import signal
import sys
import tempfile
from typing import Any


def _wait_for_run(fd: int) -> dict[str, Any] | None:
    with os.fdopen(fd, "rb") as channel:
        data = channel.read()
    return json.loads(data) if data else None  # nothing: the local Glue discarded this process


def _prepare() -> tuple[Any, dict[str, str]]:
    """Start the JVM and a SparkContext as ``SparkContext()`` does; return it and the settings it got."""
    from pyspark.conf import SparkConf
    from pyspark.context import DEFAULT_CONFIGS, SparkContext

    # Modules a Spark script imports anyway: importing them holds no state of a run.
    importlib.import_module("pyspark.sql")
    SparkContext._ensure_initialized()
    jvm = SparkContext._jvm
    assert jvm is not None
    conf = SparkConf(_jvm=jvm)  # spark-defaults.conf, as spark-submit gave it to the JVM
    for key, value in DEFAULT_CONFIGS.items():
        conf.setIfMissing(key, value)
    wanted = dict(conf.getAll())
    _exercise(conf)
    # The exercise's context printed Spark's start-up warnings once, as a cold run's does; the run's own
    # context must not print them a second time.
    log4j = jvm.org.apache.logging.log4j
    level = log4j.LogManager.getLogger("org.apache.spark.SparkConf").getLevel()
    log4j.core.config.Configurator.setLevel("org.apache.spark.SparkConf", log4j.Level.ERROR)
    try:
        return jvm.JavaSparkContext(conf._jconf), wanted
    finally:
        log4j.core.config.Configurator.setLevel("org.apache.spark.SparkConf", level)


def _exercise(conf: Any) -> None:
    """Run a small job of the kinds Glue scripts run (CSV and Parquet files, a shuffle, Python rows) on a
    SparkContext of its own, then stop it: the JVM has loaded and compiled what a run's first jobs need,
    and the run still gets a SparkContext (and session, views, tables) nothing ran on."""
    from pyspark.conf import SparkConf
    from pyspark.context import SparkContext
    from pyspark.sql import SparkSession

    before = (list(sys.path), dict(os.environ), signal.getsignal(signal.SIGINT))
    folder = tempfile.mkdtemp(prefix="warm-up-")
    spark = None
    try:
        spark = SparkSession(SparkContext(conf=SparkConf(loadDefaults=False).setAll(conf.getAll())))
        rows = spark.createDataFrame([(i % 3, str(i)) for i in range(30)], ["k", "v"])
        rows.write.csv(os.path.join(folder, "csv"), header=True)
        read = spark.read.csv(os.path.join(folder, "csv"), header=True, inferSchema=True)
        read.groupBy("k").count().write.parquet(os.path.join(folder, "parquet"))
        spark.read.parquet(os.path.join(folder, "parquet")).rdd.map(lambda row: row[0]).collect()
    except Exception:  # noqa: BLE001 - without the exercise the run is only slower
        pass
    finally:
        if spark is not None:
            spark.stop()  # also forgets it as the active and default session, in Python and in the JVM
        elif SparkContext._active_spark_context is not None:
            SparkContext._active_spark_context.stop()
        shutil.rmtree(folder, ignore_errors=True)
        sys.path[:], environ, handler = before
        os.environ.clear()
        os.environ.update(environ)
        signal.signal(signal.SIGINT, handler)


def _give_to_script(jsc: Any, wanted: dict[str, str], run_conf: dict[str, str]) -> None:
    """Add the run's own settings, then hand the context to the script's first ``SparkContext(...)``."""
    from pyspark.conf import SparkConf
    from pyspark.context import SparkContext

    jvm = SparkContext._jvm
    assert jvm is not None
    for key, value in run_conf.items():
        # A SparkConf() the script makes reads them from the JVM's system properties, as in a cold run.
        jvm.java.lang.System.setProperty(key, value)
        jsc.sc().conf().set(key, value)
        if key.startswith("spark.hadoop."):
            jsc.hadoopConfiguration().set(key[len("spark.hadoop.") :], value)
        wanted[key] = value
    original = SparkContext._initialize_context

    def initialize_context(self: SparkContext, jconf: Any) -> Any:
        SparkContext._initialize_context = original  # type: ignore[method-assign]
        if dict(SparkConf(_jconf=jconf).getAll()) == wanted:
            return jsc
        jsc.stop()
        return original(self, jconf)

    SparkContext._initialize_context = initialize_context  # type: ignore[method-assign]


def _run_script(argv: list[str]) -> int:
    """Run the script as ``python -u script.py ARGS`` does; return its exit status."""
    script = argv[0]
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(script)  # the script's folder, not this one
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as err:  # noqa: BLE001 - reported as Python reports an uncaught exception
        # The traceback starts at the script, as a cold run's does.
        trace = err.__traceback__
        while trace is not None and trace.tb_frame.f_code.co_filename != script:
            trace = trace.tb_next
        sys.excepthook(type(err), err, trace or err.__traceback__)
        return 1
    return 0


def main(fd: int, ready_fd: int) -> int:
    jsc, wanted = _prepare()
    os.write(ready_fd, b"1")
    os.close(ready_fd)
    run = _wait_for_run(fd)
    if run is None:
        return 0
    _give_to_script(jsc, wanted, run["conf"])
    return _run_script(run["argv"])


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
