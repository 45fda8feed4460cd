"""What the local Glue's tests share beyond :mod:`glue_flow_local.testing`: the seed data and scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glue_flow_local import testing
from glue_flow_local.pytest_plugin import require_spark  # noqa: F401
from glue_flow_local.testing import (  # noqa: F401  # the tests import the helpers from one place
    CRAWL_DONE,
    JOB_DONE,
    MIN_CRAWL_SECONDS,
    SLEEPING_SCRIPT,
    TIMEOUT_UNIT_SECONDS,
    create_python_job,
    create_spark_job,
    log_messages,
    process_gone,
    wait_for_crawl,
    wait_for_run,
)

#: The tests' data files.
DATA = Path(__file__).resolve().parent / "data"
#: The seed's 19-row CSV (UTF-8), as the repository's DAGs land it.
SEED_CSV_PATH = DATA / "csvlog.csv"
#: The seed's Spark job script, word for word.
SEED_SPARK_SCRIPT = DATA / "se2_job0.py"
#: The catalog columns Glue's built-in CSV classifier gives the seed CSV.
SEED_COLUMNS = [
    ("deviceid", "string"),
    ("uuid", "bigint"),
    ("appid", "bigint"),
    ("country", "string"),
    ("year", "bigint"),
    ("month", "bigint"),
    ("day", "bigint"),
    ("hour", "bigint"),
]


def crawl_csv(glue: Any, s3: Any, bucket: str, *, body: bytes | None = None, **kwargs: Any) -> dict[str, Any]:
    """:func:`glue_flow_local.testing.crawl_csv` with the seed's 19 rows as the default CSV."""
    return testing.crawl_csv(
        glue, s3, bucket, body=SEED_CSV_PATH.read_bytes() if body is None else body, **kwargs
    )
