"""scripts/import_cycles.py finds module-level import cycles, and the provider has none."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import import_cycles  # noqa: E402


def _package(tmp_path: Path, modules: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__": "", **modules}.items():
        path = root / f"{name.replace('.', '/')}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    "a_imports",
    [
        "from pkg import b",
        "from . import b",
        "import pkg.b",
        "from pkg.b import NAME",
        # Annotation-only imports count: the two modules still need each other's names.
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import NAME",
    ],
)
def test_a_cycle_between_two_modules_is_found_however_the_import_is_written(
    tmp_path: Path, a_imports: str
) -> None:
    root = _package(
        tmp_path, {"a": f"{a_imports}\nNAME = 1\n", "b": "from .a import NAME\n", "c": "from . import a\n"}
    )

    assert import_cycles.cycles(import_cycles.import_graph(root)) == [["pkg.a", "pkg.b"]]
    assert import_cycles.main([str(root)]) == 1


def test_imports_inside_functions_and_across_subpackages_without_a_loop_are_not_cycles(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "a": "def later():\n    from .b import NAME\n    return NAME\n",
            "b": "from .a import later\nNAME = 1\n",
            "sub.__init__": "from .x import X\n",
            "sub.x": "from ..b import NAME as X\n",
        },
    )

    assert import_cycles.import_graph(root)["pkg.sub.x"] == {"pkg.b"}
    assert import_cycles.cycles(import_cycles.import_graph(root)) == []
    assert import_cycles.main([str(root)]) == 0


def test_the_provider_has_no_module_level_import_cycle() -> None:
    assert import_cycles.cycles(import_cycles.import_graph(REPO / "airflow_glue_flow")) == []
