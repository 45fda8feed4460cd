"""Sphinx directives that render facts from the code, and the API pages discovered at build time.

- ``glue-flow-params``: a class's parameters (name, default, templated, meaning) from its signature,
  its ``template_fields`` and the ``:param:`` fields of its docstrings. A documented parameter the
  signature lacks, or a signature parameter without a description, is a build warning (an error with
  ``-W``).
- ``glue-flow-dag-params``: a ready DAG's ``params`` (default, type and allowed values, description),
  from the DAG object itself.
- ``glue-flow-command``: the options of a command (``glue-flow-local serve``) from its argument parser.
- ``glue-flow-config``: the provider's ``[glue_flow]`` Airflow config options, from its provider metadata.
- ``glue-flow-envvars``: every ``GLUE_FLOW_*`` variable the code reads, with its description from
  ``docs/environment-variables.toml``; one read but not described, or described but not read, is a
  build warning.
- ``builder-inited`` writes one API page per public module (``docs/api/generated``), so a module that
  moves or appears is picked up without editing the docs.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, str(Path(__file__).parent))
import glue_flow_facts as facts  # noqa: E402

log = logging.getLogger(__name__)


def _cell(text: str) -> str:
    return text.replace("\n", " ").strip() or " "


def _table(header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {_cell(row[0])}")
        lines += [f"     - {_cell(cell)}" for cell in row[1:]]
    return lines


class _TableDirective(SphinxDirective):
    def render(self, lines: list[str]) -> list[nodes.Node]:
        """Parse the generated reStructuredText; in a Markdown page through MyST's ``eval-rst``."""
        if str(self.env.doc2path(self.env.docname)).endswith(".md"):
            lines = ["``````{eval-rst}", *lines, "``````"]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, container)
        if not any(isinstance(node, nodes.table) for node in container.findall()):
            log.warning(f"{self.name} rendered no table", location=self.get_location())
        return list(container.children)


class ClassParamsDirective(_TableDirective):
    """``.. glue-flow-params:: package.module.Class``"""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module_name, _, class_name = self.arguments[0].rpartition(".")
        cls = getattr(importlib.import_module(module_name), class_name)
        described = facts.docstring_params(cls)
        signature = inspect.signature(cls.__init__)
        templated = set(getattr(cls, "template_fields", ()))
        rows: list[list[str]] = []
        where = f"{self.env.docname}: {self.arguments[0]}"
        for problem in facts.param_problems(cls):
            log.warning(f"{where}: {problem}", location=self.get_location())
        for name, parameter in signature.parameters.items():
            if name == "self" or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                continue
            default = "required" if parameter.default is parameter.empty else f"``{parameter.default!r}``"
            if name == "deferrable":  # read from Airflow's config when the class is defined
                default = "``[operators] default_deferrable``"
            flag = "yes" if name in templated else ""
            rows.append([f"``{name}``", default, flag, described.get(name, "")])
        # Documented, and taken through **kwargs by a base class (the amazon provider's AWS arguments).
        for name in [n for n in described if n not in signature.parameters and n != "kwargs"]:
            rows.append(
                [f"``{name}``", "the base class's", "yes" if name in templated else "", described[name]]
            )
        lines = _table(["parameter", "default", "templated", "meaning"], rows, "20 15 10 55")
        return self.render(lines)


