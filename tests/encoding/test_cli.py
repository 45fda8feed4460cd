"""The job's arguments: read like getResolvedOptions, checked before any S3 call."""

from __future__ import annotations

import pytest

from airflow_glue_flow.encoding.cli import REQUIRED_ARGS, ArgumentError, resolve_options

ARGV = [
    "script.py",
    "--JOB_NAME",
    "convert",
    "--BUCKET_NAME",
    "cli-bucket",
    "--BUCKET_PATH=in/",
    "--job-bookmark-option",
    "job-bookmark-disable",
    "--BUCKET_PATH_DECODE",
    "utf8/",
    "--JOB_RUN_ID",
    "jr_123",
    "--BUCKET_PATH_ORG",
    "shift_jis/",
    "--scriptLocation",
    "s3://scripts/encoding.py",
    "--DECODE_LANG",
    "cp932",
]


def test_resolves_both_forms_and_ignores_unknown_arguments():
    assert resolve_options(ARGV, REQUIRED_ARGS) == {
        "BUCKET_NAME": "cli-bucket",
        "BUCKET_PATH": "in/",
        "BUCKET_PATH_DECODE": "utf8/",
        "BUCKET_PATH_ORG": "shift_jis/",
        "DECODE_LANG": "cp932",
    }


def test_argv0_is_skipped_even_when_it_looks_like_an_argument():
    assert resolve_options(["--DECODE_LANG", "--BUCKET_NAME", "b"], ["BUCKET_NAME"]) == {"BUCKET_NAME": "b"}


def test_last_occurrence_wins_and_values_may_contain_equals():
    argv = ["s", "--BUCKET_NAME", "a", "--BUCKET_NAME=b=c"]
    assert resolve_options(argv, ["BUCKET_NAME"]) == {"BUCKET_NAME": "b=c"}


def test_optional_arguments_are_returned_when_given():
    argv = [*ARGV, "--ERRORS", "replace", "--MAX_WORKERS=3"]
    opts = resolve_options(argv, REQUIRED_ARGS)
    assert opts["ERRORS"] == "replace" and opts["MAX_WORKERS"] == "3"


def test_missing_required_arguments_are_named():
    with pytest.raises(
        ArgumentError, match="missing required job argument\\(s\\): --BUCKET_PATH_ORG, --DECODE_LANG"
    ):
        resolve_options(ARGV[:-6], REQUIRED_ARGS)


def test_argument_without_value_is_an_error():
    with pytest.raises(ArgumentError, match="--DECODE_LANG expects a value"):
        resolve_options([*ARGV[:-1]], REQUIRED_ARGS)
    with pytest.raises(ArgumentError, match="--BUCKET_NAME expects a value"):
        resolve_options(["s", "--BUCKET_NAME", "--DECODE_LANG", "cp932"], ["BUCKET_NAME"])
