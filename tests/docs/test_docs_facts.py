"""The docs say only what the code still does: commands, environment variables, classes, examples.

The docs build (``python3 scripts/dev.py docs``) fails on broken links, includes and parameter tables;
these tests check what it cannot see, with the same discovery functions
(``docs/extensions/glue_flow_facts.py``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.docs.pages import PAGES, README, facts

HOWTOS = {
    name: text for name, text in PAGES.items() if name.startswith("docs/howto/") or name == "docs/encoding.md"
}
INCLUDE = re.compile(r"```\{literalinclude\} (\S+)\n(?::[^\n]*\n)*?:start-after: \"\[START (\w+)\]\"")


def _all_commands() -> list[tuple[str, list[str]]]:
    return [
        (name, words)
        for name, text in {"README.md": README, **PAGES}.items()
        for words in facts.documented_commands(text)
    ]


def test_every_documented_command_exists():
    commands = _all_commands()
    # The extractor finds the commands of each kind (an extractor that finds nothing would pass silently).
    assert {words[0] for _, words in commands} >= {
        "glue-flow",
        "glue-flow-local",
        "scripts/dev.py",
        "-m",
        "airflow",
    }

    problems = [(name, " ".join(words), facts.command_problem(words)) for name, words in commands]
    assert [problem for problem in problems if problem[2]] == []


@pytest.mark.parametrize(
    "words",
    [
        ["glue-flow", "local", "start"],
        ["glue-flow", "sample", "upload", "--no-such-option", "x"],
        # glue-flow local serve passes its options on to glue-flow-local serve, which must know them.
        ["glue-flow", "local", "serve", "--no-such-option", "x"],
        ["glue-flow-local", "start"],
        ["glue-flow-local", "serve", "--no-such-option"],
        ["glue-flow-local", "--no-such-option"],
        ["glue-flow-local", "warm", "--port", "1"],
        ["scripts/dev.py", "publish"],
        ["scripts/dev.py", "docs", "--open"],
        ["-m", "airflow_glue_flow.no_such_module"],
        ["-m", "airflow_glue_flow.hooks"],
        ["airflow", "dags", "test", "no_such_dag"],
    ],
)
def test_a_command_that_no_longer_exists_is_reported(words):
    assert facts.command_problem(words)


def test_a_command_that_exists_is_not_reported():
    for words in (
        ["glue-flow", "local", "serve", "--port", "4566", "--min-crawl-seconds", "1"],
        ["glue-flow-local", "serve", "--port", "4566"],
        ["glue-flow-local", "--port", "4566"],
        ["glue-flow-local", "warm"],
    ):
        assert facts.command_problem(words) is None, words


def test_the_option_table_of_glue_flow_local_serve_is_its_own_parser():
    """``glue-flow local serve`` forwards its options, so both names give the local Glue's parser."""
    from glue_flow_local.serve import add_arguments

    expected = argparse.ArgumentParser()
    add_arguments(expected)
    options = {o for action in expected._actions for o in action.option_strings} - {"-h", "--help"}

    for command in ("glue-flow-local serve", "glue-flow local serve"):
        parser = facts.command_parser(command)
        assert {o for action in parser._actions for o in action.option_strings} >= options >= {"--port"}


def test_commands_are_found_in_code_blocks_and_inline_code():
    text = "Run `glue-flow sample upload --bucket b` or\n\n```bash\n.venv/bin/glue-flow local serve \\\n  --port 1  # c\n```\n"

    assert facts.documented_commands(text) == [
        ["glue-flow", "local", "serve", "--port", "1"],
        ["glue-flow", "sample", "upload", "--bucket", "b"],
    ]


def test_every_environment_variable_read_is_described_and_every_described_one_is_read():
    assert facts.env_var_problems() == []
    # The reference is not empty, and covers the provider's, the DAGs' and the local Glue's variables.
    assert {"GLUE_FLOW_CONSOLE_URL", "GLUE_FLOW_PARAMS", "GLUE_FLOW_LOCAL_STATE_DIR"} <= set(
        facts.env_vars_read()
    )


def test_a_variable_read_but_undescribed_or_described_but_unread_is_reported(tmp_path, monkeypatch):
    described = tomllib.loads(facts.ENVIRONMENT_FILE.read_text())
    del described["GLUE_FLOW_PARAMS"]
    lines = [f'[{name}]\nmeaning = "x"\n' for name in [*described, "GLUE_FLOW_NO_LONGER_READ"]]
    (tmp_path / "env.toml").write_text("\n".join(lines))
    monkeypatch.setattr(facts, "ENVIRONMENT_FILE", tmp_path / "env.toml")

    problems = facts.env_var_problems()

    assert len(problems) == 2
    assert any(p.startswith("GLUE_FLOW_PARAMS is read by dags/glue_etl_flow.py") for p in problems)
    assert any(p.startswith("GLUE_FLOW_NO_LONGER_READ is described") for p in problems)


