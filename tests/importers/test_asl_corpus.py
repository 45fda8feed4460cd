"""Every state machine of the migration corpus imports to a DAG that parses, or stops naming the state and
the construct it cannot translate (and with ``--allow-partial`` imports with a failing task there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_glue_flow.importers.asl import AslImportError, import_asl
from tests.support.airflow_internals import parse_dags
from tests.support.amazon_provider import ATHENA_NEEDS_DATABASE

CORPUS_DIR = Path(__file__).parent / "data" / "asl_corpus"
CORPUS = sorted(CORPUS_DIR.glob("*.json"))

#: What stops each file that does not import: (state, a word of the construct).
STOPS = {
    "01": ("Wait until worflow run is completed", "no Glue workflow operator"),
    "03": ("(the state machine)", "JSONata"),
    "05": ("Generate example log", "${data_generation_function}"),
    "06": ("Wait For Sales Data", "${WaitForSalesDataActivityArn}"),
    "08": ("CrawlerMap", "mapped task group"),
    "09": ("Raw File Crawler Status Check", "loop"),
    "10": ("RunGlueCrawler", "arn:aws:states:::glue:startCrawler"),
    "14": ("Data Quality Run", "mapped task group"),
    "18": ("Publish error notification", "waitForTaskToken"),
    "19": ("Publish Error Notification", "waitForTaskToken"),
    "20": ("Check Worker", "loop"),
}


def test_the_corpus_is_here() -> None:
    assert len(CORPUS) == 20


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name[:2])
def test_corpus_state_machine_imports_or_stops_naming_it(path: Path, tmp_path: Path) -> None:
    document = json.loads(path.read_text())
    number = path.name[:2]
    if number in STOPS:
        state, construct = STOPS[number]
        with pytest.raises(AslImportError) as caught:
            import_asl(document, name=path.stem)
        assert caught.value.state == state
        assert construct in caught.value.construct
    result = import_asl(document, name=path.stem, allow_partial=number in STOPS)
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(result.dag_source)
    bag = parse_dags(dag_file)
    if ATHENA_NEEDS_DATABASE and any(
        "AthenaOperator without a database" in f for f in result.report["flags"]
    ):
        # Before amazon 9.33.0 the DAG cannot import, and the report names that release.
        assert "database" in next(iter(bag.import_errors.values()))
        return
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    # Every state's row names a task (or task group) the DAG has.
    for row in result.report["states"]:
        task_id = row["became"].split(" ")[0] if not row["became"].startswith("task group") else None
        if task_id is not None:
            assert task_id in dag.task_ids, row
    if number in STOPS:
        assert any(STOPS[number][0] in flag for flag in result.report["flags"])
