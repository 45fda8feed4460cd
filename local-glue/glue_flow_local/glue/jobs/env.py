"""The Python environment a local Glue Python-shell job runs in: its interpreter and libraries.

A job gets what AWS gives a Python-shell job (https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html):
boto3, the preloaded libraries of its ``library-set`` (``analytics`` or none), and what it asks for with
``--additional-python-modules``. Nothing of the server's environment (Airflow, moto, this package) is
importable. Environments are virtualenvs built with uv, once per interpreter and requirement set, kept
under :func:`env_root` and reused by every later run.

Where the job's ``PythonVersion`` is not installed, the closest installed Python runs it, and
:func:`syntax_error` rejects the syntax the declared version would reject.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Environment variable: folder that keeps the built job environments (default: the user's cache dir).
ENV_DIR_ENV = "GLUE_FLOW_LOCAL_ENV_DIR"
#: Environment variable: extra Python interpreters a job may run on, separated by ``os.pathsep``.
PYTHONS_ENV = "GLUE_FLOW_LOCAL_PYTHONS"
#: Python-shell ``PythonVersion`` values and the Python they mean; AWS's default is 3.9.
PYTHON_VERSIONS = {"3": (3, 6), "3.9": (3, 9)}
DEFAULT_PYTHON_VERSION = "3.9"
# The oldest Python a job may run on locally: older ones cannot install a boto3 that honours
# AWS_ENDPOINT_URL (boto3 1.28+), so the script's clients would reach AWS instead of the local Glue.
_OLDEST_RUNTIME = (3, 8)
#: The ``analytics`` library set of Python shell 3.9, with the versions AWS preloads
#: (https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html#python-shell-supported-library).
#: psycopg2 is installed as psycopg2-binary: the same module, without a local PostgreSQL build.
#: boto3 and awscli are left unpinned: the script's boto3 must honour AWS_ENDPOINT_URL (boto3 1.28+).
ANALYTICS_LIBRARIES = {
    "avro": "1.11.0",
    "awscli": "",
    "awswrangler": "2.15.1",
    "elasticsearch": "8.2.0",
    "numpy": "1.22.3",
    "pandas": "1.4.2",
    "psycopg2-binary": "2.9.3",
    "pyathena": "2.5.3",
    "PyGreSQL": "5.0.6",
    "PyMySQL": "1.0.2",
    "pyodbc": "4.0.32",
    "pyorc": "0.6.0",
    "redshift-connector": "2.0.907",
    "requests": "2.27.1",
    "scikit-learn": "1.0.2",
    "scipy": "1.8.0",
    "SQLAlchemy": "1.4.36",
    "s3fs": "2022.3.0",
}

#: Analytics libraries that build against system libraries where no wheel fits the machine (PyGreSQL:
#: libpq, pyodbc: unixODBC). When one cannot be installed, the environment is built without it and each
#: run's error log says why (see :func:`missing_libraries`), instead of failing every job of the set.
NATIVE_LIBRARIES = frozenset({"pygresql", "pyodbc"})
MISSING_FILE = "missing-libraries.txt"


class JobEnvironmentError(Exception):
    """The job's environment cannot be built; the message names the job argument or setting at fault."""


@dataclass(frozen=True)
class Interpreter:
    """An installed Python.

    :param path: the executable.
    :param version: its (major, minor) version.
    """

    path: str
    version: tuple[int, int]


def declared_version(command: Mapping[str, Any]) -> tuple[int, int]:
    """The Python a Python-shell job declares (``Command.PythonVersion``).

    :param command: the job's Command.
    :raises JobEnvironmentError: an unknown PythonVersion.
    """
    value = str(command.get("PythonVersion") or DEFAULT_PYTHON_VERSION)
    if value not in PYTHON_VERSIONS:
        raise JobEnvironmentError(
            f"PythonVersion {value} is not a Python shell version; valid values: {', '.join(PYTHON_VERSIONS)}"
        )
    return PYTHON_VERSIONS[value]


def requirements(
    library_set: str, python: tuple[int, int], declared: tuple[int, int], modules: str
) -> list[str]:
    """The requirements of a job environment.

    :param library_set: the job's ``library-set`` argument (``analytics``, ``none`` or empty).
    :param python: the version of the interpreter the job runs on.
    :param declared: the version the job declares; AWS's pinned versions are kept only when they match
        (older pins have no builds for newer Pythons).
    :param modules: the ``--additional-python-modules`` value (comma-separated pip requirements).
    :raises JobEnvironmentError: an unknown library set.
    """
    if library_set not in ("", "none", "analytics"):
        raise JobEnvironmentError(f"Invalid library-set {library_set!r}: valid values are analytics and none")
    wanted = {"boto3": "boto3"}
    if library_set == "analytics":
        for name, version in ANALYTICS_LIBRARIES.items():
            pinned = python == declared and version
            wanted[name.lower()] = f"{name}=={version}" if pinned else name
    for requirement in (part.strip() for part in modules.split(",")):
        if requirement:
            # A module the job names replaces the preloaded one, as pip does on AWS.
            wanted[_name(requirement)] = requirement
    return sorted(wanted.values(), key=str.lower)


def syntax_error(source: bytes, filename: str, declared: tuple[int, int]) -> list[str] | None:
    """The lines Python prints for a script that the declared Python version cannot parse, else None.

    :param source: the script.
    :param filename: the script's path, as the error shows it.
    :param declared: the job's declared Python version.
    """
    try:
        ast.parse(source, filename, feature_version=declared)
    except SyntaxError as err:
        return [line.rstrip("\n") for line in "".join(traceback.format_exception_only(err)).splitlines()]
    return None


# Bump when the way environments are built changes, so older builds are not reused.
_RECIPE = 2
_interpreters: list[Interpreter] | None = None
_discovery_lock = threading.Lock()


