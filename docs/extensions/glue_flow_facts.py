"""Facts the docs take from the code, found when the docs are built and checked by the test suite.

No Sphinx import here: ``tests/docs`` uses the same functions, so the build and the tests agree on what
the code reads (environment variables), which modules the API reference covers, which operators,
sensors, hooks and triggers the provider declares, and whether a documented command still exists.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.metadata
import importlib.util
import inspect
import pkgutil
import re
import shlex
import sys
import tomllib
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Where the code that reads ``GLUE_FLOW_*`` variables lives (the local Glue's own distribution too,
#: when it has its folder). Tests and benchmarks only set them.
CODE_ROOTS = ("airflow_glue_flow", "dags", "scripts", "local-glue")
#: The descriptions of the environment variables; which ones exist comes from the code.
ENVIRONMENT_FILE = DOCS / "environment-variables.toml"
ENV_NAME = re.compile(r"GLUE_FLOW_[A-Z0-9_]+")
#: Packages whose modules get an API page. ``airflow_glue_flow.local`` is the deprecated alias of the local
#: Glue's distribution.
API_PACKAGES = ("airflow_glue_flow",)
API_SKIPPED = ("airflow_glue_flow.local",)
#: The local Glue's public Python API (its distribution ``glue-flow-local``): the modules a user starts,
#: configures and tests it with. Its services' internals are documented by what they emulate, and its
#: ``inside_jobs`` library runs only inside job runs (importing ``sitecustomize`` here would patch this
#: process).
LOCAL_GLUE_API = (
    "glue_flow_local",
    "glue_flow_local.cli",
    "glue_flow_local.clients",
    "glue_flow_local.process",
    "glue_flow_local.pytest_plugin",
    "glue_flow_local.server",
    "glue_flow_local.settings",
    "glue_flow_local.testing",
)
#: The provider's kinds of classes and the name suffixes that say a class is one of them.
PROVIDER_KINDS = {"operators": ("Operator", "Sensor"), "sensors": ("Sensor", "Operator")}
PROVIDER_KINDS |= {"hooks": ("Hook",), "triggers": ("Trigger",)}


def _python_files() -> Iterator[Path]:
    for root in CODE_ROOTS:
        folder = ROOT / root
        if folder.is_dir():
            yield from sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def env_vars_read() -> dict[str, list[str]]:
    """Every ``GLUE_FLOW_*`` name the code spells as a whole string, with the files that spell it.

    A whole string constant (``os.environ.get("GLUE_FLOW_X")``, ``X_ENV = "GLUE_FLOW_X"``) is a read;
    the name inside a help text or a docstring is not.
    """
    found: dict[str, list[str]] = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ENV_NAME.fullmatch(node.value)
            ):
                files = found.setdefault(node.value, [])
                relative = path.relative_to(ROOT).as_posix()
                if relative not in files:
                    files.append(relative)
    return dict(sorted(found.items()))


def env_vars_documented() -> dict[str, dict[str, str]]:
    """The environment-variable descriptions of the docs, by name."""
    with ENVIRONMENT_FILE.open("rb") as file:
        return dict(tomllib.load(file))


def env_var_problems() -> list[str]:
    """What makes the environment-variable reference wrong: read but undocumented, or documented but unread."""
    read, documented = env_vars_read(), env_vars_documented()
    problems: list[str] = []
    for name in read.keys() - documented.keys():
        problems.append(
            f"{name} is read by {', '.join(read[name])} but not described in {ENVIRONMENT_FILE.name}"
        )
    for name in documented.keys() - read.keys():
        problems.append(f"{name} is described in {ENVIRONMENT_FILE.name} but no code reads it")
    return sorted(problems)


def config_options() -> list[tuple[str, str, str, dict[str, str]]]:
    """The provider's Airflow config options, as ``get_provider_info()`` declares them: section, name,
    the environment variable that sets it (``AIRFLOW__SECTION__NAME``) and the declaration."""
    from airflow_glue_flow.get_provider_info import get_provider_info

    return [
        (section, name, f"AIRFLOW__{section.upper()}__{name.upper()}", option)
        for section, declared in get_provider_info().get("config", {}).items()
        for name, option in declared["options"].items()
    ]


CONFIG_MENTION = re.compile(r"`\[(\w+)\] (\w+)|\b(AIRFLOW__GLUE_FLOW__\w+)")


def config_problems(text: str) -> list[str]:
    """The options a text names in code (`` `[glue_flow] name` ``) and the ``AIRFLOW__GLUE_FLOW__*``
    variables it names that the provider does not declare (other sections are Airflow's own)."""
    declared = {(section, name) for section, name, _, _ in config_options()}
    variables = {env for _, _, env, _ in config_options()}
    problems = []
    for section, name, variable in CONFIG_MENTION.findall(text):
        if section == "glue_flow" and (section, name) not in declared:
            problems.append(f"[glue_flow] {name} is not a config option of the provider")
        if variable and variable not in variables:
            problems.append(f"{variable} sets no config option of the provider")
    return problems


def _imports_without_deprecation(name: str) -> ModuleType | None:
    """The module, or None when it is a shim for an old import path: importing it warns that it moved,
    or (imported earlier, so it does not warn again) it forwards its names with ``deprecations.Moved``."""
    from airflow_glue_flow.deprecations import Moved

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    moved = any(issubclass(w.category, DeprecationWarning) and name in str(w.message) for w in caught)
    return None if moved or isinstance(vars(module).get("_MOVED"), Moved) else module


def api_modules() -> list[str]:
    """The public modules the API reference covers, discovered in the installed packages.

    A module whose import warns that it moved is left out: its page is that of its new place. The local
    Glue's public modules (:data:`LOCAL_GLUE_API`) are listed, not discovered.
    """
    names: list[str] = list(LOCAL_GLUE_API)
    for package_name in API_PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            parts = info.name.split(".")
            if any(part.startswith("_") for part in parts) or info.name.startswith(API_SKIPPED):
                continue
            if _imports_without_deprecation(info.name) is not None:
                names.append(info.name)
    return sorted(names)


def provider_classes() -> dict[str, list[str]]:
    """The public operators, sensors, hooks and triggers of the package, by kind (the folder they are in).

    Found by walking ``airflow_glue_flow.<kind>``, so a class the provider metadata forgets is still found.
    """
    classes: dict[str, list[str]] = {}
    for kind, suffixes in PROVIDER_KINDS.items():
        for module_name in api_modules():
            if not module_name.startswith(f"airflow_glue_flow.{kind}."):
                continue
            module = importlib.import_module(module_name)
            for name, value in vars(module).items():
                if (
                    isinstance(value, type)
                    and value.__module__ == module_name
                    and not name.startswith("_")
                    and name.endswith(suffixes)
                ):
                    classes.setdefault(kind, []).append(f"{module_name}.{name}")
    return {kind: sorted(set(names)) for kind, names in classes.items()}


PARAM = re.compile(r"^\s*:param\s+(?:[\w\[\], .|]+\s+)?(\w+):\s*(.*)$")
FIELD = re.compile(r"^\s*:\w+")


def docstring_params(cls: type) -> dict[str, str]:
    """``:param name: text`` fields of the class's and its own ``__init__``'s docstrings, lines joined."""
    found: dict[str, str] = {}
    for doc in (cls.__doc__ or "", cls.__dict__.get("__init__", object).__doc__ or ""):
        name = None
        for line in inspect.cleandoc(doc).splitlines():
            match = PARAM.match(line)
            if match:
                name = match.group(1)
                found[name] = match.group(2).strip()
            elif name and line.startswith(" ") and not FIELD.match(line):
                found[name] += " " + line.strip()
            else:
                name = None
    return found


def param_problems(cls: type) -> list[str]:
    """Parameters of ``cls.__init__`` without a ``:param:`` description, and descriptions of parameters
    it does not take (allowed when it passes ``**kwargs`` on to a base class that takes them)."""
    described = docstring_params(cls)
    parameters = inspect.signature(cls.__init__).parameters
    own = [
        n for n, p in parameters.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    problems = [f"parameter {name!r} has no :param: description" for name in own if name not in described]
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        problems += [
            f":param {name}: names no parameter of __init__" for name in described if name not in parameters
        ]
    return problems


def dag_ids() -> set[str]:
    """The ``dag_id`` of every DAG in ``dags/``, read from the files without running them."""
    ids: set[str] = set()
    for path in sorted((ROOT / "dags").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DAG":
                for keyword in node.keywords:
                    if keyword.arg == "dag_id" and isinstance(keyword.value, ast.Constant):
                        ids.add(str(keyword.value.value))
    return ids


FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
#: The programs whose documented commands are checked against the code.
PROGRAMS = ("glue-flow", "glue-flow-local", "scripts/dev.py", "-m", "airflow")


def documented_commands(text: str) -> list[list[str]]:
    """The commands of a Markdown text: each line of its fenced blocks and each inline code span, as
    the shell splits them, cut to start at a checked program (``glue-flow``, ``python3 scripts/dev.py``,
    ``python -m``, ``airflow dags test``)."""
    lines: list[str] = []
    for block in FENCE.findall(text):
        lines += re.sub(r"\\\n", " ", block).splitlines()
    lines += INLINE.findall(FENCE.sub("", text))
    commands: list[list[str]] = []
    for line in lines:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for index, word in enumerate(words):
            program = word.rsplit("/", 1)[-1] if word.endswith(("glue-flow", "glue-flow-local")) else word
            if program in PROGRAMS and (
                program != "airflow" or words[index + 1 : index + 3] == ["dags", "test"]
            ):
                if program == "-m" and (index == 0 or "python" not in words[index - 1]):
                    continue
                if program == "scripts/dev.py" and (index == 0 or "python" not in words[index - 1]):
                    continue
                commands.append([program, *words[index + 1 :]])
                break
    return commands


def _dev_script() -> Any:
    name = "glue_flow_dev_script"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up by name.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def command_problem(words: list[str]) -> str | None:
    """Why a documented command no longer exists in the code, or None when it does."""
    program, args = words[0], [word for word in words[1:] if word not in ("...", "…")]
    if not args or args == ["dags", "test"]:  # the program named in prose (`python3 scripts/dev.py ...`)
        return None
    if program == "glue-flow":
        from airflow_glue_flow.cli import build_parser

        return _argparse_problem(build_parser(), args)
    if program == "glue-flow-local":
        scripts = importlib.metadata.entry_points(group="console_scripts", name=program)
        if not scripts:
            return "no installed distribution provides the console script glue-flow-local"
        action, options = (args[0], args[1:]) if not args[0].startswith("-") else ("serve", args)
        if action not in LOCAL_GLUE_ACTIONS:
            return f"glue-flow-local has no command {action!r} (it has {', '.join(LOCAL_GLUE_ACTIONS)})"
        return _argparse_problem(local_glue_parser(action), options)
    if program == "scripts/dev.py":
        dev = _dev_script()
        commands = sorted({*dev.EXTRAS, *dev.LANES})
        if not args or args[0] not in commands:
            return f"scripts/dev.py has no command {args[:1]} (it has {', '.join(commands)})"
        source = (ROOT / "scripts" / "dev.py").read_text()
        unknown = [a for a in args[1:] if a.startswith("--") and f'"{a}"' not in source]
        return f"scripts/dev.py does not handle {unknown}" if unknown else None
    if program == "-m":
        name = args[0] if args else ""
        spec = importlib.util.find_spec(name) if name else None
        if spec is None:
            return f"no module {name!r} to run with python -m"
        if spec.submodule_search_locations and importlib.util.find_spec(f"{name}.__main__") is None:
            return f"package {name!r} has no __main__ module"
        return None
    if program == "airflow":  # airflow dags test DAG_ID
        dag_id = args[2] if len(args) > 2 else ""
        return None if dag_id.startswith("<") or dag_id in dag_ids() else f"no DAG {dag_id!r} in dags/"
    return f"unknown program {program}"


#: ``glue-flow-local``'s commands (``serve`` is also what it runs without one).
LOCAL_GLUE_ACTIONS = ("serve", "warm")


def local_glue_parser(action: str) -> argparse.ArgumentParser:
    """The parser of ``glue-flow-local ACTION``, built as ``glue_flow_local.cli.main`` builds it: ``serve``
    takes the options of ``glue_flow_local.serve.add_arguments``, ``warm`` none."""
    parser = argparse.ArgumentParser(prog=f"glue-flow-local {action}")
    if action == "serve":
        from glue_flow_local.serve import add_arguments

        add_arguments(parser)
    return parser


def command_parser(command: str) -> argparse.ArgumentParser:
    """The parser of a documented command (``glue-flow sample upload``, ``glue-flow-local serve``).

    ``glue-flow local serve`` passes its options on to ``glue-flow-local serve``, so its parser is that one.
    """
    program, *words = command.split()
    if program == "glue-flow-local":
        return local_glue_parser(words[0] if words else "serve")
    from airflow_glue_flow.cli import build_parser

    parser = build_parser()
    for word in words:
        [choices] = [a.choices for a in parser._actions if isinstance(getattr(a, "choices", None), dict)]
        parser = choices[word]
    return local_glue_parser(words[-1]) if parser.get_default("forwards") else parser


def _argparse_problem(parser: Any, args: list[str]) -> str | None:
    """Whether ``args`` name existing subcommands and options of ``parser`` (values are not checked)."""
    current = parser
    for index, word in enumerate(args):
        if word.startswith("-"):
            option = word.split("=", 1)[0]
            known = {o for action in current._actions for o in action.option_strings}
            if option not in known:
                return f"{' '.join(args[:index])} has no option {option}"
            continue
        choices = [a.choices for a in current._actions if isinstance(getattr(a, "choices", None), dict)]
        if choices:
            if word not in choices[0]:
                return f"no subcommand {word!r} (there are {', '.join(choices[0])})"
            current = choices[0][word]
            if current.get_default("forwards"):  # glue-flow local serve: glue-flow-local serve's options
                return _argparse_problem(local_glue_parser(word), args[index + 1 :])
    return None
