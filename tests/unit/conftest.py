"""The unit tier is pure: a test here that reaches for the network (a broker, PostgreSQL,
a web server) or opens a database file fails at once, instead of quietly becoming an
integration test."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest


def _refused(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("a unit test touches no network: move it to tests/integration")


_sqlite_connect = sqlite3.connect


def _in_memory_only(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
    if str(database) not in (":memory:", "") and "mode=memory" not in str(database):
        raise RuntimeError("a unit test opens no database file: move it to tests/integration")
    return _sqlite_connect(database, *args, **kwargs)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _refused)
    monkeypatch.setattr(socket.socket, "connect_ex", _refused)
    monkeypatch.setattr(socket, "create_connection", _refused)
    monkeypatch.setattr(sqlite3, "connect", _in_memory_only)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", _in_memory_only)  # what SQLAlchemy calls
    yield
