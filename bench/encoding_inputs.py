"""The inputs of bench_encoding.py: its generated CP932 CSVs, the local Glue whose S3 it converts through,
and the seed's own conversion loop that it measures against."""

from __future__ import annotations

import random
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from airflow_glue_flow.encoding import s3_client_config


def kanji_pool() -> list[str]:
    # Characters iconv's CP932 and Python's cp932 map the same way (JIS X 0208 kana and kanji).
    pool = []
    for cp in [*range(0x3041, 0x3094), *range(0x30A1, 0x30F7), *range(0x4E00, 0x9FA0)]:
        try:
            chr(cp).encode("cp932")
            pool.append(chr(cp))
        except UnicodeEncodeError:
            pass
    return pool


def make_csv(path: Path, megabytes: int) -> Path:
    """A CP932 CSV of realistic rows (ids, Japanese names and addresses, numbers, dates, CRLF)."""
    if path.exists() and path.stat().st_size >= megabytes * 1_000_000:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(42)
    pool = kanji_pool()
    rows = []
    for i in range(20_000):
        name = "".join(rnd.choices(pool, k=rnd.randint(3, 8)))
        addr = "".join(rnd.choices(pool, k=rnd.randint(8, 20)))
        rows.append(
            f"{i},{name},{addr},{rnd.randint(0, 10**6)},{rnd.random():.4f},2024-01-{i % 28 + 1:02d}\r\n"
        )
    block = ("id,氏名,住所,金額,率,日付\r\n" + "".join(rows)).encode("cp932")
    with open(path, "wb") as out:
        written = 0
        while written < megabytes * 1_000_000:
            out.write(block)
            written += len(block)
    return path


class LocalS3:
    """The local Glue in its own process (its memory and CPU are not the client's); its S3 honours
    S3's conditional requests, so the conversion runs its full path, deletes included."""

    def __init__(self) -> None:
        from glue_flow_local import LocalGlueProcess

        self._state = tempfile.mkdtemp(prefix="bench-local-glue-")
        self._glue = LocalGlueProcess.start(state_dir=self._state)
        self.endpoint = self._glue.endpoint_url

    def client(self, max_workers: int = 8) -> Any:
        import boto3

        return boto3.client(
            "s3", region_name="us-east-1", endpoint_url=self.endpoint, config=s3_client_config(max_workers)
        )

    def stop(self) -> None:
        self._glue.stop()
        shutil.rmtree(self._state, ignore_errors=True)


def seed_job(
    bucket_name: str, bucket_path: str, bucket_path_decode: str, bucket_path_org: str, lang: str
) -> None:
    """The seed's Glue Python-shell loop, unchanged apart from taking its arguments as parameters."""
    import logging

    import boto3

    s3 = boto3.resource("s3")
    bucket = s3.Bucket(bucket_name)
    for objects in bucket.objects.filter(Prefix=bucket_path):
        if objects.key != bucket_path:
            logging.info(objects.key)
            src_obj = s3.Object(bucket.name, objects.key)
            obj_file_name = str(re.sub(bucket_path, "", objects.key))
            logging.info("get " + str(src_obj))
            body = src_obj.get()["Body"].read().decode(lang)
            dest_obj = s3.Object(bucket.name, bucket_path_decode + obj_file_name)
            logging.info("upload " + str(dest_obj))
            dest_obj.put(Body=body)
            copy_source = {"Bucket": bucket.name, "Key": src_obj.key}
            s3.meta.client.copy(copy_source, bucket.name, bucket_path_org + obj_file_name)
            del_obj = s3.Object(bucket.name, src_obj.key)
            del_obj.delete()
        else:
            if not objects:
                logging.info("S3 FILE NOT FOUND" + objects.key)
                exit(1)
            else:
                logging.info("SKIP " + objects.key)
