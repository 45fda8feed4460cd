"""The provider never imports the local Glue, and installs and runs without it and without any extra.

The local Glue is a distribution of its own (``glue_flow_local``). Its old home ``airflow_glue_flow/local/``
holds only the deprecated aliases a user's old import path loads (nothing in the provider imports them),
so it is left out of these checks.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "airflow_glue_flow"
#: Module names of the local Glue: the provider imports none of them, at module level or inside functions.
LOCAL_GLUE = ("airflow_glue_flow.local", "glue_flow_local")


def provider_modules() -> list[Path]:
    """Every module of the provider package (the deprecated aliases of the local Glue's old home left out)."""
    return sorted(p for p in PACKAGE.rglob("*.py") if PACKAGE / "local" not in p.parents)


def _is_local_glue(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in LOCAL_GLUE)


def local_glue_imports(path: Path) -> list[str]:
    """The local Glue modules that ``path`` imports (``import``, ``from ... import``, ``import_module``)."""
    found: list[str] = []
    package = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [f"{path.relative_to(REPO_ROOT)}:{node.lineno} {n}" for n in names if _is_local_glue(n)]
    return found


def test_no_provider_module_imports_the_local_glue():
    modules = provider_modules()
    assert len(modules) > 50

    assert [line for path in modules for line in local_glue_imports(path)] == []


def test_the_check_sees_every_form_of_import(tmp_path):
    probe = PACKAGE / "links" / "_probe_for_the_import_check.py"
    probe.write_text(
        "import glue_flow_local\n"
        "from airflow_glue_flow.local.settings import CONSOLE_PREFIX\n"
        "from .. import local\n"
        "def f():\n"
        "    import importlib\n"
        "    return importlib.import_module('glue_flow_local.serve')\n"
    )
    try:
        found = local_glue_imports(probe)
    finally:
        probe.unlink()

    assert [line.split(" ", 1)[1] for line in found] == [
        "glue_flow_local",
        "airflow_glue_flow.local.settings",
        "airflow_glue_flow.local.settings.CONSOLE_PREFIX",
        "airflow_glue_flow.local",
        "glue_flow_local.serve",
    ]


#: Run in the fresh environment: every dotted path get_provider_info() names, then every provider module.
IMPORT_ALL = """
import importlib, sys
from airflow_glue_flow.get_provider_info import get_provider_info

info = get_provider_info()
paths = [m for s in ("hooks", "operators", "sensors", "triggers") for e in info[s] for m in e["python-modules"]]
for path in [*paths, *info["extra-links"]]:
    try:
        importlib.import_module(path)
    except ModuleNotFoundError:
        module, _, attr = path.rpartition(".")
        getattr(importlib.import_module(module), attr)
for name in sys.argv[1:]:
    importlib.import_module(name)
print("imported", len(paths) + len(info["extra-links"]), "paths and", len(sys.argv) - 1, "modules")
"""


def _module_names() -> list[str]:
    names = []
    for path in provider_modules():
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.slow
def test_the_provider_alone_imports_every_path_and_runs_every_command_help(tmp_path):
    """A fresh venv with the provider and its required dependencies only (no extra): uv installs it from
    its cache, as ``scripts/dev.py`` does."""
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), str(REPO_ROOT)], check=True)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "AIRFLOW_HOME": str(tmp_path / "home"),
    }
    # Nothing of the local Glue or of its optional dependencies is there.
    missing = "import importlib.util as u; print([m for m in ('glue_flow_local', 'fastavro', 'pyarrow', 'moto') if u.find_spec(m)])"
    assert (
        subprocess.run(
            [python, "-c", missing], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        == "[]"
    )

    imported = subprocess.run(
        [python, "-c", IMPORT_ALL, *_module_names()], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr[-3000:]

    from airflow_glue_flow.cli import COMMANDS

    glue_flow = str(bin_dir / "glue-flow")
    top = subprocess.run([glue_flow, "--help"], env=env, capture_output=True, text=True)
    assert top.returncode == 0, top.stderr[-3000:]
    for command in COMMANDS:
        done = subprocess.run(
            [glue_flow, command.group, command.action, "--help"], env=env, capture_output=True, text=True
        )
        if command.forwards:  # the local Glue's own help; it is not installed here, so the hint
            assert done.returncode == 2 and "pip install 'airflow-glue-flow[local]'" in done.stderr, done
        else:
            usage = f"usage: glue-flow {command.group} {command.action}"
            assert done.returncode == 0 and usage in done.stdout, done.stderr[-3000:]
