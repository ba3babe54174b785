"""The README's first command for real: ``./gotong up --demo`` starts it all, Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from services import settings
from services.local import broker
from services.settings import REPO_ROOT
from tests.support.kafka_fixtures import free_ports
from tests.support.stack import wait_for

pytestmark = pytest.mark.kafka


def test_up_demo_serves_the_bitung_demo_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    kafka_port, controller_port, http_port = free_ports(3)
    env = {**os.environ, "GOTONG_DATA_DIR": str(tmp_path), "GOTONG_KAFKA_PORT": str(kafka_port),
           "GOTONG_KAFKA_CONTROLLER_PORT": str(controller_port),
           "GOTONG_HTTP_PORT": str(http_port)}
    env.pop("GOTONG_KAFKA_BOOTSTRAP", None)
    env.pop("GOTONG_DATABASE_URL", None)
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115
    up = subprocess.Popen([str(REPO_ROOT / "gotong"), "up", "--demo"], env=env, stdout=log,
                          stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{http_port}"
    try:
        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 180, "gotong up to become healthy")
        nodes = wait_for(lambda: (b := httpx.get(f"{base}/api/v1/nodes").json())["total"] == 12
                         and b, 60, "the demo nodes")
        kinds = {n["kind"] for n in nodes["items"]}
        assert kinds == {"government", "ngo", "community"}
        proposals = wait_for(lambda: (b := httpx.get(f"{base}/api/v1/proposals").json())
                             ["total"] == 30 and b, 60, "the demo proposals")
        assert len({p["status"] for p in proposals["items"]}) >= 5
        overdue = httpx.get(f"{base}/api/v1/commitments", params={"overdue": "true"}).json()
        assert overdue["total"] >= 4
        statuses = {i["status"] for i in httpx.get(f"{base}/api/v1/commitments").json()["items"]}
        assert statuses == {"open", "in_progress", "blocked", "done", "cancelled"}
        assert httpx.get(f"{base}/").status_code == 200
        demo = json.loads((tmp_path / "demo-keys.json").read_text())
        assert set(demo["site_accounts"]) == {"admin", "koordinator", "warga"}
        assert {n["id"] for n in nodes["items"]} <= set(demo)
        assert (tmp_path / "demo-keys.json").stat().st_mode & 0o077 == 0
    finally:
        os.killpg(up.pid, signal.SIGINT)
        code = up.wait(90)
        log.close()
    terminal = (tmp_path / "up.log").read_text()
    assert code == 0, terminal[-3000:]
    # a few lines of ours; the Kafka clients' own (a new broker still electing its
    # partitions' leaders makes the demo loader's producer warn and retry) go to a log file
    assert "aiokafka" not in terminal, terminal[-3000:]
    assert (tmp_path / "logs" / "up.log").exists()
    ours = replace(settings.load(), data_dir=tmp_path, kafka_bootstrap=None,
                   kafka_port=kafka_port, kafka_controller_port=controller_port)
    assert not broker.status(ours).running
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base}/healthz", timeout=2)
