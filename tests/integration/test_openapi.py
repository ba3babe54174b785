"""The API keeps the promises of /openapi.json: real responses validate, fuzzing finds no 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.openapi_check import check
from tests.support.stack import Stack, event, uid, wait_for

pytestmark = pytest.mark.kafka

FUZZ_EXAMPLES = "15"  # bounded here, to keep the suite's time; a long run is done by hand


def test_responses_validate_against_openapi(stack: Stack) -> None:
    node = stack.node("government")
    auth = {"Authorization": f"Bearer {stack.keys[node]}"}
    proposal, item, meeting = uid("usulan"), uid("rtl"), uid("rapat")
    stack.publish(node, [
        event("gotong.proposal.submitted.v1", proposal, {
            "forum_id": "f", "title": "T", "body": "B", "author": "A"}, node),
        event("gotong.meeting.scheduled.v1", meeting, {
            "forum_id": "f", "title": "Rapat", "starts_at": "2030-01-01T01:00:00Z"}, node),
        event("gotong.action_item.created.v1", item, {
            "title": "T", "owner_node_id": node, "due_date": "2030-01-01",
            "meeting_id": meeting, "proposal_id": proposal}, node)])
    stack.wait_json(f"/api/v1/meetings/{meeting}", lambda m: m["action_items"])
    base = stack.base_url
    sub = httpx.post(f"{base}/api/v1/subscriptions", headers=auth,
                     json={"url": "http://127.0.0.1:9/hook", "nodes": [node]})
    responses = [
        sub,
        stack.post(node, [event("gotong.proposal.endorsed.v1", proposal, {"endorser": "X"},
                                node)]),
        stack.post(node, {"bad": True}), stack.post(node, {}, key="gtk_nope"),
        stack.get("/api/v1/events", node=node, limit=2), stack.get("/api/v1/events", after="x"),
        stack.get("/api/v1/proposals"), stack.get(f"/api/v1/proposals/{proposal}"),
        stack.get("/api/v1/proposals/nope"), stack.get("/api/v1/commitments", overdue="true"),
        stack.get("/api/v1/commitments", overdue="maybe"), stack.get(f"/api/v1/meetings/{meeting}"),
        stack.get("/api/v1/nodes"), stack.get(f"/api/v1/nodes/{node}"),
        stack.get("/api/v1/nodes/nope"), stack.get("/api/v1/forums", limit=1),
        stack.get("/api/v1/forums/f"), stack.get("/api/v1/meetings", forum="f", to="2030-01-01"),
        stack.get("/api/v1/meetings", to="soon"), stack.get(f"/api/v1/commitments/{item}"),
        stack.get("/api/v1/commitments/nope"), stack.get("/healthz"), stack.get("/openapi.json"),
        stack.get("/data/proposals.json"), stack.get("/data/nope.json"),
        stack.get("/feeds/proposals.atom"), stack.get("/feeds/meetings.ics"),
        httpx.get(f"{base}/api/v1/subscriptions", headers=auth),
        httpx.get(f"{base}/api/v1/subscriptions"),
        httpx.get(f"{base}/api/v1/subscriptions/{sub.json()['id']}", headers=auth),
        httpx.patch(f"{base}/api/v1/subscriptions/{sub.json()['id']}", headers=auth,
                    json={"status": "paused"}),
        httpx.patch(f"{base}/api/v1/subscriptions/{sub.json()['id']}", headers=auth,
                    json={"status": "gone"}),
        httpx.post(f"{base}/api/v1/subscriptions", headers=auth, json={"url": "ftp://x"}),
    ]
    wait_for(lambda: httpx.get(f"{base}/api/v1/subscriptions/{sub.json()['id']}/deliveries",
                               headers=auth).json()["items"] or True, 5)
    responses.append(httpx.get(f"{base}/api/v1/subscriptions/{sub.json()['id']}/deliveries",
                               headers=auth))
    responses.append(httpx.delete(f"{base}/api/v1/subscriptions/{sub.json()['id']}",
                                  headers=auth))
    for response in responses:
        check(response)


def test_schemathesis_finds_no_server_error(stack: Stack, tmp_path: Path) -> None:
    node = uid("fuzz")
    done = stack.cli("node", "add", node, "--kind", "ngo", "--name", "Fuzz", "--scope",
                     "publish", "--scope", "subscribe", "--scope", "read_private")
    key = done.stdout.strip().splitlines()[-1]
    run = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run",
         f"{stack.base_url}/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", FUZZ_EXAMPLES, "--seed", "4", "--workers", "1",
         "--exclude-path", "/api/v1/stream", "--request-timeout", "20",
         "--header", f"Authorization: Bearer {key}", "--suppress-health-check", "all",
         "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
