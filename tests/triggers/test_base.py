"""The triggers' shared base: imports off the loop only when needed; what a wait holds, and gives back."""

from __future__ import annotations

import asyncio
import gc
import importlib.machinery
import sys
import types
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow.triggers.base import import_off_loop
from airflow_glue_flow.triggers.client_pool import CLIENTS
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.support.glue_job_fakes import FakeGlue, patch_glue
from tests.triggers.test_job import KWARGS, glue_with_run


def _counting_to_thread() -> tuple[list[Any], Any]:
    calls: list[Any] = []
    to_thread = asyncio.to_thread

    async def counting(func: Any, *args: Any) -> Any:
        calls.append(func)
        return await to_thread(func, *args)

    return calls, counting


def test_modules_already_imported_are_returned_without_a_thread_hop() -> None:
    calls, counting = _counting_to_thread()

    with mock.patch.object(asyncio, "to_thread", counting):
        modules = asyncio.run(import_off_loop("json", "airflow_glue_flow.triggers.gc_freeze"))

    assert [m.__name__ for m in modules] == ["json", "airflow_glue_flow.triggers.gc_freeze"]
    assert calls == []


def test_a_module_still_being_imported_elsewhere_is_waited_for_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A module in sys.modules whose body another thread is still running: using it at once could meet
    # names it has not defined yet; importlib.import_module waits for that import to finish.
    name = "glue_flow_test_module_being_imported"
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__spec__._initializing = True  # type: ignore[attr-defined]  # what importlib sets meanwhile
    monkeypatch.setitem(sys.modules, name, module)
    calls, counting = _counting_to_thread()

    with mock.patch.object(asyncio, "to_thread", counting):
        (loaded,) = asyncio.run(import_off_loop(name))

    assert loaded is module
    assert len(calls) == 1


#: GC-tracked objects a sleeping job wait may keep, the asyncio task that runs it included. A full garbage
#: collection walks them all with the GIL held: at 2,000 waits, 33 per wait is about 50 ms of stall
#: (bench/bench_triggerer.py); the hook and generator-based context managers kept for the whole wait
#: once made it 67.
MOST_OBJECTS_PER_WAIT = 40


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


async def _drain(trigger: GlueJobRunTrigger) -> None:
    async for _ in trigger.run():
        pass


async def _objects_per_sleeping_wait(waits: int) -> float:
    kwargs = {**KWARGS, "poll_interval": 3600, "max_attempts": 2}
    # A first wait pays what a process pays once: the shared client, lazily built module state.
    first = asyncio.create_task(_drain(GlueJobRunTrigger(**kwargs)))
    while CLIENTS.users() < 1:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    before = _tracked()
    tasks = [asyncio.create_task(_drain(GlueJobRunTrigger(**kwargs))) for _ in range(waits)]
    counts = [-1, _tracked()]
    while CLIENTS.users() < waits + 1 or counts[-1] != counts[-2]:  # until every wait is asleep
        await asyncio.sleep(0.1)
        counts.append(_tracked())
    for task in [first, *tasks]:
        task.cancel()
    await asyncio.gather(first, *tasks, return_exceptions=True)
    return (counts[-1] - before) / waits


def test_a_sleeping_wait_keeps_few_objects_for_the_garbage_collector() -> None:
    with patch_glue(glue_with_run(["RUNNING"])):
        per_wait = asyncio.run(_objects_per_sleeping_wait(200))
    assert per_wait <= MOST_OBJECTS_PER_WAIT
    assert CLIENTS.users() == 0 and len(CLIENTS) == 0


def test_a_wait_that_cannot_get_all_its_clients_gives_back_those_it_got() -> None:
    trigger = GlueJobRunTrigger(**{**KWARGS, "verbose": True})
    no_logs = mock.AsyncMock(side_effect=RuntimeError("no logs client for you"))
    with (
        patch_glue(FakeGlue()),
        mock.patch("airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_async_conn", no_logs),
    ):
        with pytest.raises(RuntimeError, match="no logs client for you"):
            asyncio.run(_drain(trigger))
    assert CLIENTS.users() == 0 and len(CLIENTS) == 0  # the Glue client it got was closed again
