"""The production-shaped docker-compose.yml: the stack it describes and the commands it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.settings import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
KAFKA = ["kafka-1", "kafka-2", "kafka-3"]
GOTONG = ["worker", "web"]


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(compose, dict)
    return dict(compose["services"])


def test_stack_has_kafka_cluster_postgres_workers_and_web(services: dict[str, Any]) -> None:
    assert set(services) >= {*KAFKA, "postgres", *GOTONG}


@pytest.mark.parametrize("name", [*KAFKA, "postgres", *GOTONG])
def test_every_service_has_a_healthcheck(services: dict[str, Any], name: str) -> None:
    check = services[name]["healthcheck"]

    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert len(check["test"]) > 1


def test_kafka_brokers_form_one_kraft_quorum(services: dict[str, Any]) -> None:
    envs = [services[name]["environment"] for name in KAFKA]
    voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"

    assert [env["KAFKA_NODE_ID"] for env in envs] == ["1", "2", "3"]
    assert {services[name]["image"] for name in KAFKA} == {"apache/kafka:4.3.0"}
    for name, env in zip(KAFKA, envs, strict=True):
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
    assert len({env["CLUSTER_ID"] for env in envs}) == 1


@pytest.mark.parametrize("name", KAFKA)
def test_kafka_keeps_writes_through_one_broker_loss(services: dict[str, Any], name: str) -> None:
    env = services[name]["environment"]

    assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
    assert any(volume.endswith(":/var/lib/kafka/data") for volume in services[name]["volumes"])


def test_postgres_is_16_with_a_volume_and_pg_isready(services: dict[str, Any]) -> None:
    postgres = services["postgres"]

    assert postgres["image"].startswith("postgres:16")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


@pytest.mark.parametrize("name", GOTONG)
def test_gotong_command_is_a_real_cli_subcommand(services: dict[str, Any], name: str) -> None:
    from services.cli import main

    program, subcommand, *_ = services[name]["command"]

    assert program == "gotong"
    assert subcommand in main.commands, f"`gotong {subcommand}` is not a command of services.cli"


@pytest.mark.parametrize("name", GOTONG)
def test_gotong_services_use_the_cluster_and_postgres(services: dict[str, Any], name: str) -> None:
    service = services[name]
    env = service["environment"]

    assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert (REPO_ROOT / service["build"]["dockerfile"]).exists()
    assert env["GOTONG_KAFKA_BOOTSTRAP"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092"
    assert env["GOTONG_DATABASE_URL"].startswith("postgresql+psycopg://gotong:")
    assert env["GOTONG_DATABASE_URL"].endswith("@postgres:5432/gotong")
    assert env["GOTONG_SECRET_KEY"].startswith("${GOTONG_SECRET_KEY")  # never a literal secret
    assert env["GOTONG_TOPIC_REPLICATION"] == "3"
    assert set(service["depends_on"]) == {*KAFKA, "postgres"}


def test_two_workers_and_web_on_8000(services: dict[str, Any]) -> None:
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "8000:8000" in services["web"]["ports"]
    assert services["web"]["healthcheck"]["test"][-1] == "web"


def test_dockerfile_installs_the_project_on_python_311_slim() -> None:
    dockerfile = Path(REPO_ROOT / "deploy" / "docker" / "Dockerfile").read_text()

    assert "FROM python:3.11-slim" in dockerfile
    assert "pip install --constraint requirements.lock ." in dockerfile


def test_every_dependency_the_project_installs_is_pinned_in_the_lock() -> None:
    """The image and ``deploy/bootstrap.sh`` install with ``--constraint requirements.lock``:
    a dependency missing there (argon2-cffi was) floats to whatever is newest that day."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lock = (REPO_ROOT / "requirements.lock").read_text().splitlines()
    locked = {canonicalize_name(line.split("==")[0]) for line in lock if "==" in line}
    needed: set[str] = set()
    todo = ["gotong"]
    while todo:
        for spec in distribution(todo.pop()).requires or []:
            requirement = Requirement(spec)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue  # an extra's (the tests' are installed by the suite itself)
            name = canonicalize_name(requirement.name)
            if name not in needed:
                needed.add(name)
                todo.append(name)
    assert needed, "the project's dependencies were not found"
    assert needed - locked == set()
