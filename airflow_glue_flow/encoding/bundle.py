"""Zips for a Glue job's ``--extra-py-files``: a package's sources and its parents' ``__init__.py``.

Glue puts each ``--extra-py-files`` archive on the job's ``sys.path``, so the job script imports
``airflow_glue_flow.encoding`` from it as it would from an installed copy
(https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html).
The zip holds sources only (no ``__pycache__``) and fixed timestamps, so the same code always gives the
same bytes and a deploy uploads it only when the code changed.
"""

from __future__ import annotations

import importlib
import io
import zipfile
from pathlib import Path

#: The package the encoding job imports, and the file name its zip is uploaded under.
JOB_PACKAGE = "airflow_glue_flow.encoding"
JOB_ZIP_NAME = "airflow_glue_flow_encoding.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def package_zip(name: str) -> bytes:
    """Zip the importable package ``name`` (its ``*.py``, not subpackages) with its parents' ``__init__.py``.

    ``package_zip("airflow_glue_flow.encoding")`` holds ``airflow_glue_flow/__init__.py`` and
    ``airflow_glue_flow/encoding/*.py``.
    """
    module_file = importlib.import_module(name).__file__
    if module_file is None:
        raise ValueError(f"{name} is a namespace package: it has no files of its own to zip")
    folder = Path(module_file).parent
    parts = name.split(".")
    base = folder.parents[len(parts) - 1]  # the folder that holds the top-level package
    parents = [folder.parents[i] / "__init__.py" for i in range(len(parts) - 2, -1, -1)]
    files = [*parents, *sorted(folder.glob("*.py"))]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(base).as_posix(), date_time=_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def job_zip() -> bytes:
    """The encoding job's ``--extra-py-files`` zip."""
    return package_zip(JOB_PACKAGE)


def write_job_zip(path: str | Path) -> Path:
    """Write :func:`job_zip` to ``path`` (for ``aws s3 cp``) and return the path."""
    target = Path(path)
    target.write_bytes(job_zip())
    return target


if __name__ == "__main__":  # python -m airflow_glue_flow.encoding.bundle out.zip
    import sys

    print(write_job_zip(sys.argv[1] if len(sys.argv) > 1 else JOB_ZIP_NAME))
