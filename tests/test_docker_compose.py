"""docker-compose.yaml: valid against the Compose specification, and every command runs outside Docker."""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema.validators import validator_for

from glue_flow_local import LocalGlueProcess
from glue_flow_local.clients import local_client
from tests.conftest import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())
#: Services that run once to completion; the others wait for them with service_completed_successfully.
INIT_SERVICES = ("local-glue-init", "airflow-init")
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
LOCAL_GLUE_SERVICES = ("local-glue-init", "local-glue")


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
    assert set(COMPOSE["services"]) == {"postgres", "local-glue-init", "local-glue", *AIRFLOW_SERVICES}
    for name in AIRFLOW_SERVICES:
        assert "./dags:/opt/airflow/dags" in COMPOSE["services"][name]["volumes"]


def _copied_sources(build: dict, target: str) -> list[Path]:
    """The repository paths a dockerfile_inline's COPY lines take into ``target``."""
    copied = re.findall(rf"^COPY (?:--chown=\S+ )?(.+) {target}/?\S*$", build["dockerfile_inline"], re.M)
    return [REPO_ROOT / build["context"] / source for sources in copied for source in sources.split()]


def test_airflow_image_installs_the_provider_without_the_local_glue():
    build = COMPOSE["services"]["airflow-scheduler"]["build"]
    sources = _copied_sources(build, "/opt/airflow/glue-flow")

    assert sorted(source.name for source in sources) == ["README.md", "airflow_glue_flow", "pyproject.toml"]
    assert all(source.exists() for source in sources), sources
    # The provider alone: no [local] extra, and nothing of the local Glue's folder.
    assert re.search(r"pip install .*/opt/airflow/glue-flow$", build["dockerfile_inline"], re.M)
    assert "[local]" not in build["dockerfile_inline"] and "local-glue" not in build["dockerfile_inline"]
    assert {COMPOSE["services"][name]["image"] for name in AIRFLOW_SERVICES} == {"airflow-glue-flow:local"}


def test_local_glue_image_installs_only_the_local_glue_distribution():
    build = COMPOSE["services"]["local-glue"]["build"]
    sources = _copied_sources(build, "/opt/glue-flow-local")

    assert (REPO_ROOT / build["context"]).resolve() == REPO_ROOT / "local-glue"
    assert sorted(source.name for source in sources) == ["README.md", "glue_flow_local", "pyproject.toml"]
    assert all(source.exists() for source in sources), sources
    assert re.search(
        r"^RUN pip install --no-cache-dir /opt/glue-flow-local$", build["dockerfile_inline"], re.M
    )
    # Not Airflow's image: a plain Python one, where no Airflow is installed.
    assert "airflow" not in build["dockerfile_inline"].split("\n", 1)[0].lower()
    assert {COMPOSE["services"][name]["image"] for name in LOCAL_GLUE_SERVICES} == {"glue-flow-local:local"}


TRIGGERER_ONLY = {"AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE": "true"}


def test_one_common_block_for_the_airflow_services_and_one_for_the_local_glue():
    assert [key for key in COMPOSE if key.startswith("x-")] == ["x-local-glue-common", "x-airflow-common"]
    for block, names in (
        ("x-airflow-common", AIRFLOW_SERVICES),
        ("x-local-glue-common", LOCAL_GLUE_SERVICES),
    ):
        common = COMPOSE[block]
        for name in names:
            service = COMPOSE["services"][name]
            assert (service["image"], service["build"], service["user"]) == (
                common["image"],
                common["build"],
                common["user"],
            )
    common = COMPOSE["x-airflow-common"]
    for name in AIRFLOW_SERVICES:
        # The triggerer adds the provider's one triggerer option to the common environment.
        own = TRIGGERER_ONLY if name == "airflow-triggerer" else {}
        assert COMPOSE["services"][name]["environment"] == {**common["environment"], **own}
        assert COMPOSE["services"][name]["volumes"] == common["volumes"]


def test_the_triggerer_freezes_the_collector_after_the_glue_waits_first_imports():
    # The provider's option is off by default (it changes the whole triggerer process); this deployment's
    # triggerer runs the Glue waits and turns it on (docs: Deferrable internals).
    assert (
        COMPOSE["services"]["airflow-triggerer"]["environment"]["AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE"]
        == "true"
    )
    assert "AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE" not in COMPOSE["x-airflow-common"]["environment"]


def test_published_ports_are_on_loopback_only():
    # Every Airflow user is an admin and the local Glue runs uploaded scripts: no other host may reach them.
    published = {
        name: service["ports"] for name, service in COMPOSE["services"].items() if service.get("ports")
    }
    assert set(published) == {"airflow-apiserver", "local-glue"}
    for ports in published.values():
        for port in ports:
            assert str(port).startswith("127.0.0.1:"), port


