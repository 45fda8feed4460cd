"""One way to drive every wait, in the worker (blocking) or in the triggerer (asyncio).

A wait (a crawl, a job run, the log lines of a run) is written once, as a pure object that only decides:
given the answer to its last AWS call, it returns a :class:`Step`, which either ends the wait with an
event payload or names the next call and how long to wait before it. The two drivers here only sleep,
make the call on the client the step names, and hand the answer back, so the sync and the deferrable
mode of a task run the same decisions and cannot drift apart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

Service = Literal["glue", "logs"]


class WaitLog(Protocol):
    """Where a wait writes its progress: a task's or a trigger's ``log`` (Airflow's structlog logger) or a
    :class:`logging.Logger`, with %-style arguments."""

    def info(self, msg: str, /, *args: Any) -> Any: ...

    def warning(self, msg: str, /, *args: Any) -> Any: ...


#: What an AWS call answered: its response, or the botocore error it raised after botocore's retries.
Answer = tuple[dict[str, Any] | None, ClientError | BotoCoreError | None]


@dataclass(frozen=True)
class Request:
    """One AWS call a wait asks for.

    :param service: which client makes it (``"glue"`` or ``"logs"``).
    :param operation: the boto3 method name, e.g. ``"get_job_run"`` (aiobotocore has the same names).
    :param kwargs: its arguments.
    """

    service: Service
    operation: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """What a wait does next: end with ``event``, or make ``request`` (after ``delay`` seconds if set).

    A check of the resource waits first (``delay`` set, even to 0); a call that completes the check just
    made (the next log page, the metrics of a finished crawl) goes at once (``delay`` None).
    """

    event: dict[str, Any] | None = None
    request: Request | None = None
    delay: float | None = None

    @staticmethod
    def end(event: dict[str, Any]) -> Step:
        """End the wait; ``event`` says how (``status`` ``success`` or ``error``)."""
        return Step(event=event)

    @staticmethod
    def call(request: Request, delay: float | None = None) -> Step:
        """Make ``request`` (after ``delay`` seconds when given), then decide again."""
        return Step(request=request, delay=delay)


Advance = Callable[[dict[str, Any] | None, ClientError | BotoCoreError | None], Step]


def drive(
    first: Step,
    advance: Advance,
    clients: Mapping[str, Any],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run a wait in this thread and return the event it ended with.

    :param first: the wait's first step.
    :param advance: the wait's decision: (response, error) of the last call -> next step.
    :param clients: boto3 clients by :data:`Service` name.
    :param sleep: how to wait (``time.sleep``).
    """
    step = first
    while step.event is None:
        assert step.request is not None
        if step.delay is not None:
            sleep(step.delay)
        request = step.request
        try:
            response, error = getattr(clients[request.service], request.operation)(**request.kwargs), None
        except (ClientError, BotoCoreError) as raised:
            response, error = None, raised
        step = advance(response, error)
    return step.event


async def drive_async(first: Step, advance: Advance, clients: Mapping[str, Any]) -> dict[str, Any]:
    """Async :func:`drive`, on open aiobotocore clients (used by the triggers).

    :param first: the wait's first step.
    :param advance: the wait's decision: (response, error) of the last call -> next step.
    :param clients: open aiobotocore clients by :data:`Service` name.
    """
    step = first
    while step.event is None:
        assert step.request is not None
        if step.delay is not None:
            await asyncio.sleep(step.delay)
        request = step.request
        call: Callable[..., Awaitable[dict[str, Any]]] = getattr(clients[request.service], request.operation)
        try:
            response, error = await call(**request.kwargs), None
        except (ClientError, BotoCoreError) as raised:
            response, error = None, raised
        step = advance(response, error)
    return step.event
