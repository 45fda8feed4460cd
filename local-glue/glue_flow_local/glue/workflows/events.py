"""EVENT triggers: events gathered per trigger until its EventBatchingCondition is met.

A batch starts a workflow run when BatchSize events have arrived, or BatchWindow seconds (default 900)
after its first event, whichever comes first; the run's ``aws:eventIds`` property lists the events and
``StartingEventBatchCondition`` says which condition was met.
https://docs.aws.amazon.com/glue/latest/webapi/API_EventBatchingCondition.html
https://docs.aws.amazon.com/glue/latest/webapi/API_StartingEventBatchCondition.html
https://docs.aws.amazon.com/glue/latest/dg/starting-workflow-eventbridge.html
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from glue_flow_local.glue.workflows.clock import GlueClock
from glue_flow_local.glue.workflows.triggers import DEFAULT_BATCH_WINDOW


@dataclass
class _Batch:
    workflow: str
    size: int
    window: int
    opened: float
    ids: list[str] = field(default_factory=list)


class EventBatches:
    """Open event batches, per region and trigger.

    :param clock: the clock batch windows run on.
    """

    def __init__(self, clock: GlueClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], _Batch] = {}

    def add(
        self, region: str, trigger: dict[str, Any], event_id: str
    ) -> tuple[dict[str, int], list[str]] | None:
        """Add one event; when the batch is full, close it and return its condition and event ids."""
        condition = trigger.get("EventBatchingCondition") or {}
        key = (region, trigger["Name"])
        with self._lock:
            batch = self._open.get(key)
            if batch is None:
                batch = _Batch(
                    trigger["WorkflowName"],
                    int(condition.get("BatchSize") or 1),
                    int(condition.get("BatchWindow") or DEFAULT_BATCH_WINDOW),
                    self._clock.stamp(),
                )
                self._open[key] = batch
            batch.ids.append(event_id)
            if len(batch.ids) < batch.size:
                return None
            del self._open[key]
        return {"BatchSize": len(batch.ids)}, batch.ids

    def expired(self) -> list[tuple[str, str, dict[str, int], list[str]]]:
        """Close the batches whose window has passed: (region, workflow, condition, event ids) each."""
        closed = []
        with self._lock:
            for key, batch in list(self._open.items()):
                if self._clock.elapsed(batch.opened) >= batch.window:
                    del self._open[key]
                    closed.append((key[0], batch.workflow, {"BatchWindow": batch.window}, batch.ids))
        return closed

    def pending(self, region: str, trigger: str) -> int:
        """How many events wait in a trigger's open batch."""
        with self._lock:
            batch = self._open.get((region, trigger))
            return len(batch.ids) if batch else 0
