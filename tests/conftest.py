"""Session fixtures: a real Kafka broker and a real Gotong stack per read-model backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.readmodel.db import make_engine, migrate
from tests.support.kafka_fixtures import start_test_broker, stop_test_broker
from tests.support.postgres_fixtures import PostgresServer, PostgresUnavailable, start_postgres
from tests.support.stack import Stack, running_stack

BACKENDS = ["sqlite", "postgresql"]

pytest_plugins = ["tests.support.site_fixtures"]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    try:
        server = start_postgres(tmp_path_factory.mktemp("postgres"))
    except PostgresUnavailable as exc:
        if os.environ.get("GOTONG_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here: {exc}")
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated read model of its own, on SQLite or on PostgreSQL (no stack)."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.new_database()
    else:
        url = f"sqlite:///{tmp_path / 'readmodel.db'}"
    made = make_engine(url)
    migrate(made)
    yield made
    made.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stack]:
    """Broker, worker and web, with the read model on SQLite or on PostgreSQL."""
    backend = request.param
    root = tmp_path_factory.mktemp(f"stack-{backend}")
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        database_url = server.new_database()
    else:
        database_url = f"sqlite:///{root / 'readmodel.db'}"
    settings, _bootstrap = start_test_broker(root / "kafka")
    try:
        with running_stack(backend, settings, database_url, root) as running:
            yield running
    finally:
        stop_test_broker(settings)
