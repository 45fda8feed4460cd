"""The triggers' shared base: imports off the triggerer's loop only when there is something to import."""

from __future__ import annotations

import asyncio
import importlib.machinery
import sys
import types
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow.triggers.base import import_off_loop


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
