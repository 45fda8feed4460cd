"""Sphinx configuration of the airflow-glue-flow docs (``python3 scripts/dev.py docs`` builds them).

Pages are Markdown (MyST); examples are included from the DAG files between ``[START ...]`` and
``[END ...]`` markers; parameter tables, the environment-variable reference and the API pages come from
the code through ``extensions/glue_flow_sphinx.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "extensions"))
sys.path.insert(0, str(DOCS.parent))
# Importing Airflow (the DAG files, autodoc) writes a default config into AIRFLOW_HOME: keep it out of
# the user's home. Nothing here opens a database or contacts AWS.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="glue-flow-docs-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from airflow_glue_flow import __version__  # noqa: E402

project = "airflow-glue-flow"
author = "airflow-glue-flow contributors"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "glue_flow_sphinx",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "extensions", "README.md"]
# `#section` links inside a page and `page.md#section` links across pages resolve to headings; one that
# names no heading is a warning, so with -W a broken internal link fails the build.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]
suppress_warnings: list[str] = []
# Option names (--state-dir), quotes and apostrophes in code-like text stay as written.
smartquotes = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"exclude-members": "__init__, __new__"}

html_theme = "furo"
html_title = f"airflow-glue-flow {release}"
