"""``airflow_glue_flow.local``, deprecated for one minor release: its old names import the modules of the
glue-flow-local distribution that replaced them, with a DeprecationWarning, and
``python -m airflow_glue_flow.local serve`` still runs the server."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import warnings

import pytest

from glue_flow_local.clients import local_client


def _fresh_import(name: str) -> tuple[object, list[str]]:
    for loaded in [
        m for m in sys.modules if m == "airflow_glue_flow.local" or m.startswith("airflow_glue_flow.local.")
    ]:
        del sys.modules[loaded]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]


def test_the_package_warns_and_hands_out_the_new_classes() -> None:
    import glue_flow_local

    old, messages = _fresh_import("airflow_glue_flow.local")

    assert any("install glue-flow-local and import glue_flow_local" in m for m in messages), messages
    assert old.LocalGlueProcess is glue_flow_local.LocalGlueProcess  # type: ignore[attr-defined]
    assert old.STATE_DIR_ENV == glue_flow_local.STATE_DIR_ENV  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("airflow_glue_flow.local.settings", "glue_flow_local.settings"),
        ("airflow_glue_flow.local.job_env", "glue_flow_local.glue.jobs.env"),
        ("airflow_glue_flow.local.crawling.runs", "glue_flow_local.glue.crawler.runs"),
        ("airflow_glue_flow.local.s3_conditions", "glue_flow_local.s3.conditions"),
    ],
)
def test_an_old_submodule_is_the_module_that_replaced_it(old: str, new: str) -> None:
    module, messages = _fresh_import(old)

    assert module is importlib.import_module(new)
    assert f"{old} is deprecated: import {new} (distribution glue-flow-local)" in messages


def test_an_unknown_old_submodule_is_not_found() -> None:
    with pytest.raises(ModuleNotFoundError):
        _fresh_import("airflow_glue_flow.local.no_such_module")


@pytest.mark.slow
def test_python_m_airflow_glue_flow_local_serve_still_runs_the_server(tmp_path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_glue_flow.local",
            "serve",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert local_client(url, "s3", "us-east-1").list_buckets()["Buckets"] == []
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "'python -m airflow_glue_flow.local' is deprecated: run 'glue-flow-local'" in err
