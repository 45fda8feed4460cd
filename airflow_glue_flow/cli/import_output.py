"""What both ``glue-flow import`` commands do with a translation: write the DAG file and the JSON report,
print the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def write_import(
    output: Path, dag_source: str, report: dict[str, Any], report_path: Path | None, text: str
) -> int:
    """Write ``dag_source`` to ``output`` and ``report`` (JSON) to ``report_path``, print ``text``; exit 0."""
    output.write_text(dag_source, encoding="utf-8")
    if report_path is not None:
        report_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(text)
    print(f"Wrote {output}")
    return 0