def test_only_whole_strings_count_as_reads():
    read = facts.env_vars_read()

    # Spelled in help texts and docstrings too, but read through the constants of settings.py.
    assert "GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS" in read
    assert all(name == name.upper() and " " not in name for name in read)


def test_every_operator_sensor_hook_and_trigger_has_a_howto_and_an_api_page():
    classes = facts.provider_classes()
    modules = set(facts.api_modules())
    howto_text = "\n".join(HOWTOS.values())

    assert {"operators", "sensors", "hooks", "triggers"} <= set(classes)
    for kind, names in classes.items():
        for dotted in names:
            module, _, name = dotted.rpartition(".")
            assert module in modules, f"{dotted} has no API page"
            assert f"`{name}`" in howto_text or f".{name}`" in howto_text, f"{kind}: {name} has no how-to"


@pytest.mark.parametrize("kind", ["operators", "sensors", "triggers"])
def test_every_parameter_is_described_and_every_description_names_a_parameter(kind):
    """The parameter tables are generated from these descriptions, so a missing or stale one would show."""
    for dotted in facts.provider_classes()[kind]:
        module, _, name = dotted.rpartition(".")
        assert facts.param_problems(getattr(importlib.import_module(module), name)) == [], dotted


def test_a_stale_or_missing_parameter_description_is_reported():
    class Task:
        """A task.

        :param old_name: renamed since.
        """

        def __init__(self, new_name: str) -> None:
            self.new_name = new_name

    assert facts.param_problems(Task) == [
        "parameter 'new_name' has no :param: description",
        ":param old_name: names no parameter of __init__",
    ]


def _marked_regions() -> dict[str, str]:
    """The text between each ``[START name]`` and ``[END name]`` comment of the DAG files."""
    regions: dict[str, str] = {}
    for path in sorted((REPO_ROOT / "dags").glob("*.py")):
        text = path.read_text()
        for name in re.findall(r"# \[START (\w+)\]", text):
            start = text.index(f"# [START {name}]")
            end = text.index(f"# [END {name}]", start)
            regions[name] = text[start:end]
    return regions


def test_every_included_example_is_a_marked_part_of_a_dag_file():
    regions = _marked_regions()
    included = [(page, path, name) for page, text in PAGES.items() for path, name in INCLUDE.findall(text)]

    assert included
    for page, path, name in included:
        assert (Path(page).parent / path).resolve().parent == REPO_ROOT / "dags", (page, path)
        assert name in regions, f"{page} includes {name}, which {path} does not mark"
    # Every how-to page shows at least one example from a ready DAG.
    assert {page for page, _, _ in included} >= set(HOWTOS)


def test_every_operator_and_sensor_appears_in_an_included_example():
    regions = _marked_regions()
    included_names = {name for text in PAGES.values() for _, name in INCLUDE.findall(text)}
    shown = "\n".join(text for name, text in regions.items() if name in included_names)
    classes = facts.provider_classes()

    for dotted in classes["operators"] + classes["sensors"]:
        name = dotted.rpartition(".")[2]
        if name == "GlueFlowFailureGuardOperator":  # added by the first conditional trigger of a DAG
            assert "GlueConditionalTriggerSensor(" in shown
            continue
        assert f"{name}(" in shown, f"no included DAG example builds {name}"


def test_readme_is_short_links_into_the_docs_and_is_the_long_description():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())

    assert len(README.splitlines()) <= 250
    assert pyproject["project"]["readme"] == "README.md"
    assert "python3 scripts/dev.py docs" in README
    links = re.findall(r"\]\(((?:docs/|CHANGELOG)[^)#]*)(?:#[^)]*)?\)", README)
    assert len(links) >= 10
    for link in links:
        assert (REPO_ROOT / link).is_file(), link


def test_readme_tour_example_builds_its_tasks():
    from airflow.sdk import DAG

    [block] = re.findall(r"```python\n(.*?)```", README, re.S)
    with DAG("readme_tour", schedule=None) as dag:
        exec(compile(block, "README.md", "exec"), {})

    assert set(dag.task_ids) == {"start_crawler", "wait_for_crawler", "run_job"}
    assert dag.get_task("run_job").upstream_task_ids == {"wait_for_crawler"}
