"""One local Spark session for the awsglue library's unit tests (starting Spark costs seconds).

The session and the importable awsglue last while this folder's tests run, not the whole test session.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from glue_flow_local.glue.jobs.args import GLUE_LIB as glue_lib_folder

#: The job-side awsglue package that Spark jobs in the local Glue import.
GLUE_LIB = str(glue_lib_folder)


@contextmanager
def awsglue_importable() -> Iterator[None]:
    """Make ``awsglue`` importable here and in Spark's Python workers, then undo it all on exit.

    The Python path, ``PYTHONPATH`` and the imported ``awsglue`` modules are restored, so the tests
    after these ones see the environment they would have seen without them.
    """
    path, previous = list(sys.path), os.environ.get("PYTHONPATH")
    imported = {name: module for name, module in sys.modules.items() if _is_awsglue(name)}
    sys.path.insert(0, GLUE_LIB)
    # Spark's Python workers import awsglue too (Map and Filter records): they inherit this environment.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [GLUE_LIB, previous]))
    try:
        yield
    finally:
        sys.path[:] = path
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous
        for name in [name for name in sys.modules if _is_awsglue(name)]:
            del sys.modules[name]
        sys.modules.update(imported)


def _is_awsglue(module_name: str) -> bool:
    return module_name.partition(".")[0] == "awsglue"


@pytest.fixture(scope="package")
def glue_context() -> Iterator[object]:
    """A GlueContext on a local Spark session, shared by this folder's tests, which alone see awsglue."""
    if os.environ.get("CI"):  # CI installs Java and the [spark] extra: missing there is a failure
        import pyspark  # noqa: F401

        assert shutil.which("java"), "Java is not installed (scripts/dev.py installs it)"
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    with awsglue_importable():
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[1]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .getOrCreate()
        )
        try:
            spark.sparkContext.setLogLevel("ERROR")
            # py4j logs at INFO from finalizers at interpreter exit, after pytest closed the captured streams.
            logging.getLogger("py4j").setLevel(logging.WARNING)
            yield GlueContext(spark.sparkContext)
        finally:
            from pyspark import SparkContext

            gateway = SparkContext._gateway
            spark.stop()
            if gateway is not None:
                # The JVM outlives SparkSession.stop() (holding ~500 MB for the rest of the test session)
                # until the pipe to its stdin closes.
                gateway.shutdown()
                gateway.proc.stdin.close()
                gateway.proc.wait(timeout=60)
                SparkContext._gateway = SparkContext._jvm = None
