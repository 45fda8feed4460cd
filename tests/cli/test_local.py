"""``glue-flow local serve`` runs the local Glue's own command without importing it, or says how to get it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from airflow_glue_flow.cli import local as local_cli
from airflow_glue_flow.cli import main, parse_args

#: A stand-in ``glue-flow-local``: records its arguments and exits with status 3.
FAKE_SCRIPT = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["RECORD"], "w") as f:
    json.dump(sys.argv[1:], f)
sys.exit(3)
"""


@pytest.fixture
def no_local_glue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PATH without ``glue-flow-local`` and no ``glue_flow_local`` package; returns an empty bin dir."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    real_find_spec = local_cli.importlib.util.find_spec
    monkeypatch.setattr(
        local_cli.importlib.util,
        "find_spec",
        lambda name, *a: None if name == local_cli.PACKAGE else real_find_spec(name, *a),
    )
    return bin_dir


def test_serve_runs_the_local_glue_script_with_every_option_as_given(no_local_glue, tmp_path, monkeypatch):
    script = no_local_glue / "glue-flow-local"
    script.write_text(FAKE_SCRIPT)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("RECORD", str(tmp_path / "argv.json"))

    status = main(["local", "serve", "--port", "4566", "--host", "0.0.0.0", "--help"])

    assert status == 3  # the local Glue's own exit status
    assert (
        tmp_path / "argv.json"
    ).read_text() == '["serve", "--port", "4566", "--host", "0.0.0.0", "--help"]'


def test_serve_without_the_local_glue_says_how_to_install_it(no_local_glue, capsys):
    assert main(["local", "serve", "--port", "4566"]) == 2

    assert "pip install 'airflow-glue-flow[local]'" in capsys.readouterr().err


def test_serve_falls_back_to_python_m_of_the_package(no_local_glue, monkeypatch):
    monkeypatch.setattr(local_cli.importlib.util, "find_spec", lambda name, *a: object())

    assert local_cli.local_glue_command() == [sys.executable, "-m", "glue_flow_local"]


def test_only_a_forwarding_command_takes_options_it_does_not_know():
    assert parse_args(["local", "serve", "--port", "1"]).forwarded == ["--port", "1"]
    with pytest.raises(SystemExit):
        parse_args(["sample", "upload", "--port", "1"])


def test_building_the_parser_imports_neither_the_local_glue_nor_its_dependencies():
    code = (
        "import sys; from airflow_glue_flow.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('glue_flow_local', 'fastavro', 'pyarrow', 'moto') or m.startswith('airflow_glue_flow.local')))"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
