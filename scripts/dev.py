#!/usr/bin/env python3
"""Bootstrap and run: ``python3 scripts/dev.py demo``, ``test [--fast] [pytest args]``, ``lowest``,
``airflow-3.1``, ``airflow-3.2``, ``newest`` or ``docs [--serve]``.

Creates ``.venv`` beside the project with the interpreter that runs this script, installs the project
with the extras the command needs (with uv when it can, which is several times faster than pip) at the
versions locked in ``constraints/`` (see :data:`LANES`; ``scripts/lock.py`` writes them), then runs the
demo flow on the local Glue or the test suite (after ruff and mypy). Reinstalls only when pyproject.toml
or the lock changes.
``test`` also installs the Debian packages the end-to-end tests need when they are missing and this
runs as root (as CI does); ``--fast`` leaves out the tests marked slow. ``lowest`` runs the fast tests at
the lowest versions that pyproject.toml's direct dependencies allow (``.venv-lowest``), so the declared
floors stay true. ``airflow-3.1`` (3.1.0, the floor) and ``airflow-3.2`` (MWAA's 3.2.1 image) run the
fast tests and the deployment test's main flow and kill checks on those Airflow versions, each in its own
venv. ``newest`` installs the newest releases (nothing locked) into ``.venv-newest``, runs the fast tests
and prints which packages differ from the lock and which tests failed. ``docs`` builds the docs site into
``docs/_build/html`` with warnings as errors; ``--serve`` then serves it on http://127.0.0.1:8000.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The demo runs the seed's Spark job where Java is installed (pyspark is a 400 MB download otherwise unused).
EXTRAS = {"demo": "local,spark" if shutil.which("java") else "local", "docs": "docs"}
#: The repository's distributions, installed editable together: the local Glue, then the provider with
#: the extra a command installs (the provider's extras name the local Glue's own). A distribution added
#: to the repository joins every lane and lock by one entry here.
EDITABLES: tuple[str, ...] = ("local-glue", ".")
#: The local Glue's distribution (type-checked and built beside the provider).
LOCAL_GLUE = ROOT / "local-glue"
#: The lock files, one per lane (``scripts/lock.py`` writes them with uv for :data:`LOCK_PYTHON`).
CONSTRAINTS = ROOT / "constraints"
LOCK_PYTHON = "3.11"


@dataclass(frozen=True)
class Lane:
    """A venv, the lock it installs from, and what pins the lock beyond pyproject.toml's ranges.

    :param venv: the venv folder, beside the project.
    :param lock: the lock file under :data:`CONSTRAINTS`; None installs the newest releases.
    :param pins: requirements the lock is resolved with besides the project's own.
    :param resolution: uv's ``--resolution`` for the lock (``lowest-direct``: the declared floors).
    :param fast_only: run the fast tests only.
    :param deployment_checks: run the fast tests, then :data:`DEPLOYMENT_CHECKS`.
    """

    venv: str
    lock: str | None
    pins: tuple[str, ...] = ()
    resolution: str = "highest"
    fast_only: bool = False
    deployment_checks: bool = False


#: The deployment test's main flow and its kill checks (a deferred job task marked failed, before and
#: after the triggerer started its trigger), with the real scheduler and triggerer.
DEPLOYMENT_CHECKS = tuple(
    f"tests/deployment/test_airflow_deployment.py::{name}"
    for name in (
        "test_main_flow_succeeds_with_its_job_waiting_deferred",
        "test_marking_a_deferred_job_task_failed_stops_its_glue_run",
        "test_a_job_task_killed_before_the_triggerer_started_its_trigger_still_stops_its_run",
    )
)
FAST = ("-m", "not slow")
#: What Airflow 3.1.0 needs beside it, as its own constraints pin it; its requirements bound none of these.
#: structlog 25.5 dropped structlog.dev.Styles, which 3.1.0 imports. Newer FastAPI and cadwyn releases break
#: its Task Execution API: every task fails with "Remote server returned validation error" (measured:
#: FastAPI 0.124.4 with cadwyn 5.6.2 works, 0.136.3 with 6.2.2 fails; later Airflow releases cap FastAPI,
#: apache/airflow#58983 and #59856). With PyJWT 2.11 its API server answers 500 where it issues a token
#: ("Issuer (iss) must be a string", apache/airflow#61278).
AIRFLOW_3_1_0_PINS = ("structlog<25.5", "fastapi<0.125", "cadwyn<6", "pyjwt<2.11")
LANES = {
    "test": Lane(".venv", "latest.txt"),
    "lowest": Lane(
        ".venv-lowest", "lowest.txt", AIRFLOW_3_1_0_PINS, resolution="lowest-direct", fast_only=True
    ),
    # The floor, apache-airflow 3.1.0, with the newest providers (Cloud Composer and Astronomer run 3.1
    # builds; the 3.1 releases after it sit between this lane and the 3.2.1 one).
    "airflow-3.1": Lane(
        ".venv-airflow-3.1",
        "airflow-3.1.txt",
        ("apache-airflow==3.1.0", *AIRFLOW_3_1_0_PINS),
        deployment_checks=True,
    ),
    # Amazon MWAA's 3.2.1 image. fastapi 0.137 and svcs 26 break Airflow 3.2 itself (a one-task
    # dag.test() fails with a pydantic discriminator error); MWAA's constraints pin older ones too.
    "airflow-3.2": Lane(
        ".venv-airflow-3.2",
        "airflow-3.2.txt",
        (
            "apache-airflow==3.2.1",
            "apache-airflow-providers-amazon==9.25.0",
            "apache-airflow-providers-common-messaging==2.0.3",
            "fastapi<0.137",
            "svcs<26",
        ),
        deployment_checks=True,
    ),
    "newest": Lane(".venv-newest", None, fast_only=True),
}
#: What ruff lints and formats in CI.
LINTED = ("airflow_glue_flow", "local-glue", "dags", "tests", "bench", "scripts", "docs")
#: Debian packages the slow tests need, installed by ``test`` when missing (Java for Spark jobs,
#: PostgreSQL for the deployment test, Chromium for the local console pages).
DEBIAN_PACKAGES: list[str] = [
    "openjdk-17-jre-headless",  # java: Spark (glueetl) jobs in the local Glue
    "postgresql-15",  # initdb, pg_ctl: the deployment test's throwaway Airflow database
    "chromium",  # the local Glue console's pages, opened as a browser would
    "awscli",  # the AWS CLI against the local Glue, as users drive it
]

#: Bumped when ensure_env installs differently, so that existing venvs are installed again.
INSTALL_RECIPE = b"3: locked"


def _run(*cmd: str | Path, **kwargs) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def _bin(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin")


def editables(extra: str, root: Path | str = ROOT) -> list[str]:
    """The ``-e`` arguments that install the repository's distributions (:data:`EDITABLES`).

    :param extra: the provider's extras (comma-separated); the local Glue comes through them.
    :param root: the checkout the paths start from (``.`` writes them relative, as the locks need).
    """
    return [
        arg
        for path in EDITABLES
        for arg in ("-e", f"{Path(root) / path}[{extra}]" if path == "." else str(Path(root) / path))
    ]


def ensure_env(extra: str, venv_dir: Path, lock: Path | None) -> Path:
    """Create ``venv_dir`` and install the project with ``extra`` unless already done; return its bin dir.

    :param extra: the pyproject extra to install.
    :param venv_dir: the virtualenv folder.
    :param lock: the constraints every package is installed at; None installs the newest releases.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    bin_dir = _bin(venv_dir)
    python = bin_dir / "python"
    stamp = venv_dir / f".installed-{extra}"
    # The recipe version is in the digest so that a venv installed by an older recipe is redone once.
    locked = lock.read_bytes() if lock else b""
    projects = b"".join((ROOT / path / "pyproject.toml").read_bytes() for path in EDITABLES)
    digest = hashlib.sha256(projects + locked + INSTALL_RECIPE).hexdigest()
    if lock is None:  # the newest lane resolves again every time
        digest = ""
    if digest and stamp.exists() and stamp.read_text() == digest:
        return bin_dir
    if not python.exists():
        print(f"Creating {venv_dir} ...", flush=True)
        venv.create(venv_dir, with_pip=True)
    label = f" at {lock.relative_to(ROOT)}" if lock else " (newest releases)"
    print(f"Installing airflow-glue-flow[{extra}] into {venv_dir}{label} ...", flush=True)
    _run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "uv")
    # Every package at its locked version (-c), or the newest ones (--upgrade: none kept from before);
    # pip takes the same arguments when uv cannot run.
    pinned = ["-c", str(lock)] if lock else ["--upgrade"]
    try:
        _run(bin_dir / "uv", "pip", "install", "--quiet", "--python", python, *pinned, *editables(extra))
    except (OSError, subprocess.CalledProcessError):
        _run(python, "-m", "pip", "install", "--quiet", *pinned, *editables(extra))
    # uv, unlike pip, leaves the installed modules uncompiled; where PYTHONDONTWRITEBYTECODE is set (or
    # site-packages is read-only) every process, each test's subprocesses included, then compiled the
    # thousands of modules Airflow imports from source again. Compiled once here, they are only loaded.
    print(f"Compiling the installed modules of {venv_dir} ...", flush=True)
    purelib = "compileall.compile_dir(sysconfig.get_path('purelib'), quiet=2, workers=0)"
    _run(python, "-c", f"import compileall, sysconfig; {purelib}")
    if digest:
        stamp.write_text(digest)
    return bin_dir


