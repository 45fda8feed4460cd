"""The local Glue's HTTP responses are well-formed for strict clients."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("service", ["glue", "s3", "logs"])
def test_a_response_has_one_server_header(
    service: str, glue_client: Any, s3_client: Any, logs_client: Any
) -> None:
    # RFC 9110 section 10.2.4 defines Server as one field value; botocore joins repeated headers with
    # ", ", so one header means no comma. A second one (the HTTP server's own) made aiohttp's strict
    # parser refuse the response.
    calls = {
        "glue": lambda: glue_client.get_jobs(),
        "s3": lambda: s3_client.list_buckets(),
        "logs": lambda: logs_client.describe_log_groups(),
    }

    headers = calls[service]()["ResponseMetadata"]["HTTPHeaders"]

    assert "," not in headers["server"] and "Werkzeug" not in headers["server"], headers
    assert headers["date"]
