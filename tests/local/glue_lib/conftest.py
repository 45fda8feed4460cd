"""One local Spark session for the awsglue library's unit tests (starting Spark costs seconds)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
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
    spark.stop()
    sys.path.remove(lib)
    if previous is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = previous
