"""Read botocore errors and turn a failed Glue call into an error that names what it was about."""

from __future__ import annotations

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
