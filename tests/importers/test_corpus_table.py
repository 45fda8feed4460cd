"""The migration page's corpus table is what the importers make of the corpus today."""

from __future__ import annotations

from tests.importers.corpus_table import PAGE, page_table, table


def test_the_migration_page_table_is_recomputed_from_the_corpus() -> None:
    # After a change to an importer: python -m tests.importers.corpus_table rewrites the table.
    assert page_table(PAGE.read_text(encoding="utf-8")) == table()
