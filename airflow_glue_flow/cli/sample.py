"""``glue-flow sample upload``: land the sample CSV where ``glue_etl_flow`` looks for new files.

The sample has the seed's columns and 19 rows, with the country names in Japanese, and is uploaded
encoded in CP932 (by default), so the flow's CP932 -> UTF-8 conversion has something visible to do.
The same command lands it in the local Glue (``--endpoint-url``) or in AWS (the Airflow connection or
boto3's usual credentials), through the amazon provider's S3 hook either way.
"""

from __future__ import annotations

import argparse
import importlib.resources
from pathlib import Path
from typing import Any

from airflow_glue_flow.cli.target import add_target_arguments, aws_hook_arguments

#: The packaged sample (UTF-8 in the package; re-encoded on upload).
SAMPLE_NAME = "csvlog_ja.csv"
#: glue_etl_flow's default ``bucket`` and ``raw_prefix`` params.
DEFAULT_BUCKET = "glue-flow-demo"
DEFAULT_PREFIX = "se2/raw/in0/"


def sample_text(path: Path | None = None) -> str:
    """The sample CSV as text: ``path`` (UTF-8) or the packaged sample."""
    if path is not None:
        return path.read_text(encoding="utf-8")
    return (importlib.resources.files("airflow_glue_flow") / "sample_data" / SAMPLE_NAME).read_text(
        encoding="utf-8"
    )


def upload(s3: Any, bucket: str, prefix: str, body: bytes, name: str = "csvlog.csv") -> str:
    """Put ``body`` at ``prefix + name`` in ``bucket``; returns the object's ``s3://`` URI.

    :raises ValueError: ``prefix`` does not name a folder (it must end with ``/``).
    """
    if prefix and not prefix.endswith("/"):
        raise ValueError(f"--prefix {prefix!r} must name a folder and end with '/'")
    key = f"{prefix}{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``glue-flow sample upload``."""
    parser.add_argument(
        "--bucket", default=DEFAULT_BUCKET, help="bucket (default %(default)s; created if missing)"
    )
    parser.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        help="folder where the flow looks for new files (default %(default)s)",
    )
    parser.add_argument(
        "--name", default="csvlog.csv", help="object name under the prefix (default %(default)s)"
    )
    parser.add_argument(
        "--encoding", default="cp932", help="encoding of the uploaded bytes (default %(default)s)"
    )
    parser.add_argument("--file", type=Path, default=None, help="a UTF-8 CSV to upload instead of the sample")
    add_target_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Upload the sample as the options say and print where it went."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from airflow_glue_flow.hooks.s3_events import ensure_bucket

    body = sample_text(args.file).encode(args.encoding)
    with aws_hook_arguments(args) as hook_arguments:
        s3 = S3Hook(**hook_arguments).get_conn()
        if ensure_bucket(s3, args.bucket):
            print(f"created bucket {args.bucket}")
        uri = upload(s3, args.bucket, args.prefix, body, args.name)
    print(f"uploaded {len(body)} bytes ({args.encoding}) to {uri}")
    return 0
