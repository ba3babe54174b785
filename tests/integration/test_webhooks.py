"""Webhooks end to end: a loopback receiver, the worker's delivery agents, the owner's API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from events.envelope import timestamp as now_iso
from services.feeds.webhooks.sealing import seal
from services.readmodel.feed_tables import WebhookSubscription
from tests.support.stack import SECRET, Stack, event, uid, wait_for
from tests.support.webhook_receiver import Answer, Receiver

pytestmark = pytest.mark.kafka


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _auth(stack: Stack, node: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.keys[node]}"}


def _subscribe(stack: Stack, node: str, url: str, **filters: Any) -> dict[str, Any]:
    response = httpx.post(f"{stack.base_url}/api/v1/subscriptions", headers=_auth(stack, node),
                          json={"url": url, **filters}, timeout=30)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _comment(node: str, subject: str | None = None) -> dict[str, Any]:
    return event("gotong.proposal.commented.v1", subject or uid("usulan"),
                 {"comment_id": uid("c"), "body": "Setuju", "author": "Pak Budi"}, node)


def _log(stack: Stack, node: str, sub: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.base_url}/api/v1/subscriptions/{sub}/deliveries",
                         headers=_auth(stack, node), timeout=30)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


def test_deliveries_are_signed_and_filtered(stack: Stack, receiver: Receiver) -> None:
    agency, node = stack.node("government"), stack.node()
    sub = _subscribe(stack, agency, receiver.base_url + "/signed", nodes=[node],
                     types=["gotong.proposal.commented.v1"])
    assert sub["secret"].startswith("whsec_")
    wanted, unwanted = _comment(node), _comment(agency)
    stack.publish(node, [wanted])
    stack.publish(agency, [unwanted])
    got = wait_for(lambda: receiver.got("/signed"), 30, "the delivery")
    assert got[0].event == wanted
    assert got[0].headers["webhook-id"].startswith("msg_")
    assert got[0].signed_with(sub["secret"])
    assert not got[0].signed_with("whsec_" + "A" * 44)
    listed = httpx.get(f"{stack.base_url}/api/v1/subscriptions", headers=_auth(stack, agency))
    assert [s["id"] for s in listed.json()["items"]] == [sub["id"]]
    assert "secret" not in listed.json()["items"][0]
    wait_for(lambda: _log(stack, agency, sub["id"]), 10, "the delivery log")
    assert [(e["outcome"], e["status_code"]) for e in _log(stack, agency, sub["id"])] == [
        ("delivered", 200)]
    assert len(receiver.got("/signed")) == 1


def test_500_and_timeouts_are_retried_with_the_same_webhook_id(stack: Stack,
                                                               receiver: Receiver) -> None:
    node = stack.node()
    receiver.script["/flaky"] = [Answer(500), Answer(200, delay=1.5), Answer(200)]
    sub = _subscribe(stack, node, receiver.base_url + "/flaky", nodes=[node])
    stack.publish(node, [_comment(node)])
    got = wait_for(lambda: (r := receiver.got("/flaky")) and len(r) >= 3 and r, 30,
                   "three attempts")
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert all(r.signed_with(sub["secret"]) for r in got)
    entries = wait_for(lambda: (e := _log(stack, node, sub["id"])) and len(e) >= 3 and e, 10,
                       "three log entries")
    assert [e["outcome"] for e in entries] == ["retrying", "retrying", "delivered"]
    assert entries[0]["status_code"] == 500 and "no answer within" in entries[1]["error"]


def test_429_retry_after_is_honoured(stack: Stack, receiver: Receiver) -> None:
    node = stack.node()
    receiver.script["/busy"] = [Answer(429, {"Retry-After": "2"}), Answer(200)]
    _subscribe(stack, node, receiver.base_url + "/busy", nodes=[node])
    stack.publish(node, [_comment(node)])
    got = wait_for(lambda: (r := receiver.got("/busy")) and len(r) >= 2 and r, 30, "the retry")
    assert got[1].at - got[0].at >= 1.9  # the schedule alone would say 0.3 s


def test_410_disables_the_subscription(stack: Stack, receiver: Receiver) -> None:
    node = stack.node()
    receiver.script["/gone"] = [Answer(410)]
    sub = _subscribe(stack, node, receiver.base_url + "/gone", nodes=[node])
    stack.publish(node, [_comment(node)])
    url = f"{stack.base_url}/api/v1/subscriptions/{sub['id']}"
    shown = wait_for(lambda: (s := httpx.get(url, headers=_auth(stack, node)).json())
                     ["status"] == "disabled" and s, 30, "the subscription to be disabled")
    assert "410" in shown["status_reason"]
    stack.publish(node, [_comment(node)])
    wait_for(lambda: len(_log(stack, node, sub["id"])) >= 1, 10, "the log")
    assert len(receiver.got("/gone")) == 1


def test_a_long_failing_subscription_is_paused_with_the_reason(stack: Stack,
                                                               receiver: Receiver) -> None:
    node = stack.node()
    receiver.script["/down"] = [Answer(503)]
    sub = _subscribe(stack, node, receiver.base_url + "/down", nodes=[node])
    stack.publish(node, [_comment(node)])
    url = f"{stack.base_url}/api/v1/subscriptions/{sub['id']}"
    shown = wait_for(lambda: (s := httpx.get(url, headers=_auth(stack, node)).json())
                     ["status"] == "paused" and s, 30, "the subscription to be paused")
    assert "failing since" in shown["status_reason"] and "503" in shown["status_reason"]
    assert {e["status_code"] for e in _log(stack, node, sub["id"])} == {503}

    receiver.script["/down"] = [Answer(200)]
    resumed = httpx.patch(url, headers=_auth(stack, node), json={"status": "active"})
    assert resumed.json()["status"] == "active" and resumed.json()["failing_since"] is None
    later = _comment(node)
    stack.publish(node, [later])
    wait_for(lambda: any(r.event["id"] == later["id"] for r in receiver.got("/down")), 30,
             "a delivery after resuming")


def test_paused_and_deleted_subscriptions_get_nothing(stack: Stack, receiver: Receiver) -> None:
    node = stack.node()
    sub = _subscribe(stack, node, receiver.base_url + "/paused", nodes=[node])
    url = f"{stack.base_url}/api/v1/subscriptions/{sub['id']}"
    paused = httpx.patch(url, headers=_auth(stack, node), json={"status": "paused"})
    assert paused.json()["status"] == "paused"
    stack.publish(node, [_comment(node)])
    other = stack.node()
    assert httpx.delete(url, headers=_auth(stack, other)).status_code == 404
    assert httpx.delete(url, headers=_auth(stack, node)).status_code == 204
    assert httpx.get(url, headers=_auth(stack, node)).status_code == 404
    marker = _subscribe(stack, node, receiver.base_url + "/marker", nodes=[node])
    stack.publish(node, [_comment(node)])
    wait_for(lambda: receiver.got("/marker"), 30, "the marker delivery")
    assert receiver.got("/paused") == [] and marker["status"] == "active"


def test_private_targets_are_refused_when_subscribing(stack: Stack) -> None:
    node = stack.node()
    for url in ("http://10.0.0.8/hook", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:8080/", "file:///etc/passwd"):
        response = httpx.post(f"{stack.base_url}/api/v1/subscriptions",
                              headers=_auth(stack, node), json={"url": url})
        assert response.status_code == 422, url
        assert response.json()["errors"][0]["pointer"] == "#/url"


def test_targets_are_checked_again_at_delivery_time(stack: Stack, receiver: Receiver) -> None:
    node = stack.node()
    port = receiver.server.server_address[1]
    forbidden = f"http://127.0.0.2:{port}/rebound"  # loopback, not an allowed host name
    sub_id = "sub_" + uid("rebound")
    with Session(stack.engine) as session:  # as if DNS had changed since it was created
        session.add(WebhookSubscription(id=sub_id, node_id=node, url=forbidden,
                                        filter={"node": [node]},
                                        secret_sealed=seal(SECRET.encode(), "whsec_AAAA"),
                                        created_at=now_iso(), updated_at=now_iso()))
        session.commit()
    stack.publish(node, [_comment(node)])
    entries = wait_for(lambda: _log(stack, node, sub_id), 30, "the refusal in the log")
    assert entries[0]["error"].startswith("refused:") and entries[0]["status_code"] is None
    assert receiver.got("/rebound") == []


def test_subscribing_needs_a_key_with_the_subscribe_scope(stack: Stack) -> None:
    anonymous = httpx.post(f"{stack.base_url}/api/v1/subscriptions", json={"url": "x"})
    assert anonymous.status_code == 401
    node = uid("pub")
    done = stack.cli("node", "add", node, "--kind", "ngo", "--name", "LSM", "--scope", "publish")
    key = done.stdout.strip().splitlines()[-1]
    refused = httpx.post(f"{stack.base_url}/api/v1/subscriptions", json={"url": "x"},
                         headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 403 and "subscribe" in refused.json()["detail"]