def test_long_running_services_have_healthchecks_that_dependants_wait_for():
    services = COMPOSE["services"]
    for name, service in services.items():
        if name in INIT_SERVICES:
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"][0] == "CMD", name
        for dependency, condition in service.get("depends_on", {}).items():
            expected = "service_completed_successfully" if dependency in INIT_SERVICES else "service_healthy"
            assert condition == {"condition": expected}, (name, dependency)
    for name in AIRFLOW_SERVICES[1:]:
        assert set(services[name]["depends_on"]) == {"postgres", "local-glue", "airflow-init"}


def test_logs_and_generated_config_live_in_volumes():
    env = COMPOSE["x-airflow-common"]["environment"]
    mounts = dict(volume.split(":")[::-1] for volume in COMPOSE["x-airflow-common"]["volumes"])
    # No Fernet key or JWT secret in the file: the first Airflow command writes AIRFLOW_CONFIG with
    # generated ones, on a volume every service mounts.
    assert not {"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"} & set(env)
    config_dir = env["AIRFLOW_CONFIG"].rsplit("/", 1)[0]
    assert mounts[config_dir] in COMPOSE["volumes"]
    assert mounts["/opt/airflow/logs"] in COMPOSE["volumes"]


def test_local_glue_serves_only_after_its_job_environments_are_built_in_a_volume():
    from glue_flow_local.glue.jobs.env import ENV_DIR_ENV

    init, glue = COMPOSE["services"]["local-glue-init"], COMPOSE["services"]["local-glue"]

    assert init["command"] == ["glue-flow-local", "warm"]
    assert glue["depends_on"] == {"local-glue-init": {"condition": "service_completed_successfully"}}
    # Both see the same named volume where the job environments are kept, so the server finds them built.
    assert init["volumes"] == glue["volumes"]
    [volume] = init["volumes"]
    name, target = volume.split(":")
    assert name in COMPOSE["volumes"]
    assert init["environment"][ENV_DIR_ENV] == glue["environment"][ENV_DIR_ENV] == target
    # The image creates the mount point writable, so the volume starts writable for any AIRFLOW_UID.
    assert target in COMPOSE["x-local-glue-common"]["build"]["dockerfile_inline"]


def test_glue_waits_are_deferrable_by_default():
    assert COMPOSE["x-airflow-common"]["environment"]["AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE"] == "true"


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


AIRFLOW_COMMANDS = [
    *((service, "command") for service in AIRFLOW_SERVICES),
    ("airflow-dag-processor", "healthcheck"),
    ("airflow-triggerer", "healthcheck"),
]


@pytest.mark.parametrize(("service", "field"), AIRFLOW_COMMANDS)
def test_airflow_commands_are_valid_airflow_commands(service, field):
    from airflow.cli.cli_parser import get_parser

    spec = COMPOSE["services"][service][field]
    command = spec["test"][1:] if field == "healthcheck" else spec
    assert command[0] == "airflow"

    args = get_parser().parse_args(command[1:])

    assert callable(args.func)


@pytest.mark.slow
def test_local_glue_service_command_is_the_server_the_tests_start(tmp_path):
    command = COMPOSE["services"]["local-glue"]["command"]
    host, port = command[command.index("--host") + 1], int(command[command.index("--port") + 1])
    assert COMPOSE["services"]["local-glue"]["ports"] == [f"127.0.0.1:{port}:{port}"]
    # The console script runs what LocalGlueProcess starts with ``python -m glue_flow_local``.
    assert command == ["glue-flow-local", *LocalGlueProcess.command(host, port)[3:]]

    # The same command outside Docker, on loopback and a free port.
    local = [str(Path(sys.executable).parent / "glue-flow-local"), *command[1:]]
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


@pytest.mark.slow
def test_local_glue_init_command_builds_the_job_environments_the_server_reuses():
    from glue_flow_local.glue.jobs.env import ENV_DIR_ENV, env_root

    init = COMPOSE["services"]["local-glue-init"]
    # The volume outlives `docker compose down`: here, the folder the test session's own warm-up filled
    # (a build from nothing takes minutes; what it builds is tested in local-glue/tests/test_glue/jobs/test_env.py).
    env = {**os.environ, **init["environment"], ENV_DIR_ENV: str(env_root())}

    done = subprocess.run(
        [str(Path(sys.executable).parent / init["command"][0]), *init["command"][1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr
    pythons = [Path(line) for line in done.stdout.splitlines()]
    assert len(pythons) == 2  # no library set, and analytics
    for python in pythons:
        assert python.parent.parent.parent == env_root()
        assert (python.parent.parent / ".complete").exists()
