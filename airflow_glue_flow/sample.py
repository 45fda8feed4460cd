"""``glue-flow sample upload``: land the sample CSV where ``glue_etl_flow`` looks for new files.

The sample has the seed's columns and 19 rows, with the country names in Japanese, and is uploaded
encoded in CP932 (by default), so the flow's CP932 -> UTF-8 conversion has something visible to do.
The same command lands it in the local Glue (``--endpoint-url``) or in AWS (the Airflow connection or
boto3's usual credentials).
"""

from __future__ import annotations

import argparse
import importlib.resources
from pathlib import Path
from typing import Any

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


def s3_client(endpoint_url: str | None, conn_id: str | None, region: str | None) -> Any:
    """A boto3 S3 client: the local Glue at ``endpoint_url``, else the Airflow connection ``conn_id``.

    Without that connection the amazon provider's hook falls back to boto3's credential chain.
    """
    if endpoint_url:
        from glue_flow_local.clients import local_client

        return local_client(endpoint_url, "s3", region or "us-east-1")
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=conn_id, region_name=region).get_conn()


def ensure_bucket(s3: Any, bucket: str) -> bool:
    """Create ``bucket`` unless it exists (a fresh local Glue has none); True when it was created."""
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
    region = s3.meta.region_name
    # S3 refuses a LocationConstraint of us-east-1 and needs one everywhere else.
    location = (
        {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    return True


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


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a ``glue-flow`` command acts: the local Glue (``--endpoint-url``) or AWS (``--conn-id``)."""
    parser.add_argument(
        "--endpoint-url", default=None, help="the local Glue's URL, e.g. http://localhost:4566 (default: AWS)"
    )
    parser.add_argument(
        "--conn-id", default="aws_default", help="Airflow AWS connection used without --endpoint-url"
    )
    parser.add_argument("--region", default=None, help="AWS region (default: the connection's)")


def run(args: argparse.Namespace) -> int:
    """Upload the sample as the options say and print where it went."""
    body = sample_text(args.file).encode(args.encoding)
    s3 = s3_client(args.endpoint_url, args.conn_id, args.region)
    if ensure_bucket(s3, args.bucket):
        print(f"created bucket {args.bucket}")
    uri = upload(s3, args.bucket, args.prefix, body, args.name)
    print(f"uploaded {len(body)} bytes ({args.encoding}) to {uri}")
    return 0
