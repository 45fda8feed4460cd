#!/usr/bin/env python3
"""Bootstrap and run: ``python3 scripts/dev.py demo`` or ``python3 scripts/dev.py test``.

Creates ``.venv`` beside the project with the interpreter that runs this script, installs the project
with the extras the command needs (with uv when it can, which is several times faster than pip), then
runs the demo flow on the local Glue or the test suite. Reinstalls only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
EXTRAS = {"demo": "local", "test": "test"}


def _run(*cmd: str | Path, **kwargs) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def ensure_env(extra: str) -> None:
    """Create the virtualenv and install the project with ``extra`` unless already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    stamp = VENV / f".installed-{extra}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not PYTHON.exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print(f"Installing airflow-glue-flow[{extra}] into {VENV} ...", flush=True)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "uv")
    try:
        _run(BIN / "uv", "pip", "install", "--quiet", "--python", PYTHON, "-e", f"{ROOT}[{extra}]")
    except (OSError, subprocess.CalledProcessError):
        _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extra}]")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_env(EXTRAS[command])
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if command == "demo":
        return subprocess.call([str(PYTHON), "-m", "airflow_glue_flow.local.demo", *rest], cwd=ROOT, env=env)
    lint = subprocess.call(
        [str(BIN / "ruff"), "check", "airflow_glue_flow", "dags", "tests", "bench"], cwd=ROOT
    )
    tests = subprocess.call([str(PYTHON), "-m", "pytest", "-p", "no:cacheprovider", *rest], cwd=ROOT, env=env)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
