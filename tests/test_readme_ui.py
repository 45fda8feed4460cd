"""README's quickstart and the docs' "Run it in the Airflow UI" walkthrough: the commands they give stay true.

The walkthrough itself needs Docker or a running Airflow (it was followed by hand); this checks what can
drift without anyone noticing: option names, the connection, ports and command-line arguments.
"""

from __future__ import annotations

import json
import re
import shlex

import yaml

from airflow_glue_flow.cli import parse_args
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
#: The ready DAGs' page holds the walkthrough.
DAGS_PAGE = (REPO_ROOT / "docs" / "dags.md").read_text()
COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())


def _section(title: str, text: str = README) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _bash_blocks(text: str) -> list[str]:
    return [re.sub(r"\\\n", " ", block) for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def _commands(text: str) -> list[list[str]]:
    """Each command of the section's bash blocks, split as the shell would (comments dropped)."""
    commands: list[list[str]] = []
    for block in _bash_blocks(text):
        pending = ""
        for line in block.splitlines():
            pending += line + "\n"
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # a quoted value goes on over the next line
                continue
            pending = ""
            if words:
                commands.append(words)
    return commands


UI = _section("Run it in the Airflow UI", DAGS_PAGE)
UI_COMMANDS = _commands(UI)
EXPORTS = dict(
    word.split("=", 1) for words in UI_COMMANDS if words[0] == "export" for word in words[1:] if "=" in word
)


def test_quickstart_is_two_commands():
    [block] = _bash_blocks(_section("Quickstart"))

    commands = _commands(_section("Quickstart"))

    assert [words[:3] for words in commands] == [
        ["python3", "scripts/dev.py", "demo"],
        ["python3", "scripts/dev.py", "test"],
    ], block


#: Options the walkthrough names that Airflow added after the provider's floor, with the release that added
#: them; the text says that release beside each.
NEWER_THAN_THE_FLOOR = {"AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "3.1.1"}


def test_airflow_settings_of_the_walkthrough_are_real_options():
    from airflow.configuration import conf
    from packaging.version import Version

    from airflow_glue_flow.compat import AIRFLOW_VERSION

    # Also the ones named in the text (other ports, longer timeouts on a busy machine).
    settings = set(re.findall(r"\bAIRFLOW__[A-Z_]+__[A-Z_]+\b", UI))
    assert set(EXPORTS) & settings and len(settings) >= 9
    for variable in settings:
        section, key = re.fullmatch(r"AIRFLOW__([A-Z_]+?)__([A-Z_]+)", variable).groups()
        since = NEWER_THAN_THE_FLOOR.get(variable)
        if since:
            assert f"Airflow {since}" in UI.split(variable, 1)[1][:200], f"{variable}: say it needs {since}"
        if not since or Version(AIRFLOW_VERSION) >= Version(since):
            assert key.lower() in conf.configuration_description[section.lower()]["options"], variable


def test_without_docker_airflow_gets_the_settings_compose_gives_its_services():
    compose_env = COMPOSE["x-airflow-common"]["environment"]

    for name in (
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS",
    ):
        assert EXPORTS[name].lower() == compose_env[name].lower(), name
    # Every user is an admin: the API server listens on loopback only, as compose publishes it.
    assert EXPORTS["AIRFLOW__API__HOST"] == "127.0.0.1"


def test_connection_and_commands_point_at_the_local_glue_the_walkthrough_starts():
    [serve] = [words for words in UI_COMMANDS if words[1:3] == ["local", "serve"]]
    port = serve[serve.index("--port") + 1]
    connection = json.loads(EXPORTS["AIRFLOW_CONN_AWS_DEFAULT"])
    compose_connection = json.loads(COMPOSE["x-airflow-common"]["environment"]["AIRFLOW_CONN_AWS_DEFAULT"])

    assert connection["extra"]["endpoint_url"] == f"http://127.0.0.1:{port}"
    for key in ("conn_type", "login", "password"):
        assert connection[key] == compose_connection[key]
    # The AWS CLI signs with the local Glue's key pair; without it, it stops at "Unable to locate credentials".
    assert (EXPORTS["AWS_ACCESS_KEY_ID"], EXPORTS["AWS_SECRET_ACCESS_KEY"]) == (
        compose_connection["login"],
        compose_connection["password"],
    )
    endpoints = [
        words[words.index("--endpoint-url") + 1] for words in UI_COMMANDS if "--endpoint-url" in words
    ]
    assert len(endpoints) >= 2
    assert {re.sub(r"localhost|127\.0\.0\.1", "HOST", url) for url in endpoints} == {f"http://HOST:{port}"}
    assert COMPOSE["services"]["local-glue"]["ports"] == [f"127.0.0.1:{port}:{port}"]


def test_glue_flow_commands_of_the_walkthrough_parse():
    glue_flow = [words for words in UI_COMMANDS if words[0].endswith("glue-flow")]
    glue_flow += [words[4:] for words in UI_COMMANDS if words[:3] == ["docker", "compose", "exec"]]
    assert len(glue_flow) == 3

    for words in glue_flow:
        args = parse_args(words[1:])
        assert callable(args.func), words