def ensure_debian_packages(packages: list[str]) -> None:
    """Install the Debian packages that are not installed yet (root on a Debian-based machine only)."""
    if not packages or not shutil.which("dpkg-query"):
        return
    missing = [
        name
        for name in packages
        if "install ok installed"
        not in subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True
        ).stdout
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        print(f"Not root: install these Debian packages for the slow tests: {' '.join(missing)}")
        return
    print(f"Installing Debian packages: {' '.join(missing)} ...", flush=True)
    quiet = {"DEBIAN_FRONTEND": "noninteractive", **os.environ}
    _run("apt-get", "update", "-qq", env=quiet)
    _run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=quiet)


def build_wheels(bin_dir: Path) -> int:
    """Build both distributions' wheels (into a temporary folder), as a release would; 0 when both build."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="glue-flow-wheels-") as out:
        return max(
            subprocess.call(
                [str(bin_dir / "uv"), "build", "--wheel", "--quiet", "--out-dir", out, str(ROOT / path)]
            )
            for path in EDITABLES
        )


def build_docs(bin_dir: Path, serve: bool) -> int:
    """Build the docs site with warnings as errors (a broken link or include fails it), then serve it.

    :param bin_dir: the venv's bin dir (Sphinx installed by the ``docs`` extra).
    :param serve: serve the built site on loopback until interrupted.
    """
    html = ROOT / "docs" / "_build" / "html"
    # -E: read every page again, since generated tables change with the code, not with the pages.
    build = [str(bin_dir / "sphinx-build"), "-E", "-W", "--keep-going", "-q", "-b", "html"]
    code = subprocess.call([*build, "-d", str(html.parent / "doctrees"), "docs", str(html)], cwd=ROOT)
    if code or not serve:
        print(f"Docs built into {html}" if not code else "The docs build failed (warnings are errors).")
        return code
    print("Serving the docs on http://127.0.0.1:8000 (Ctrl-C stops)", flush=True)
    serve_cmd = [str(bin_dir / "python"), "-m", "http.server", "8000", "--bind", "127.0.0.1", "-d", str(html)]
    try:
        return subprocess.call(serve_cmd)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {*EXTRAS, *LANES}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    lane = LANES.get(command, LANES["test"])
    lock = CONSTRAINTS / lane.lock if lane.lock else None
    bin_dir = ensure_env(EXTRAS.get(command, "test"), ROOT / lane.venv, lock)
    python = bin_dir / "python"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    if command == "demo":
        return subprocess.call([str(python), str(ROOT / "scripts" / "demo.py"), *rest], cwd=ROOT, env=env)
    if command == "docs":
        return build_docs(bin_dir, serve="--serve" in rest)
    if lane.fast_only or "--fast" in rest:
        rest = [*FAST, *(arg for arg in rest if arg != "--fast")]
    else:
        ensure_debian_packages(DEBIAN_PACKAGES)
    if command == "newest":
        return newest_report(python, env, rest)
    if lane.deployment_checks:
        # The fast tests, then the deployment checks with the real scheduler and triggerer.
        fast = _pytest(python, env, *FAST, *rest)
        return _pytest(python, env, *rest, *DEPLOYMENT_CHECKS) or fast
    # Lint and type-check in the locked lane only: the other lanes check that the package runs there.
    lint = (
        0
        if command != "test"
        else subprocess.call([str(bin_dir / "ruff"), "check", *LINTED], cwd=ROOT)
        | subprocess.call([str(bin_dir / "ruff"), "format", "--check", *LINTED], cwd=ROOT)
        | subprocess.call([str(bin_dir / "mypy"), "airflow_glue_flow"], cwd=ROOT)
        | subprocess.call([str(bin_dir / "mypy"), "glue_flow_local"], cwd=LOCAL_GLUE)
        | build_wheels(bin_dir)
    )
    return _pytest(python, env, *rest) or lint


def _pytest(python: Path, env: dict[str, str], *args: str) -> int:
    return subprocess.call([str(python), "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=ROOT, env=env)


def newest_report(python: Path, env: dict[str, str], args: list[str]) -> int:
    """Run the fast tests at the newest releases; print what differs from the lock and what failed."""
    report = ROOT / LANES["newest"].venv / "failed-tests.txt"
    report.unlink(missing_ok=True)
    status = _pytest(python, env, *args, "-rf", f"--junitxml={report.with_suffix('.xml')}")
    freeze = subprocess.run(
        [str(python.parent / "uv"), "pip", "freeze", "--python", str(python)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    locked = _pinned((CONSTRAINTS / "latest.txt").read_text())
    differ = [
        f"  {name}: {locked.get(name, 'not locked')} -> {version}"
        for name, version in sorted(_pinned(freeze).items())
        if locked.get(name) != version
    ]
    print("Newest releases that differ from constraints/latest.txt:", *differ or ["  none"], sep="\n")
    failed = _failed_tests(report.with_suffix(".xml"))
    print(f"Tests that fail at the newest releases: {len(failed)}", *(f"  {t}" for t in failed), sep="\n")
    return status


def _pinned(requirements: str) -> dict[str, str]:
    """{normalized name: version} of the ``name==version`` lines of a requirements text."""
    pins = {}
    for line in requirements.splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[name.lower().replace("_", "-").replace(".", "-")] = version.strip()
    return pins


def _failed_tests(junit: Path) -> list[str]:
    """The node ids of the failed or erroring tests of a pytest JUnit XML report."""
    import xml.etree.ElementTree as ElementTree

    if not junit.exists():
        return ["(no report: pytest did not run)"]
    return [
        f"{case.get('classname')}::{case.get('name')}"
        for case in ElementTree.parse(junit).iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
