"""The note a Spark run writes when its Spark or Python is not the one its GlueVersion declares
(Glue 4.0: Spark 3.3, Python 3.10; Glue 5.0: Spark 3.5, Python 3.11;
https://docs.aws.amazon.com/glue/latest/dg/release-notes.html)."""

from __future__ import annotations

from .conftest import awsglue_importable


def test_the_note_names_the_declared_and_the_used_versions() -> None:
    with awsglue_importable():
        from awsglue._runtime import runtime_note  # type: ignore[import-not-found]

        assert runtime_note("4.0", "3.5.9", (3, 11)) == (
            "GlueVersion 4.0 declares Spark 3.3 and Python 3.10; this local run uses Spark 3.5.9 and Python 3.11"
        )
        assert runtime_note("5.0", "3.5.9", (3, 11)) is None
        assert runtime_note("5.0", "3.5.9", (3, 12)) is not None
        assert runtime_note("", "3.5.9", (3, 11)) is None