def _candidates() -> list[str]:
    paths = [p for p in os.environ.get(PYTHONS_ENV, "").split(os.pathsep) if p]
    paths += [found for minor in range(8, 16) if (found := shutil.which(f"python3.{minor}"))]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if pyenv.is_dir():
        paths += [str(p) for p in sorted(pyenv.glob("3.*/bin/python3"))]
    return [*paths, sys.executable]


def interpreters() -> list[Interpreter]:
    """The Pythons installed on this machine that a job may run on (found once, then remembered)."""
    global _interpreters
    with _discovery_lock:
        if _interpreters is None:
            found: dict[tuple[int, int], Interpreter] = {}
            for path in _candidates():
                try:
                    out = subprocess.run(
                        [path, "-c", "import sys; print(*sys.version_info[:2])"],
                        capture_output=True,
                        text=True,
                        timeout=20,
                        check=True,
                    ).stdout.split()
                except (OSError, subprocess.SubprocessError):
                    continue  # e.g. a pyenv shim for a version that is not selected
                version = (int(out[0]), int(out[1]))
                if version >= _OLDEST_RUNTIME:
                    found.setdefault(version, Interpreter(path, version))
            _interpreters = sorted(found.values(), key=lambda i: i.version)
        return list(_interpreters)


def closest_interpreter(declared: tuple[int, int]) -> Interpreter:
    """The installed Python closest to the declared version (the newer one on a tie).

    :param declared: the job's declared Python version.
    """
    found = interpreters()
    if not found:
        raise JobEnvironmentError(
            f"No Python {_OLDEST_RUNTIME[0]}.{_OLDEST_RUNTIME[1]}+ found to run Python-shell jobs "
            f"(set {PYTHONS_ENV})"
        )
    return min(found, key=lambda i: (abs(i.version[1] - declared[1]), -i.version[1]))


def env_root() -> Path:
    """The folder that keeps built job environments."""
    configured = os.environ.get(ENV_DIR_ENV)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "airflow-glue-flow" / "job-envs"


def _uv() -> str:
    from uv import find_uv_bin  # the uv distribution ships its binary with this finder

    return find_uv_bin()


def ensure_environment(
    interpreter: Interpreter,
    wanted: list[str],
    user_modules: Sequence[str] = (),
    installer_options: Sequence[str] = (),
    root: Path | None = None,
) -> Path:
    """Build the environment for an interpreter and requirement set, once; return its Python.

    A second call with the same interpreter and requirements (from any thread or server process)
    installs nothing.

    :param interpreter: the base interpreter.
    :param wanted: the requirements.
    :param user_modules: those of ``wanted`` that the job asked for (they must install).
    :param installer_options: ``--python-modules-installer-option``, split; given to ``uv pip install``
        (pip's common options such as ``--upgrade`` or ``--index-url`` are uv's too; others fail the build).
    :param root: where environments are kept (default :func:`env_root`).
    :raises JobEnvironmentError: the installer failed (its message says which requirement).
    """
    root = root or env_root()
    root.mkdir(parents=True, exist_ok=True)
    recipe = [_RECIPE, interpreter.path, interpreter.version, wanted, list(installer_options)]
    key = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:20]
    target = root / key
    python = target / "bin" / "python"
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per environment, across threads and servers
        if (target / ".complete").exists():
            return python
        shutil.rmtree(target, ignore_errors=True)  # a build that was interrupted
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        try:
            _uv_run(env, "venv", "--quiet", "--python", interpreter.path, str(target))
            try:
                _uv_run(
                    env, "pip", "install", "--quiet", *installer_options, "--python", str(python), *wanted
                )
            except JobEnvironmentError:
                native = [r for r in wanted if _name(r) in NATIVE_LIBRARIES and r not in user_modules]
                if not native:
                    raise
                rest = [r for r in wanted if r not in native]
                _uv_run(env, "pip", "install", "--quiet", *installer_options, "--python", str(python), *rest)
                for requirement in native:
                    try:
                        _uv_run(env, "pip", "install", "--quiet", "--python", str(python), requirement)
                    except JobEnvironmentError as err:
                        _record_missing(target, requirement, str(err))
        except JobEnvironmentError:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / "requirements.txt").write_text("\n".join(wanted) + "\n")
        (target / ".complete").write_text("")
    return python


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;@]", requirement, maxsplit=1)[0].lower()


def _uv_run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([_uv(), *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout).strip().splitlines()[-6:])
        raise JobEnvironmentError(
            f"Installing the job's Python modules failed ({' '.join(args[4:])}): {detail}"
        )


def _record_missing(target: Path, requirement: str, reason: str) -> None:
    # The modules stay absent (ModuleNotFoundError), as libraries that probe for optional drivers expect.
    with (target / MISSING_FILE).open("a") as missing:
        missing.write(
            f"{requirement} of the analytics library set is not installed in the local Glue: {reason}\n"
        )


def missing_libraries(python: Path) -> list[str]:
    """Why each library of the environment's set that could not be installed is missing.

    :param python: the environment's interpreter (:func:`ensure_environment`).
    """
    missing = python.parent.parent / MISSING_FILE
    return missing.read_text().splitlines() if missing.exists() else []


def warm(library_sets: tuple[str, ...] = ("none", "analytics")) -> list[Path]:
    """Build the environments of Python-shell jobs (PythonVersion 3.9) ahead of their first run.

    :param library_sets: the ``library-set`` values to build.
    :returns: the environments' interpreters.
    """
    declared = PYTHON_VERSIONS[DEFAULT_PYTHON_VERSION]
    interpreter = closest_interpreter(declared)
    return [
        ensure_environment(interpreter, requirements(s, interpreter.version, declared, ""))
        for s in library_sets
    ]
