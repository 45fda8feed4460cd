"""GetFunction's ``Code.Location``: a presigned URL of the function's deployment package, as AWS gives one.
https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import zipfile
from typing import Any

import pytest

from glue_flow_local.testing import LocalGlue
from test_stepfunctions.support import create_function

SOURCE = "def lambda_handler(event, context):\n    return event\n"


def test_code_location_downloads_the_package_and_only_signed(local_glue: LocalGlue, unique: Any) -> None:
    lam, iam = local_glue.client("lambda"), local_glue.client("iam")
    name = unique("echo")
    create_function(lam, iam, name, SOURCE)
    location = lam.get_function(FunctionName=name)["Code"]["Location"]
    with urllib.request.urlopen(location, timeout=30) as reply:
        archive = zipfile.ZipFile(io.BytesIO(reply.read()))
    assert archive.read("lambda_function.py").decode() == SOURCE
    # Without its signature the URL is refused, as any unsigned request.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(location.split("?")[0], timeout=30)
    assert refused.value.code == 403
