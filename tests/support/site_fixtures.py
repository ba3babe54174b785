"""The Bitung demo loaded through a real stack, and a site client with accounts on it.

Shared by the page, form and browser tests: the demo goes through the ordinary
publish path (ingest producer -> gate -> aggregates -> projector), once per stack.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services.demo.loader import demo_events
from services.identity.accounts import SiteUser, add_user
from services.local.up import load_demo
from services.readmodel.tables import ActionItem, Meeting, Proposal
from tests.support.stack import Stack, wait_for
from web.app import create_app

PASSWORD = "kata-sandi-uji-123"

# username: (name, node, role)
USERS = {
    "ani": ("Ibu Ani", "pkk-bitung-tengah", "member"),
    "hendra": ("Hendra Lumenta", "dinsos-bitung", "coordinator"),
    "sari": ("Sari Dinsos", "dinsos-bitung", "member"),
    "rudi": ("Rudi Dinkes", "dinkes-bitung", "coordinator"),
    "admin-uji": ("Admin Bappeda", "bappeda-bitung", "admin"),
}

TABLES = {"proposal": Proposal, "meeting": Meeting, "action_item": ActionItem}


def _projected(stack: Stack, expected: dict[tuple[str, str], int]) -> bool:
    with Session(stack.engine) as session:
        for (aggregate, subject), count in expected.items():
            model = TABLES[aggregate]
            row = session.exec(select(model.version).where(col(model.id) == subject)).first()
            if row is None or row < count:
                return False
    return True


@dataclass
class DemoSite:
    stack: Stack
    client: TestClient
    app: Starlette

    def login(self, username: str | None) -> None:
        """Start over as a new browser, logged in as ``username`` (None: anonymous)."""
        self.client.cookies.clear()
        if username is None:
            return
        token = self.csrf("/login")
        response = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                                    "csrf_token": token, "next": "/"})
        assert response.status_code == 303, response.text

    def csrf(self, path: str) -> str:
        """The form token of a page that holds a form (a visitor's shared pages hold
        none: take it from ``/login``)."""
        response = self.client.get(path)
        assert response.status_code in (200, 202), (path, response.status_code)
        assert 'name="csrf_token"' in response.text, f"{path} holds no form token"
        return str(response.context["csrf_token"])

    def post(self, path: str, data: dict[str, Any], token_from: str | None = None) -> Any:
        token = self.csrf(token_from or "/")
        return self.client.post(path, data={**data, "csrf_token": token})


def load_demo_once(stack: Stack) -> None:
    with Session(stack.engine) as session:
        done = session.exec(select(Proposal.id).where(
            Proposal.id == "usulan-pelatihan-menjahit-bitung-tengah")).first()
    if done is None:
        load_demo(stack.settings)
    counts = Counter((e["type"].split(".")[1], e["subject"]) for e in demo_events()
                     if e["type"].split(".")[1] in TABLES)
    wait_for(lambda: _projected(stack, dict(counts)), timeout=120, what="the demo projected")
    with Session(stack.engine) as session:
        existing = set(session.exec(select(SiteUser.username)).all())
    for username, (name, node, role) in USERS.items():
        if username not in existing:
            add_user(stack.engine, username, name=name, node_id=node, role=role,
                     password=PASSWORD)


@pytest.fixture(scope="session")
def demo_site(stack: Stack) -> Iterator[DemoSite]:
    load_demo_once(stack)
    app = create_app(replace(stack.settings, cookie_secure=False))
    with TestClient(app, follow_redirects=False) as client:
        yield DemoSite(stack=stack, client=client, app=app)


@pytest.fixture
def site(demo_site: DemoSite) -> DemoSite:
    demo_site.login(None)
    return demo_site


def visible_text(html: str) -> str:
    """Roughly what a person reads: the page without tags, scripts or extra spaces."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
