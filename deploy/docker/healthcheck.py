#!/usr/bin/env python3
"""Container health checks for Gotong: ``gotong-healthcheck web|worker`` exits 0 when healthy.

web:    the site answers ``GET /healthz`` with 200.
worker: this container's worker wrote its heartbeat (table ``worker_heartbeats``,
        ``worker_id`` = ``<hostname>:<pid>``) within GOTONG_WORKER_STALE_SECONDS.
"""

from __future__ import annotations

import socket
import sys
import time
import urllib.request

from services import settings


def web_is_healthy() -> bool:
    port = settings.get().http_port
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return bool(response.status == 200)
    except OSError as exc:
        print(f"web: /healthz did not answer 200: {exc}", file=sys.stderr)
        return False


def worker_is_healthy() -> bool:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    current = settings.get()
    engine = create_engine(current.database_url)
    try:
        with engine.connect() as connection:
            seen_at = connection.execute(
                text("SELECT max(seen_at) FROM worker_heartbeats WHERE worker_id LIKE :me"),
                {"me": f"{socket.gethostname()}:%"},
            ).scalar()
    except SQLAlchemyError as exc:
        print(f"worker: cannot read the heartbeat: {exc}", file=sys.stderr)
        return False
    finally:
        engine.dispose()
    if seen_at is None or time.time() - float(seen_at) > current.worker_heartbeat_stale_s:
        print(f"worker: no heartbeat from {socket.gethostname()} lately", file=sys.stderr)
        return False
    return True


CHECKS = {"web": web_is_healthy, "worker": worker_is_healthy}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        sys.exit(f"usage: gotong-healthcheck {'|'.join(CHECKS)}")
    sys.exit(0 if CHECKS[sys.argv[1]]() else 1)
