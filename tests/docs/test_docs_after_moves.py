"""The docs follow the code when it moves: config options, the local Glue's API, old names, layouts.

Renamed classes and moved modules stay importable for a release; the docs name the new places and
mention an old one only to say it is deprecated. The layout drawings name only what exists.
"""

from __future__ import annotations

import importlib
import re
import tomllib
import warnings

from tests.conftest import REPO_ROOT
from tests.docs.pages import PAGES, README, facts


def test_every_config_option_named_is_declared_by_the_provider():
    options = facts.config_options()

    assert {name for _, name, _, _ in options} >= {"triggerer_gc_freeze", "merged_checks"}
    for name, text in {"README.md": README, **PAGES}.items():
        assert facts.config_problems(text) == [], name
    # Both options are explained on the internals page, which renders their table.
    internals = PAGES["docs/internals.md"]
    assert "```{glue-flow-config}" in internals
    assert all(f"`[glue_flow] {name}" in internals for _, name, _, _ in options)


def test_an_undeclared_config_option_is_reported():
    text = "Set `[glue_flow] merged_checks = True` or `[glue_flow] batch_checks = True` (`[core] x`),\n"
    text += "or AIRFLOW__GLUE_FLOW__MERGED_CHECKS and AIRFLOW__GLUE_FLOW__GC_FREEZE."

    assert facts.config_problems(text) == [
        "[glue_flow] batch_checks is not a config option of the provider",
        "AIRFLOW__GLUE_FLOW__GC_FREEZE sets no config option of the provider",
    ]


def test_the_local_glue_python_api_has_pages_and_deprecated_modules_have_none():
    modules = set(facts.api_modules())

    assert {
        "glue_flow_local",
        "glue_flow_local.testing",
        "glue_flow_local.pytest_plugin",
        "glue_flow_local.settings",
        "glue_flow_local.process",
    } <= modules
    # Old import paths are aliases of the new places, documented there (and in the changelog's table).
    assert not modules & {
        "airflow_glue_flow.sensors.crawler",
        "airflow_glue_flow.operators.conditional",
        "airflow_glue_flow.hooks.job_wait",
        "airflow_glue_flow.flow_jobs",
        "airflow_glue_flow.local",
    }
    assert {"airflow_glue_flow.operators.crawler_wait", "airflow_glue_flow.sensors.conditional"} <= modules


DOTTED = re.compile(r"\b((?:airflow_glue_flow|glue_flow_local)(?:\.\w+)+)")


def _deprecated_module(dotted: str) -> str | None:
    """The longest importable module prefix of ``dotted`` when it is a deprecated alias, else None."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                importlib.import_module(name)
        except ImportError:
            continue
        return None if facts._imports_without_deprecation(name) is not None else name
    return None


def _renamed_names() -> set[str]:
    """The old names of renamed public classes (``GlueCrawlerReadySensor``), from the deprecated modules."""
    import pkgutil

    import airflow_glue_flow

    old: set[str] = set()
    for info in pkgutil.walk_packages(airflow_glue_flow.__path__, prefix="airflow_glue_flow."):
        if any(part.startswith("_") for part in info.name.split(".")):  # __main__ runs a command
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = importlib.import_module(info.name)
        moved = vars(module).get("_MOVED")
        old |= set(getattr(moved, "renamed", {}))
    return old


def test_docs_name_old_import_paths_only_to_say_they_are_deprecated():
    """A moved module or renamed class named in a paragraph that does not say it is deprecated is stale."""
    old_names = _renamed_names()
    stale = [
        (name, dotted)
        for name, text in {"README.md": README, **PAGES}.items()
        for paragraph in re.split(r"\n\s*\n", text)
        if not re.search(r"deprecat|formerly|old import", paragraph, re.I)
        for dotted in DOTTED.findall(paragraph) + re.findall(r"\w+", paragraph)
        if dotted in old_names or ("." in dotted and _deprecated_module(dotted))
    ]

    assert {"GlueCrawlerReadySensor", "GlueConditionalTriggerOperator"} <= old_names

    assert _deprecated_module("airflow_glue_flow.sensors.crawler.GlueCrawlerReadySensor")
    assert _deprecated_module("airflow_glue_flow.sensors.conditional.GlueConditionalTriggerSensor") is None
    assert stale == []


def _drawn_paths(text: str, root: str) -> list[str]:
    """The folders and files a layout drawing (a fenced block starting with ``root/``) names."""
    paths: list[str] = []
    for block in re.findall(r"```\n(" + re.escape(root) + r"/\n.*?)```", text, re.S):
        parents: list[tuple[int, str]] = []
        for line in block.splitlines()[1:]:
            drawn = line.split("#", 1)[0].rstrip()
            if not drawn.strip():
                continue
            indent = len(drawn) - len(drawn.lstrip())
            parents = [(i, name) for i, name in parents if i < indent]
            folder = "/".join([root, *(name for _, name in parents)])
            for word in drawn.split():
                paths.append(f"{folder}/{word.rstrip('/')}")
                if word.endswith("/"):
                    parents.append((indent, word.rstrip("/")))
    return paths


def test_layout_drawings_name_only_what_exists():
    drawn = _drawn_paths(PAGES["docs/contributing.md"], "airflow_glue_flow")
    drawn += [f"local-glue/{p}" for p in _drawn_paths(PAGES["docs/local-glue.md"], "glue_flow_local")]

    assert "airflow_glue_flow/waits" in drawn and "local-glue/glue_flow_local/glue/jobs" in drawn
    assert [path for path in drawn if not (REPO_ROOT / path).exists()] == []


def test_the_local_glue_readme_is_short_and_links_into_the_docs():
    readme = (REPO_ROOT / "local-glue" / "README.md").read_text()
    pyproject = tomllib.loads((REPO_ROOT / "local-glue" / "pyproject.toml").read_text())

    assert pyproject["project"]["readme"] == "README.md"
    assert len(readme.splitlines()) <= 60
    links = re.findall(r"\]\((\.\./docs/[^)#]*)(?:#[^)]*)?\)", readme)
    assert "../docs/local-glue.md" in links
    for link in links:
        assert (REPO_ROOT / "local-glue" / link).resolve().is_file(), link
