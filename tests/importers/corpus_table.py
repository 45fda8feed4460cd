"""The migration page's corpus table: what ``glue-flow import`` makes of each corpus file, recomputed.

``test_corpus_table`` compares it with ``docs/migration.md``; ``python -m tests.importers.corpus_table``
writes it there after a change to the importers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from airflow_glue_flow.importers import ImportError_, import_workflow
from airflow_glue_flow.importers.asl import AslImportError, import_asl

DATA = Path(__file__).parent / "data"
PAGE = Path(__file__).resolve().parents[2] / "docs" / "migration.md"
START, END = "<!-- corpus table: start -->", "<!-- corpus table: end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def asl_rows() -> list[str]:
    rows = []
    for path in sorted((DATA / "asl_corpus").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        try:
            result = import_asl(document, name=path.stem)
        except AslImportError as err:
            outcome = f"partial: stops at state `{err.state}`: {err.construct}"
        else:
            flags = len(result.report["flags"])
            plural = "s" if flags > 1 else ""
            outcome = "imported fully" + (
                f" ({flags} difference{plural} declared in the header)" if flags else ""
            )
        rows.append(f"| {path.name[:2]} | {_cell(path.stem[3:])} | {_cell(outcome)} |")
    return rows


def workflow_rows() -> list[str]:
    rows = []
    for path in sorted(DATA.glob("*.json")):
        try:
            result = import_workflow(json.loads(path.read_text(encoding="utf-8")))
        except ImportError_ as err:
            rows.append(f"| {path.name[:2]} | {_cell(path.stem[3:])} | partial: stops: {_cell(str(err))} |")
            continue
        missing = [
            f"trigger `{t['trigger']}` ({t['type']}) not translated"
            for t in result.report["triggers"]
            if "not translated" in t["became"]
        ]
        outcome = "partial: " + "; ".join(missing) if missing else "imported fully"
        rows.append(f"| {path.name[:2]} | {_cell(path.stem[3:])} | {_cell(outcome)} |")
    return rows


def table() -> str:
    """The Markdown between the page's corpus-table markers."""
    asl = asl_rows()
    full = sum("imported fully" in row for row in asl)
    lines = [
        f"{full} of the {len(asl)} state machines import fully:",
        "",
        "| # | state machine | `glue-flow import asl` |",
        "|---|---------------|------------------------|",
        *asl,
        "",
        "| # | Glue workflow | `glue-flow import workflow` |",
        "|---|---------------|-----------------------------|",
        *workflow_rows(),
    ]
    return "\n".join(lines) + "\n"


def page_table(page: str) -> str:
    """The table the page holds now."""
    return page.split(START + "\n", 1)[1].split(END, 1)[0]


def main() -> int:
    page = PAGE.read_text(encoding="utf-8")
    before, rest = page.split(START + "\n", 1)
    after = rest.split(END, 1)[1]
    PAGE.write_text(before + START + "\n" + table() + END + after, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
