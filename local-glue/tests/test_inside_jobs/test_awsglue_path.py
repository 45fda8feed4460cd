"""The awsglue set-up of this folder's tests leaves nothing behind for the tests after them.

The folder's ``glue_context`` fixture lives for this folder only and undoes ``awsglue_importable``.
"""

from __future__ import annotations

import importlib
import os
import sys

from test_inside_jobs.conftest import GLUE_LIB, awsglue_importable


def test_awsglue_is_importable_inside_and_gone_after(monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "/already/there")
    path, modules = list(sys.path), {name for name in sys.modules if name.partition(".")[0] == "awsglue"}
    with awsglue_importable():
        assert importlib.import_module("awsglue").__file__.startswith(GLUE_LIB)
        assert os.environ["PYTHONPATH"] == os.pathsep.join([GLUE_LIB, "/already/there"])
    assert sys.path == path
    assert os.environ["PYTHONPATH"] == "/already/there"
    assert {name for name in sys.modules if name.partition(".")[0] == "awsglue"} == modules


def test_pythonpath_unset_before_is_unset_after(monkeypatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with awsglue_importable():
        assert os.environ["PYTHONPATH"] == GLUE_LIB
    assert "PYTHONPATH" not in os.environ
