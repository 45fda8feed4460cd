"""docker-compose.yaml's deployment, run without Docker, driven through Airflow's public REST API."""

from __future__ import annotations

import configparser
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.slow


def test_services_share_a_generated_fernet_key_and_parse_every_dag(deployment):
    config = configparser.ConfigParser(interpolation=None)
    config.read(deployment.processes.home / "config" / "airflow.cfg")
    fernet_key = config["core"]["fernet_key"]
    assert len(fernet_key) == 44 and fernet_key.endswith("=")
    assert config["api_auth"]["jwt_secret"]
    assert deployment.api.call("GET", "/importErrors")["total_entries"] == 0


def test_unpausing_the_main_dag_starts_no_run(deployment):
    api = deployment.api

    dag = api.unpause("glue_etl_flow")

    assert dag["is_paused"] is False
    assert datetime.fromisoformat(dag["next_dagrun_run_after"]) > datetime.now(UTC)
    assert api.runs("glue_etl_flow") == []
