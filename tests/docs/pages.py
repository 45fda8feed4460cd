"""The README and the docs pages as the tests read them, and the facts module the docs build uses."""

from __future__ import annotations

import sys

from tests.conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "docs" / "extensions"))
import glue_flow_facts as facts  # noqa: E402

README = (REPO_ROOT / "README.md").read_text()
#: Every Markdown page of ``docs/`` (not the build's output), by path from the repository root.
PAGES = {
    path.relative_to(REPO_ROOT).as_posix(): path.read_text()
    for path in sorted((REPO_ROOT / "docs").rglob("*.md"))
    if not {"_build", "generated"} & set(path.parts)
}

__all__ = ["PAGES", "README", "facts"]
