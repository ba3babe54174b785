"""Node keys: rotation with a grace period, revocation, scopes, and publishing over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.identity.keys import issue_key
from services.readmodel.tables import NodeCredential
from tests.support.stack import Stack, event, uid

pytestmark = pytest.mark.kafka


def _comment(node: str) -> dict[str, object]:
    return event("gotong.proposal.commented.v1", uid("usulan"),
                 {"comment_id": uid("c"), "body": "Setuju", "author": "Pak Budi"}, node)


def test_rotated_key_works_and_the_old_one_only_during_the_grace_period(stack: Stack) -> None:
    node = stack.node()
    old = stack.keys[node]
    done = stack.cli("node", "rotate-key", node, "--grace", "1h")
    assert done.returncode == 0, done.stderr
    new = done.stdout.strip().splitlines()[-1]
    assert new.startswith("gtk_") and new != old
    assert stack.post(node, _comment(node), key=new).status_code == 202
    assert stack.post(node, _comment(node), key=old).status_code == 202  # still in grace

    with Session(stack.engine) as session:  # the grace period ends
        for cred in session.exec(select(NodeCredential).where(
                NodeCredential.node_id == node, NodeCredential.expires_at != None)).all():  # noqa: E711
            cred.expires_at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat(
                timespec="seconds")
            session.add(cred)
        session.commit()
    assert stack.post(node, _comment(node), key=old).status_code == 401
    assert stack.post(node, _comment(node), key=new).status_code == 202


def test_revoked_keys_stop_at_once(stack: Stack) -> None:
    node = stack.node()
    done = stack.cli("node", "revoke", node)
    assert done.returncode == 0, done.stderr
    response = stack.post(node, _comment(node))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    again = stack.cli("node", "revoke", node)
    assert again.returncode != 0 and "no valid API key" in again.stderr


def test_a_key_without_the_publish_scope_cannot_publish(stack: Stack) -> None:
    node = uid("dinas")
    done = stack.cli("node", "add", node, "--kind", "government", "--name", "Dinas",
                     "--scope", "subscribe")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    response = stack.post(node, _comment(node), key=key)
    assert response.status_code == 403 and response.json()["type"].endswith("insufficient-scope")


def test_publish_cli_goes_through_the_http_api_with_url_and_key(stack: Stack,
                                                               tmp_path: Path) -> None:
    node = stack.node()
    proposal = uid("usulan")
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event("gotong.proposal.submitted.v1", proposal, {
        "forum_id": "f", "title": "Lewat HTTP", "body": "B", "author": "A"}, node)]))
    done = stack.cli("publish", str(path), "--node", node, "--url", stack.base_url,
                     "--key", stack.keys[node])
    assert done.returncode == 0, done.stderr
    stack.wait_json(f"/api/v1/proposals/{proposal}", lambda p: p["title"] == "Lewat HTTP")
    wrong = stack.cli("publish", str(path), "--node", node, "--url", stack.base_url,
                      "--key", "gtk_wrong")
    assert wrong.returncode == 1 and "401" in wrong.stderr


def test_no_api_key_is_ever_issued_for_the_service_node(engine: Engine) -> None:
    with pytest.raises(ValueError, match="service's own node"):
        issue_key(engine, "gotong")
