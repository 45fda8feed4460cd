#!/usr/bin/env python3
"""Write the lock files of ``constraints/``: ``python3 scripts/lock.py [lane ...]`` (every lane by default).

Each locked lane of ``scripts/dev.py`` (:data:`dev.LANES`) installs every package at the version its lock
names, so that the test command gives the same answer on any day. A lock is ``uv pip compile``'s output
for Python :data:`dev.LOCK_PYTHON` of the repository's distributions (:data:`dev.EDITABLES`, the
provider with the ``test`` extra, and ``docs`` too in the test lane) plus the lane's pins, without the editable lines themselves (they are installed from the
checkout). Run it after changing a dependency in pyproject.toml, or to move the locks to newer releases
(``--upgrade``; the ``newest`` lane shows what that would change).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev  # noqa: E402 - the lanes are defined beside the command that runs them

HEADER = "# Written by scripts/lock.py (uv pip compile, Python {python}{pins}); do not edit by hand.\n"


def compile_lock(name: str, lane: dev.Lane, upgrade: bool) -> str:
    """The lock text of ``lane``: every package pinned, the repository's own distributions left out.

    :param name: the lane's name, for messages.
    :param lane: the lane to resolve.
    :param upgrade: resolve the newest allowed releases; otherwise keep the current lock's versions.
    """
    assert lane.lock is not None, f"lane {name} installs the newest releases and has no lock"
    target = dev.CONSTRAINTS / lane.lock
    # The test lane's venv builds the docs too, so its lock covers the docs extra.
    args = dev.editables("test,docs" if name == "test" else "test", root=".")
    requirements = "\n".join([*(" ".join(args[i : i + 2]) for i in range(0, len(args), 2)), *lane.pins, ""])
    # uv keeps the versions of the file it writes to when they still fit (unless --upgrade): it writes to a
    # copy of the current lock, read back below.
    output = Path(tempfile.mkdtemp()) / "lock.txt"
    if target.exists() and not upgrade:
        shutil.copyfile(target, output)
    # Compiled from the checkout so that the editable lines read "-e ." (dropped below), never a path.
    compiled = subprocess.run(
        [
            # uv from PATH, else the one dev.py installs into .venv.
            shutil.which("uv") or str(dev._bin(dev.ROOT / ".venv") / "uv"),
            "pip",
            "compile",
            "--quiet",
            "--no-header",
            "--annotation-style",
            "line",
            "--python-version",
            dev.LOCK_PYTHON,
            "--resolution",
            lane.resolution,
            *(["--upgrade"] if upgrade else []),
            "-o",
            str(output),
            "-",
        ],
        input=requirements,
        capture_output=True,
        text=True,
        cwd=dev.ROOT,
    )
    if compiled.returncode:
        sys.exit(f"uv could not resolve lane {name}:\n{compiled.stderr}")
    text = output.read_text()
    shutil.rmtree(output.parent)
    lines = [line for line in text.splitlines() if line and not line.startswith(("-e ", "#"))]
    pins = f"; {', '.join(lane.pins)}" if lane.pins else ""
    return HEADER.format(python=dev.LOCK_PYTHON, pins=pins) + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    upgrade = "--upgrade" in argv
    names = [arg for arg in argv if arg != "--upgrade"] or [n for n, lane in dev.LANES.items() if lane.lock]
    unknown = [n for n in names if n not in dev.LANES or dev.LANES[n].lock is None]
    if unknown:
        print(f"No locked lane named {', '.join(unknown)}; the locked lanes are:", end=" ")
        print(", ".join(n for n, lane in dev.LANES.items() if lane.lock))
        return 2
    dev.CONSTRAINTS.mkdir(exist_ok=True)
    for name in names:
        lane = dev.LANES[name]
        assert lane.lock is not None
        text = compile_lock(name, lane, upgrade)
        (dev.CONSTRAINTS / lane.lock).write_text(text)
        print(f"{name}: constraints/{lane.lock} ({text.count('==')} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
