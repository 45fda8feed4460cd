"""The provider's triggerer-wide effects are off unless Airflow's configuration turns them on.

``[glue_flow] triggerer_gc_freeze`` pauses the collector and freezes the heap after a wait's first loads;
``[glue_flow] merged_checks`` merges the checks that fall due together. Both act on the whole triggerer
process, so both default to off (README, "The triggerer", has the measurements).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_glue_flow.get_provider_info import get_provider_info
from airflow_glue_flow.triggers.gc_freeze import frozen_after
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from airflow_glue_flow.triggers.merged_checks import MergingGlue
from tests.support.glue_job_fakes import FakeGlue, patch_glue
from tests.triggers.test_job import KWARGS


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give the objects a test froze back to the collector."""
    before = gc.get_freeze_count()
    yield
    if gc.get_freeze_count() != before:
        gc.unfreeze()


def test_both_options_are_declared_off_in_the_provider_config():
    options = get_provider_info()["config"]["glue_flow"]["options"]

    assert {name: (o["type"], o["default"]) for name, o in options.items()} == {
        "triggerer_gc_freeze": ("boolean", "False"),
        "merged_checks": ("boolean", "False"),
    }


def test_by_default_a_first_load_leaves_the_collector_alone(unfrozen, monkeypatch):
    monkeypatch.delenv("AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE", raising=False)
    frozen = gc.get_freeze_count()

    with frozen_after():
        collecting = gc.isenabled()
        made = [[] for _ in range(1000)]

    assert collecting and gc.isenabled()
    assert gc.get_freeze_count() == frozen and made


def test_turned_on_a_first_load_runs_with_the_collector_paused_then_freezes(unfrozen, monkeypatch):
    monkeypatch.setenv("AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE", "True")
    frozen = gc.get_freeze_count()

    with frozen_after():
        collecting = gc.isenabled()
        made = [[] for _ in range(1000)]

    assert not collecting and gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(made)


async def _glue_client(trigger: GlueJobRunTrigger) -> Any:
    async with trigger.async_clients("glue") as clients:
        return clients["glue"]


@pytest.mark.parametrize("setting, merging", [(None, False), ("False", False), ("True", True)])
def test_a_wait_gets_the_merging_glue_client_only_when_merged_checks_are_on(setting, merging, monkeypatch):
    if setting is None:
        monkeypatch.delenv("AIRFLOW__GLUE_FLOW__MERGED_CHECKS", raising=False)
    else:
        monkeypatch.setenv("AIRFLOW__GLUE_FLOW__MERGED_CHECKS", setting)

    with patch_glue(FakeGlue()):
        client = asyncio.run(_glue_client(GlueJobRunTrigger(**KWARGS)))

    assert isinstance(client, MergingGlue) is merging
