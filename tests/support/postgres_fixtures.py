"""A real PostgreSQL server for the test suite, started in a temporary directory.

``GOTONG_TEST_POSTGRES_URL`` points the suite at an existing server instead.
Without PostgreSQL binaries the PostgreSQL half of the suite is skipped, unless
``GOTONG_REQUIRE_POSTGRES=1`` (CI sets it), which turns the skip into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.kafka_fixtures import free_ports


class PostgresUnavailable(Exception):
    pass


@dataclass
class PostgresServer:
    url: str
    data_dir: Path | None
    bin_dir: Path | None
    user: str | None

    def stop(self) -> None:
        if self.data_dir is None or self.bin_dir is None:
            return
        _run_as(self.user, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                            "-w", "stop"], check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database on this server; returns its SQLAlchemy URL."""
        name = f"gotong_{uuid.uuid4().hex[:10]}"
        admin_url = self.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def _run_as(
    user: str | None, args: list[str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    if user is not None:
        args = ["runuser", "-u", user, "--", *args]
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=120)


def start_postgres(base: Path) -> PostgresServer:
    url = os.environ.get("GOTONG_TEST_POSTGRES_URL")
    if url:
        return PostgresServer(url=url, data_dir=None, bin_dir=None, user=None)
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    # PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
    user = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root and there is no 'postgres' user") from exc
        user = "postgres"
    if user is not None:
        # the server's user must reach its files: pytest's own temp dirs are root-only
        base = Path(tempfile.mkdtemp(prefix="gotong-postgres-"))
    base.mkdir(parents=True, exist_ok=True)
    data_dir = base / "pgdata"
    socket_dir = base / "socket"
    socket_dir.mkdir(exist_ok=True)
    if user is not None:
        for path in (base, socket_dir):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    (port,) = free_ports(1)
    _run_as(user, [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "gotong", "-A", "trust",
                   "-E", "UTF8", "--no-sync"])
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run_as(user, [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l",
                   str(base / "postgres.log"), "-w", "-t", "60", "start"])
    url = f"postgresql+psycopg://gotong@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=2):
                break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    return PostgresServer(url=url, data_dir=data_dir, bin_dir=bin_dir, user=user)
