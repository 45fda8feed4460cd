"""botocore's side of every AWS call: its retry mode for throttling, and its errors turned into ours."""

from __future__ import annotations

import os
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.exceptions import GlueApiCallError


def error_code(error: ClientError) -> str:
    """Return the AWS error code of a botocore ``ClientError``."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    """Return AWS's own message of a botocore ``ClientError``."""
    return str(error.response.get("Error", {}).get("Message", "") or error)


def api_call_error(
    resource: str, name: str, operation: str, error: ClientError | BotoCoreError, run_id: str = ""
) -> GlueApiCallError:
    """Describe a Glue call that failed after botocore's retries.

    :param resource: ``"crawler"`` or ``"job"``.
    :param name: the crawler's or job's name.
    :param operation: the Glue API operation, e.g. ``"GetJobRun"``.
    :param error: what botocore raised.
    :param run_id: the job run, when the call was about one.
    """
    if isinstance(error, ClientError):
        return GlueApiCallError(resource, name, operation, error_code(error), error_message(error), run_id)
    # No AWS error code: the request never got an answer (connection, timeout, credentials).
    return GlueApiCallError(resource, name, operation, type(error).__name__, str(error), run_id)


class StandardRetriesMixin:
    """Give an amazon-provider hook botocore's ``standard`` retry mode unless a retry mode is chosen.

    botocore retries throttling and transient errors itself, with the error codes it knows for every
    service; ``standard`` mode adds exponential backoff with jitter and a retry quota
    (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html). A mode set in the
    hook's ``botocore_config``, the connection's ``config_kwargs`` or ``AWS_RETRY_MODE`` (e.g.
    ``adaptive``, which also rate-limits the client) wins.
    """

    @property
    def config(self) -> Config:
        """The botocore client config: the hook's or connection's, with ``standard`` retries by default."""
        # The hook class this mixin comes before in the MRO has ``config``; mypy sees only ``object`` here.
        config: Config = super().config  # type: ignore[misc]
        retries: dict[str, Any] = dict(config.retries or {})
        if "mode" in retries or os.environ.get("AWS_RETRY_MODE"):
            return config
        return config.merge(Config(retries={**retries, "mode": "standard"}))
