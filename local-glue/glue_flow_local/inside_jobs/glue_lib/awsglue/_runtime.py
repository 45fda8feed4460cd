"""What a Spark job's GlueVersion declares, and the note a local run writes when it runs on another Spark
or Python.

AWS's Glue versions page: Glue 4.0 is Spark 3.3 and Python 3.10, Glue 5.0 Spark 3.5 and Python 3.11
(https://docs.aws.amazon.com/glue/latest/dg/release-notes.html). The local Glue runs both on the one
Spark release it has installed, with the installed Python closest to the declared one; a job whose code
depends on the difference would otherwise differ silently, so the run's driver log says it first.
"""

from __future__ import annotations

import os
import sys

#: GlueVersion -> (Spark release line, Python version) as AWS declares them.
DECLARED = {"4.0": ("3.3", (3, 10)), "5.0": ("3.5", (3, 11))}
#: The environment variable that carries the run's GlueVersion into the job.
GLUE_VERSION_ENV = "GLUE_LOCAL_GLUE_VERSION"
_written = False


def runtime_note(glue_version: str, spark_version: str, python: tuple[int, int]) -> str | None:
    """The note for a run of ``glue_version`` on ``spark_version`` and ``python``, or None when they are
    the declared ones (or the version is unknown).

    :param glue_version: the job's GlueVersion.
    :param spark_version: the Spark release the run uses, e.g. ``3.5.9``.
    :param python: the run's Python (major, minor).
    """
    if glue_version not in DECLARED:
        return None
    spark_line, declared_python = DECLARED[glue_version]
    same_spark = spark_version == spark_line or spark_version.startswith(f"{spark_line}.")
    if same_spark and python == declared_python:
        return None
    return (
        f"GlueVersion {glue_version} declares Spark {spark_line} and Python {declared_python[0]}."
        f"{declared_python[1]}; this local run uses Spark {spark_version} and Python {python[0]}.{python[1]}"
    )


def write_note(spark_version: str) -> None:
    """Write the run's note, once, to the driver log (standard error), when there is one.

    :param spark_version: the Spark release the run uses.
    """
    global _written
    note = runtime_note(os.environ.get(GLUE_VERSION_ENV, ""), spark_version, sys.version_info[:2])
    if note and not _written:
        _written = True
        print(note, file=sys.stderr, flush=True)
