"""The local Glue's tests: an AWS environment of their own, and the server fixtures of the package's plugin.

They import neither Airflow nor the provider: ``cd local-glue && pytest`` runs them where only
``glue-flow-local`` (with its ``test`` extra) is installed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from pathlib import Path

# Keep boto3 away from any real credentials or config on the machine; sign with the local Glue's defaults.
_HOME = Path(tempfile.mkdtemp(prefix="glue-flow-local-tests-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.setdefault("AWS_CONFIG_FILE", str(_HOME / "aws-config"))
os.environ.setdefault("AWS_SHARED_CREDENTIALS_FILE", str(_HOME / "aws-credentials"))
# A run stopped with SIGTERM ends as Ctrl-C does: fixtures tear down, so the server stops and its folder goes.
signal.signal(signal.SIGTERM, signal.default_int_handler)

pytest_plugins = ["glue_flow_local.pytest_plugin"]
