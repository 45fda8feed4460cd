"""The key scheme: folder prefixes, and the versioned key of a re-landed file."""

from __future__ import annotations

import pytest

from airflow_glue_flow.encoding.keys import ParameterProblem, check_prefixes, versioned_key

ETAG = '"0cc175b9c0f1b6a831c399e269772661"'


@pytest.mark.parametrize(
    ("key", "versioned"),
    [
        ("org/a.csv", "org/a.0cc175b9c0f1b6a831c399e269772661.csv"),
        ("org/sub/a.csv.gz", "org/sub/a.0cc175b9c0f1b6a831c399e269772661.csv.gz"),
        ("org/README", "org/README.0cc175b9c0f1b6a831c399e269772661"),
        ("org/.env", "org/.env.0cc175b9c0f1b6a831c399e269772661"),
        ("a.csv", "a.0cc175b9c0f1b6a831c399e269772661.csv"),
    ],
)
def test_versioned_key_puts_the_source_etag_before_the_extension(key, versioned):
    assert versioned_key(key, ETAG) == versioned


def test_versioned_key_of_a_multipart_source_keeps_the_part_count():
    assert versioned_key("org/a.csv", '"9b2cf535f27731c974343645a3985328-3"') == (
        "org/a.9b2cf535f27731c974343645a3985328-3.csv"
    )


@pytest.mark.parametrize(
    ("prefixes", "name", "problem"),
    [
        (("se2/in0", "se2/utf8/", "se2/org/"), "source_prefix", "must end with '/'"),
        (("in/", "utf8", "org/"), "target_prefix", "must end with '/'"),
        (("in/", "utf8/", "org"), "archive_prefix", "must end with '/'"),
        (("", "utf8/", "org/"), "source_prefix", "must not be empty"),
        (("in/", "in/utf8/", "org/"), "target_prefix", "overlaps source_prefix 'in/'"),
    ],
)
def test_bad_prefixes_name_the_parameter(prefixes, name, problem):
    with pytest.raises(ParameterProblem) as info:
        check_prefixes(*prefixes)
    assert info.value.name == name
    assert problem in info.value.problem


def test_prefix_without_slash_names_the_sibling_folders_it_would_match():
    with pytest.raises(ParameterProblem, match="'se2/in0_old/' and 'se2/in01/'"):
        check_prefixes("se2/in0", "se2/utf8/", "se2/org/")
