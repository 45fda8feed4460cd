"""docker-compose.yaml: valid against the Compose specification, and every command runs outside Docker."""

from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
import sys

import pytest
import yaml
from jsonschema.validators import validator_for

from airflow_glue_flow.local import LocalGlueProcess
from airflow_glue_flow.local.clients import local_client
from tests.conftest import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)


def _compose_schema() -> dict:
    # check-jsonschema ships the Compose specification's own JSON schema.
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text())


def test_compose_file_is_valid_against_the_compose_specification():
    schema = _compose_schema()
    validator = validator_for(schema)(schema)

    errors = sorted(validator.iter_errors(COMPOSE), key=lambda e: list(e.path))

    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_compose_has_airflow_postgres_and_the_local_glue():
    assert set(COMPOSE["services"]) == {"postgres", "local-glue", *AIRFLOW_SERVICES}
    for name in AIRFLOW_SERVICES:
        assert "./dags:/opt/airflow/dags" in COMPOSE["services"][name]["volumes"]


def test_image_installs_the_package_from_the_repository():
    build = COMPOSE["services"]["local-glue"]["build"]
    copied = re.findall(
        r"^COPY --chown=\S+ (.+) /opt/airflow/glue-flow/?\S*$", build["dockerfile_inline"], re.M
    )

    assert len(copied) == 2
    for sources in copied:
        for source in sources.split():
            assert (REPO_ROOT / build["context"] / source).exists(), source
    assert '"/opt/airflow/glue-flow[local]"' in build["dockerfile_inline"]
    assert {COMPOSE["services"][name]["image"] for name in ("local-glue", *AIRFLOW_SERVICES)} == {
        "airflow-glue-flow:local"
    }


def test_airflow_connection_points_at_the_local_glue_service():
    env = COMPOSE["services"]["airflow-scheduler"]["environment"]
    connection = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    glue_port = COMPOSE["services"]["local-glue"]["command"][-1]

    assert connection["conn_type"] == "aws"
    assert connection["extra"]["endpoint_url"] == f"http://local-glue:{glue_port}"


def test_airflow_settings_in_compose_are_real_options():
    from airflow.configuration import conf

    env = COMPOSE["services"]["airflow-scheduler"]["environment"]
    for variable in env:
        match = re.fullmatch(r"AIRFLOW__([A-Z_]+?)__([A-Z_]+)", variable)
        if match:
            section, key = match.group(1).lower(), match.group(2).lower()
            assert key in conf.configuration_description.get(section, {}).get("options", {}), variable


@pytest.mark.parametrize("service", AIRFLOW_SERVICES)
def test_airflow_service_command_is_a_valid_airflow_command(service):
    from airflow.cli.cli_parser import get_parser

    command = COMPOSE["services"][service]["command"]
    assert command[0] == "airflow"

    args = get_parser().parse_args(command[1:])

    assert callable(args.func)


@pytest.mark.slow
def test_local_glue_service_command_is_the_server_the_tests_start(tmp_path):
    command = COMPOSE["services"]["local-glue"]["command"]
    host, port = command[command.index("--host") + 1], int(command[command.index("--port") + 1])
    assert COMPOSE["services"]["local-glue"]["ports"] == [f"{port}:{port}"]
    assert command == ["python", *LocalGlueProcess.command(host, port)[1:]]

    # The same command outside Docker, on loopback and a free port.
    local = [sys.executable, *command[1:]]
    local[local.index("--host") + 1], local[local.index("--port") + 1] = "127.0.0.1", "0"
    process = subprocess.Popen(local, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert local_client(url, "s3", "us-east-1").list_buckets()["Buckets"] == []
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_glue_flow_local_serve_console_script_prints_its_url(tmp_path):
    script = REPO_ROOT / ".venv" / "bin" / "glue-flow"
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "airflow_glue_flow.cli"]
    process = subprocess.Popen(
        [*argv, "local", "serve", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert local_client(url, "glue", "us-east-1").get_databases()["DatabaseList"] == []
    finally:
        process.terminate()
        process.wait(timeout=10)
