"""Record every AWS call that the package and its DAGs make during the test session.

botocore's ``before-parameter-build`` event fires for every API call of every client, sync and async,
with the operation model and the call's parameters. A handler registered on each new botocore session keeps
the calls whose stack passes through the package (not the local Glue, which stands in for AWS) or a
DAG file, so ``tests/test_iam_policy.py`` can check each one against ``iam/glue-flow-policy.json``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import pytest

_ROOT = Path(__file__).resolve().parent.parent.parent
#: The provider's modules, by module name: the local Glue (which stands in for AWS) is a package of its own.
_PACKAGE = "airflow_glue_flow"
_DAGS = str(_ROOT / "dags") + "/"
#: Code of other packages whose calls are the DAGs' own: glue_etl_event_flow's AssetWatcher runs the
#: amazon provider's SQS trigger in the triggerer (ReceiveMessage, DeleteMessageBatch on its queue).
_RUN_FOR_THE_DAGS = ("/airflow/providers/amazon/aws/triggers/sqs.py",)


#: What the DAGs ``glue-flow import asl`` writes call at run time (Athena, Lambda, S3 listings for a Map):
#: the imported state machine's own calls, under its own role, not the provider's policy.
_IMPORTED = _PACKAGE + ".importers."


def _is_provider(module: str) -> bool:
    """Whether ``module`` (a frame's ``__name__``) is one of the provider's modules."""
    return (module == _PACKAGE or module.startswith(_PACKAGE + ".")) and not module.startswith(_IMPORTED)


@dataclass(frozen=True)
class AwsCall:
    """One API call: ``s3:GetObject`` with its parameters and the client's region."""

    service: str
    operation: str
    region: str
    params: dict[str, Any] = field(hash=False, compare=False)


#: Every call recorded in this test session, in order.
CALLS: list[AwsCall] = []
_LOCK = threading.Lock()


def _made_by_the_package() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if (
            _is_provider(frame.f_globals.get("__name__", ""))
            or name.startswith(_DAGS)
            or name.endswith(_RUN_FOR_THE_DAGS)
        ):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _on_call(params: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any) -> None:
    if not _made_by_the_package():
        return
    service = model.service_model.signing_name or model.service_model.endpoint_prefix
    with _LOCK:
        CALLS.append(AwsCall(service, model.name, context.get("client_region") or "", dict(params)))


@pytest.fixture(scope="session", autouse=True)
def record_aws_calls() -> Iterator[list[AwsCall]]:
    """Register the recorder on every botocore session created from now on (boto3 and aiobotocore).

    ``before-parameter-build`` carries the call's own parameters, before botocore serializes them.
    """
    original = botocore.session.Session._register_builtin_handlers

    def register(self: botocore.session.Session, events: Any) -> None:
        original(self, events)
        events.register("before-parameter-build", _on_call)

    botocore.session.Session._register_builtin_handlers = register  # type: ignore[method-assign]
    try:
        yield CALLS
    finally:
        botocore.session.Session._register_builtin_handlers = original  # type: ignore[method-assign]


#: True when the whole suite runs (no -k, -m or paths), so every flow's calls are recorded.
FULL_RUN = False


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Move the policy check after every test whose calls it checks; note whether the run is whole."""
    global FULL_RUN
    FULL_RUN = not (config.option.keyword or config.option.markexpr or config.args)
    checks = [item for item in items if item.get_closest_marker("aws_calls_check")]
    items[:] = [item for item in items if item not in checks] + checks