def _load_dags() -> dict[str, Any]:
    """Every DAG object of the ``dags/`` files, by dag_id (the files are imported, never run)."""
    from airflow.sdk import DAG

    found: dict[str, Any] = {}
    for path in sorted((facts.ROOT / "dags").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"glue_flow_docs_dag_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found |= {value.dag_id: value for value in vars(module).values() if isinstance(value, DAG)}
    return found


class DagParamsDirective(_TableDirective):
    """``.. glue-flow-dag-params:: dag_id``"""

    required_arguments = 1
    _dags: dict[str, Any] | None = None

    def run(self) -> list[nodes.Node]:
        if DagParamsDirective._dags is None:
            DagParamsDirective._dags = _load_dags()
        dag = DagParamsDirective._dags.get(self.arguments[0])
        if dag is None:
            log.warning(f"no DAG {self.arguments[0]!r} in dags/", location=self.get_location())
            return []
        rows = []
        for name in dag.params:
            param = dag.params.get_param(name)
            schema = {k: v for k, v in param.schema.items() if k != "description"}
            kind = schema.pop("type", "")
            rule = ", ".join(f"``{k}: {json.dumps(v, ensure_ascii=False)}``" for k, v in schema.items())
            rows.append(
                [
                    f"``{name}``",
                    f"``{json.dumps(param.value, ensure_ascii=False)}``",
                    kind,
                    rule,
                    param.description or "",
                ]
            )
        return self.render(_table(["param", "default", "type", "rules", "meaning"], rows, "18 22 8 22 30"))


class EnvVarsDirective(_TableDirective):
    """``.. glue-flow-envvars::``"""

    def run(self) -> list[nodes.Node]:
        for problem in facts.env_var_problems():
            log.warning(problem, location=self.get_location())
        documented = facts.env_vars_documented()
        rows = [
            [
                f"``{name}``",
                documented.get(name, {}).get("default", ""),
                documented.get(name, {}).get("meaning", ""),
                ", ".join(f"``{file}``" for file in files),
            ]
            for name, files in facts.env_vars_read().items()
        ]
        return self.render(_table(["variable", "default", "meaning", "read by"], rows, "22 15 43 20"))


class ConfigOptionsDirective(_TableDirective):
    """``.. glue-flow-config::``: the provider's Airflow config options, from ``get_provider_info()``."""

    def run(self) -> list[nodes.Node]:
        rows = [
            [f"``[{section}] {name}``", f"``{env}``", f"``{option['default']}``", option["description"]]
            for section, name, env, option in facts.config_options()
        ]
        if not rows:
            log.warning("the provider declares no config options", location=self.get_location())
        return self.render(
            _table(["option", "environment variable", "default", "meaning"], rows, "20 28 8 44")
        )


class CommandOptionsDirective(_TableDirective):
    """``.. glue-flow-command:: glue-flow-local serve``: the options of an installed command, from its
    own argument parser (``glue_flow_facts.command_parser``)."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        program = self.arguments[0].split()[0]
        if not importlib.metadata.entry_points(group="console_scripts", name=program):
            log.warning(f"no installed console script {program}", location=self.get_location())
            return []
        parser = facts.command_parser(self.arguments[0])
        rows = []
        for action in parser._actions:
            if not action.option_strings or "-h" in action.option_strings:
                continue
            metavar = "" if action.nargs == 0 else f" {action.metavar or action.dest.upper()}"
            flags = ", ".join(f"``{flag}{metavar}``" for flag in action.option_strings)
            default = (
                ""
                if action.default is None or action.default is False or action.default == ""
                else f"``{action.default}``"
            )
            help_text = (action.help or "").replace("%(default)s", str(action.default))
            rows.append([flags, "yes" if action.required else "", default, help_text])
        return self.render(_table(["option", "required", "default", "meaning"], rows, "28 10 12 50"))


class OwnPackageReferences(SphinxPostTransform):
    """An unqualified name in a package's API (a type hint such as ``Settings`` imported only for type
    checking) that several documented packages define resolves to the one in the referring package.

    The provider and the local Glue each have a ``Settings`` class; without this, Sphinx finds both and
    warns that the reference is ambiguous.
    """

    default_priority = 5  # before Sphinx resolves references (10)

    def run(self, **kwargs: Any) -> None:
        objects = self.env.get_domain("py").objects
        for node in self.document.findall(addnodes.pending_xref):
            target, module = node.get("reftarget", ""), node.get("py:module") or ""
            if node.get("refdomain") != "py" or "." in target or not module:
                continue
            matches = [name for name in objects if name.endswith(f".{target}")]
            own = [name for name in matches if name.split(".")[0] == module.split(".")[0]]
            if len(matches) > 1 and len(own) == 1:
                node["reftarget"] = own[0]


def write_api_pages(app: Sphinx) -> None:
    """One page per public module under ``api/generated`` (rewritten on every build)."""
    folder = Path(app.srcdir) / "api" / "generated"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in facts.api_modules():
        title = f"``{name}``"
        body = [
            title,
            "=" * len(title),
            "",
            f".. automodule:: {name}",
            "   :members:",
            "   :undoc-members:",
            "   :show-inheritance:",
            "",
        ]
        (folder / f"{name}.rst").write_text("\n".join(body), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("glue-flow-params", ClassParamsDirective)
    app.add_directive("glue-flow-dag-params", DagParamsDirective)
    app.add_directive("glue-flow-envvars", EnvVarsDirective)
    app.add_directive("glue-flow-command", CommandOptionsDirective)
    app.add_directive("glue-flow-config", ConfigOptionsDirective)
    app.add_post_transform(OwnPackageReferences)
    app.connect("builder-inited", write_api_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
