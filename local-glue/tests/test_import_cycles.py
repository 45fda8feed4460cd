"""The local Glue's modules import each other without a module-level cycle (the repository's
scripts/import_cycles.py finds them; its own tests are in the provider's tests/scripts)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import glue_flow_local

TOOL = Path(__file__).resolve().parents[2] / "scripts" / "import_cycles.py"


def test_the_local_glue_has_no_module_level_import_cycle() -> None:
    spec = importlib.util.spec_from_file_location("import_cycles", TOOL)
    assert spec is not None and spec.loader is not None, f"no import cycle tool at {TOOL}"
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    assert tool.cycles(tool.import_graph(Path(glue_flow_local.__file__).parent)) == []
