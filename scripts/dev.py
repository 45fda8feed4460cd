#!/usr/bin/env python3
"""Bootstrap and run: ``python3 scripts/dev.py demo``, ``test [--fast] [pytest args]``, ``lowest`` or
``docs [--serve]``.

Creates ``.venv`` beside the project with the interpreter that runs this script, installs the project
with the extras the command needs (with uv when it can, which is several times faster than pip), then
runs the demo flow on the local Glue or the test suite (after ruff and mypy). Reinstalls only when
pyproject.toml changes.
``test`` also installs the Debian packages the end-to-end tests need when they are missing and this
runs as root (as CI does); ``--fast`` leaves out the tests marked slow. ``lowest`` installs the lowest
versions that pyproject.toml's direct dependencies allow into ``.venv-lowest`` and runs the fast tests
there, so the declared floors stay true. ``docs`` builds the docs site into ``docs/_build/html`` with
warnings as errors; ``--serve`` then serves it on http://127.0.0.1:8000.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The demo runs the seed's Spark job where Java is installed (pyspark is a 400 MB download otherwise unused).
EXTRAS = {
    "demo": "local,spark" if shutil.which("java") else "local",
    "test": "test",
    "lowest": "test",
    "docs": "docs",
}
#: What ruff lints and formats in CI.
LINTED = ("airflow_glue_flow", "local-glue", "dags", "tests", "bench", "scripts", "docs")
#: The two distributions, installed editable together: the local Glue first, then the provider.
LOCAL_GLUE = ROOT / "local-glue"
#: Debian packages the slow tests need, installed by ``test`` when missing (Java for Spark jobs,
#: PostgreSQL for the deployment test, Chromium for the local console pages).
DEBIAN_PACKAGES: list[str] = [
    "openjdk-17-jre-headless",  # java: Spark (glueetl) jobs in the local Glue
    "postgresql-15",  # initdb, pg_ctl: the deployment test's throwaway Airflow database
    "chromium",  # the local Glue console's pages, opened as a browser would
    "awscli",  # the AWS CLI against the local Glue, as users drive it
]

#: Bumped when ensure_env installs differently, so that existing venvs are installed again.
INSTALL_RECIPE = b"2: compiled"


def _run(*cmd: str | Path, **kwargs) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def _bin(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin")


def ensure_env(extra: str, venv_dir: Path, lowest: bool = False) -> Path:
    """Create ``venv_dir`` and install the project with ``extra`` unless already done; return its bin dir.

    :param extra: the pyproject extra to install.
    :param venv_dir: the virtualenv folder.
    :param lowest: install the lowest versions the direct dependencies allow (the floors lane).
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    bin_dir = _bin(venv_dir)
    python = bin_dir / "python"
    stamp = venv_dir / f".installed-{extra}"
    # The recipe version is in the digest so that a venv installed by an older recipe is redone once.
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (LOCAL_GLUE / "pyproject.toml").read_bytes() + INSTALL_RECIPE
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return bin_dir
    if not python.exists():
        print(f"Creating {venv_dir} ...", flush=True)
        venv.create(venv_dir, with_pip=True)
    label = " (lowest direct versions)" if lowest else ""
    print(f"Installing airflow-glue-flow[{extra}] into {venv_dir}{label} ...", flush=True)
    _run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "uv")
    # The floors lane needs uv's resolver; the normal install falls back to pip when uv cannot run.
    resolution = ["--resolution", "lowest-direct"] if lowest else []
    try:
        _run(
            bin_dir / "uv",
            "pip",
            "install",
            "--quiet",
            *resolution,
            "--python",
            python,
            "-e",
            LOCAL_GLUE,
            "-e",
            f"{ROOT}[{extra}]",
        )
    except (OSError, subprocess.CalledProcessError):
        if lowest:
            raise
        _run(python, "-m", "pip", "install", "--quiet", "-e", LOCAL_GLUE, "-e", f"{ROOT}[{extra}]")
    # uv, unlike pip, leaves the installed modules uncompiled; where PYTHONDONTWRITEBYTECODE is set (or
    # site-packages is read-only) every process, each test's subprocesses included, then compiled the
    # thousands of modules Airflow imports from source again. Compiled once here, they are only loaded.
    print(f"Compiling the installed modules of {venv_dir} ...", flush=True)
    purelib = "compileall.compile_dir(sysconfig.get_path('purelib'), quiet=2, workers=0)"
    _run(python, "-c", f"import compileall, sysconfig; {purelib}")
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
                [str(bin_dir / "uv"), "build", "--wheel", "--quiet", "--out-dir", out, str(source)]
            )
            for source in (LOCAL_GLUE, ROOT)
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
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    lowest = command == "lowest"
    bin_dir = ensure_env(EXTRAS[command], ROOT / (".venv-lowest" if lowest else ".venv"), lowest=lowest)
    python = bin_dir / "python"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    if command == "demo":
        return subprocess.call([str(python), str(ROOT / "scripts" / "demo.py"), *rest], cwd=ROOT, env=env)
    if command == "docs":
        return build_docs(bin_dir, serve="--serve" in rest)
    if lowest or "--fast" in rest:
        rest = ["-m", "not slow", *(arg for arg in rest if arg != "--fast")]
    else:
        ensure_debian_packages(DEBIAN_PACKAGES)
    # Lint and type-check at the latest versions only: the floors lane checks that the package runs there.
    lint = (
        0
        if lowest
        else subprocess.call([str(bin_dir / "ruff"), "check", *LINTED], cwd=ROOT)
        | subprocess.call([str(bin_dir / "ruff"), "format", "--check", *LINTED], cwd=ROOT)
        | subprocess.call([str(bin_dir / "mypy"), "airflow_glue_flow"], cwd=ROOT)
        | subprocess.call([str(bin_dir / "mypy"), "glue_flow_local"], cwd=LOCAL_GLUE)
        | build_wheels(bin_dir)
    )
    tests = subprocess.call([str(python), "-m", "pytest", "-p", "no:cacheprovider", *rest], cwd=ROOT, env=env)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
