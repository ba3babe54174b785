"""Fault 4: Kafka unreachable while events flow in.

``POST /api/v1/events`` answers 503 with Retry-After (never a 202 for anything
not stored); the site stays up read-only with a notice, a form says plainly that
nothing was saved (503, not a 500); when the broker is back, everything resumes
and the read model equals the replay of every acknowledged event.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from services.identity.accounts import add_user
from services.local import broker
from tests.faults.conftest import FaultStacks
from tests.faults.ledger import (
    Driver,
    differences,
    figures,
    oracle_snapshot,
    ours,
    report,
    snapshot_of,
    wait_until_equal,
    workload,
)
from tests.support.stack import Stack, uid, wait_for

pytestmark = pytest.mark.kafka

EVENTS = 6_000
NOTICE = 'class="notice"'
PASSWORD = "kata-sandi-uji-123"


def _csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}"
    return found[1]


def _logged_in(stack: Stack, node: str) -> httpx.Client:
    add_user(stack.engine, "warga-uji", name="Warga Uji", node_id=node, role="member",
             password=PASSWORD)
    client = httpx.Client(base_url=stack.base_url, timeout=30, follow_redirects=False)
    token = _csrf(client, "/login")
    response = client.post("/login", data={"username": "warga-uji", "password": PASSWORD,
                                           "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.text
    return client


def test_kafka_unreachable_gives_503_a_read_only_site_and_everything_resumes(
    fault_stacks: FaultStacks,
) -> None:
    began = time.monotonic()
    with fault_stacks.start("unreachable", GOTONG_COOKIE_SECURE="0",
                            GOTONG_PUBLISH_TIMEOUT="3") as stack:
        node = stack.node()
        run = uid("k4")
        events = workload(run, EVENTS, node)
        proposal = events[0]["subject"]
        stack.publish(node, events[:1])
        stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: True)
        browser = _logged_in(stack, node)
        assert NOTICE not in browser.get("/").text

        driver = Driver(lambda: stack.base_url, stack.keys[node], events[1:], batch=100,
                        pause_s=0.05, give_up_s=180).start()
        driver.ledger.ack(events[:1])
        try:
            wait_for(lambda: driver.sent > 1_000, timeout=120, what="events flowing")
            broker.stop(fault_stacks.broker(stack))
            outage = time.monotonic()
            # the API: 503 with Retry-After, for as long as the broker is away
            direct = stack.post(node, [workload(uid("k4x"), 1, node)[0]])
            assert direct.status_code == 503, direct.text
            assert direct.headers.get("Retry-After")
            assert direct.headers["content-type"].startswith("application/problem+json")
            # the site: pages still read, with the notice; a form fails plainly
            wait_for(lambda: NOTICE in browser.get("/").text, timeout=30,
                     what="the read-only notice")
            page = browser.get(f"/proposals/{proposal}")
            assert page.status_code == 200 and NOTICE in page.text
            token = _csrf(browser, f"/proposals/{proposal}")
            sent = browser.post(f"/proposals/{proposal}/comments",
                                data={"body": "Setuju", "csrf_token": token})
            assert sent.status_code == 503, sent.status_code
            assert sent.headers.get("Retry-After")
            assert "nothing was saved" in sent.text or "tidak ada yang tersimpan" in sent.text
            time.sleep(max(0.0, 8 - (time.monotonic() - outage)))
            answers_during = dict(driver.ledger.answers)
            broker.start(fault_stacks.broker(stack))
            down_s = time.monotonic() - outage
            driver.join(timeout=300)
        finally:
            driver.stop()
        wait_for(lambda: NOTICE not in browser.get("/").text, timeout=30,
                 what="the notice to go away")
        browser.close()
        acked = driver.ledger.acked
        expected = oracle_snapshot(acked)
        actual = wait_until_equal(lambda: ours(snapshot_of(stack.settings.database_url), run),
                                  expected, timeout=180)
        counted = figures(actual, acked)
        report("kafka-unreachable", faults=1, outage_s=round(down_s, 1), sent=len(events),
               acknowledged=counted.acknowledged, lost=counted.lost,
               duplicated=counted.duplicated, unacked_present=counted.unexpected,
               answers_during_outage=answers_during, answers=dict(driver.ledger.answers),
               seconds=round(time.monotonic() - began))
    assert "503" in answers_during, answers_during
    assert counted.acknowledged == EVENTS
    assert (counted.lost, counted.duplicated) == (0, 0), counted
    assert actual == expected, differences(actual, expected)
