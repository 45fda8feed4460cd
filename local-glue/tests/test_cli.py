"""The ``glue-flow-local`` command: ``serve`` prints the endpoint URL first and listens before any service's
machinery is loaded; ``warm`` and ``python -m glue_flow_local`` are the same command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glue_flow_local.clients import local_client

SCRIPT = Path(sys.executable).parent / "glue-flow-local"
#: What a service's first request loads: moto (every service), boto3, the crawl readers.
HEAVY = ("moto", "boto3", "botocore", "pyarrow", "fastavro", "werkzeug_app")


def _loaded(modules: list[str]) -> list[str]:
    return sorted({name for name in modules for heavy in HEAVY if name.split(".")[0] == heavy})


def test_the_server_listens_before_loading_moto_boto3_or_the_crawl_readers() -> None:
    # The start-up that prints the URL imports none of a service's machinery: it loads on first use.
    probe = """
import json, sys
from glue_flow_local.server import LocalGlueServer
server = LocalGlueServer()
before = list(sys.modules)
server.start()
from glue_flow_local.clients import local_client
local_client(server.endpoint_url, "s3", "us-east-1").list_buckets()
after = list(sys.modules)
server.stop()
print(json.dumps([before, after]))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    before, after = json.loads(out.stdout.splitlines()[-1])

    assert _loaded(before) == []
    # The first S3 request loaded moto; the crawl readers wait for the first crawl.
    assert "moto" in _loaded(after) and "pyarrow" not in _loaded(after)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [[str(SCRIPT)], [sys.executable, "-m", "glue_flow_local"]], ids=["script", "module"]
)
def test_serve_prints_its_url_first_and_answers(command: list[str], tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*command, "serve", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert local_client(url, "glue", "us-east-1").get_databases()["DatabaseList"] == []
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_help_names_both_subcommands() -> None:
    serve = subprocess.run([str(SCRIPT), "serve", "--help"], capture_output=True, text=True, check=True)
    warm = subprocess.run([str(SCRIPT), "warm", "--help"], capture_output=True, text=True, check=True)

    assert serve.stdout.startswith("usage: glue-flow-local serve")
    for flag in (
        "--host",
        "--port",
        "--state-dir",
        "--min-crawl-seconds",
        "--allow-origin",
        "--exit-with-parent",
    ):
        assert flag in serve.stdout
    assert "glue-flow-local warm" in serve.stdout
    assert warm.stdout.startswith("usage: glue-flow-local warm")
