from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from airflow_glue_flow import __version__
from airflow_glue_flow.get_provider_info import get_provider_info


def _dotted_paths(info: dict) -> list[str]:
    paths = [
        m
        for section in ("hooks", "operators", "sensors", "triggers")
        for e in info[section]
        for m in e["python-modules"]
    ]
    return paths + list(info["extra-links"])


def test_every_dotted_path_imports():
    info = get_provider_info()
    paths = _dotted_paths(info)
    assert len(paths) >= 10
    for path in paths:
        try:
            importlib.import_module(path)
        except ModuleNotFoundError:
            module, _, attr = path.rpartition(".")
            assert hasattr(importlib.import_module(module), attr), path


def test_provider_is_registered_through_the_entry_point():
    (ep,) = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_glue_flow")
    ]
    info = ep.load()()
    assert info["package-name"] == "airflow-glue-flow"
    assert info["versions"] == [__version__]


@pytest.mark.slow  # starts the Airflow CLI, which loads every installed provider
def test_airflow_providers_list_shows_it():
    out = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "--output", "plain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "airflow-glue-flow" in out
