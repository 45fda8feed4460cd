"""One local Spark session for the awsglue library's unit tests (starting Spark costs seconds), shared by
this package's tests and stopped after them."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="package")
def glue_context() -> Iterator[object]:
    """A GlueContext on a local Spark session, with the job-side awsglue package importable."""
    if os.environ.get("CI"):  # CI installs Java and the [spark] extra: missing there is a failure
        import pyspark  # noqa: F401

        assert shutil.which("java"), "Java is not installed (scripts/dev.py installs it)"
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    lib = str(Path(__file__).resolve().parents[3] / "airflow_glue_flow" / "local" / "glue_lib")
    sys.path.insert(0, lib)
    # Spark's Python workers import awsglue too (Map and Filter records): they inherit this environment.
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [lib, previous]))
    from awsglue.context import GlueContext  # type: ignore[import-not-found]
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # py4j logs at INFO from finalizers at interpreter exit, after pytest closed the captured streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    yield GlueContext(spark.sparkContext)
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    spark.stop()
    if gateway is not None:
        # The JVM outlives SparkSession.stop() (it holds ~500 MB for the rest of the session) until the
        # pipe to its stdin closes.
        gateway.shutdown()
        gateway.proc.stdin.close()
        gateway.proc.wait(timeout=60)
        SparkContext._gateway = SparkContext._jvm = None
    # Nothing of awsglue stays importable for the tests that follow (it must never be, outside a job).
    sys.path.remove(lib)
    for name in [m for m in sys.modules if m == "awsglue" or m.startswith("awsglue.")]:
        del sys.modules[name]
    if previous is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = previous
