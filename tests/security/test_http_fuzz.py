"""Issue 6, *Bad input*: at least 10,000 generated HTTP requests against the real app.

The real Starlette app (``web.app.create_app``) in-process, on the suite's real
broker and real database (SQLite and PostgreSQL, through the ``stack`` fixture):
every route of the API, the feeds, the open data and the site, with generated
paths, query strings, headers, cookies and bodies (random bytes, truncated and
mutated events, wrong types, markup and control characters, floods of fields).

Checklist items covered:

- no 5xx in ``REQUESTS`` (>= 10,000) generated requests per database backend;
- every 4xx of ``/api/``, ``/feeds/`` and ``/data/`` is a problem body (RFC 9457) that
  names the fault (type, title, status, detail; a 422 names each field by pointer);
- markup sent in query strings and bodies never comes back unescaped in HTML.

``schemathesis`` on ``/openapi.json`` runs beside this in tests/integration/test_openapi.py.
"""

from __future__ import annotations

import json
import os
import random
import string
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from starlette.testclient import TestClient

from events.validation import load_schema
from tests.support.stack import Stack, event, uid
from web.app import create_app

pytestmark = pytest.mark.kafka

REQUESTS = int(os.environ.get("GOTONG_FUZZ_REQUESTS", "10000"))
SEED = 6
MARKUP = '<script>alert("x")</script>'
NASTY = [MARKUP, "\x00", "%00", "'; DROP TABLE proposals; --", "../../etc/passwd", "\u202e",
         "=HYPERLINK(\"http://x\")", "\r\nSet-Cookie: a=b", "😀" * 3, "a" * 3000, "", " ",
         "-1", "1e309", "NaN", "9" * 30, "true", "null", "[]", "{}", "%", "_", "\\", "\ud7ff",
         "²", "٣"]  # digits to str.isdigit: "²" is no number to int
PROBLEM_PREFIXES = ("/api/", "/feeds/", "/data/")


@dataclass
class Fuzz:
    client: TestClient
    stack: Stack
    node: str
    key: str
    proposal: str
    item: str
    meeting: str
    forum: str


@pytest.fixture(scope="module")
def fuzz(stack: Stack) -> Iterator[Fuzz]:
    node = stack.node("ngo")
    forum, proposal, meeting, item = uid("forum"), uid("usulan"), uid("rapat"), uid("rtl")
    stack.publish(node, [
        event("gotong.forum.opened.v1", forum, {"title": f"Forum {MARKUP}"}, node),
        event("gotong.proposal.submitted.v1", proposal, {
            "forum_id": forum, "title": MARKUP, "body": "b\x0b", "author": MARKUP}, node),
        event("gotong.meeting.scheduled.v1", meeting, {
            "forum_id": forum, "title": MARKUP, "starts_at": "2030-01-01T01:00:00Z",
            "agenda": [MARKUP]}, node),
        event("gotong.action_item.created.v1", item, {
            "title": MARKUP, "owner_node_id": node, "due_date": "2030-01-01",
            "meeting_id": meeting, "proposal_id": proposal}, node)])
    stack.wait_json(f"/api/v1/meetings/{meeting}", lambda m: m["action_items"])
    app = create_app(replace(stack.settings, cookie_secure=False))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield Fuzz(client, stack, node, stack.keys[node], proposal, item, meeting, forum)


def dumps(value: Any) -> bytes:
    # the standard library writes what orjson refuses: integers past 64 bits, lone surrogates
    return json.dumps(value).encode()


class Generator:
    """Requests in the shapes that break services: each call returns (method, url, kwargs)."""

    def __init__(self, fuzz: Fuzz, rng: random.Random) -> None:
        self.f = fuzz
        self.rng = rng
        self.example = load_schema("envelope")["examples"][0]

    # -- small pieces --

    def text(self) -> str:
        r = self.rng
        if r.random() < 0.4:
            return r.choice(NASTY)
        alphabet = string.printable + "äé漢\u0000\u001f\u2028"
        return "".join(r.choice(alphabet) for _ in range(r.randint(0, 40)))

    def some_id(self) -> str:
        f = self.f
        return self.rng.choice([f.proposal, f.item, f.meeting, f.forum, f.node, "nope",
                                quote(self.text(), safe="") or "x",
                                "usulan-pelatihan-menjahit-bitung-tengah"])

    def some_program(self) -> str:
        return self.rng.choice(["edukasi-gizi-posyandu", "anak-tetap-sekolah", self.some_id()])

    def query(self, names: list[str]) -> dict[str, str]:
        picked = self.rng.sample(names, self.rng.randint(0, len(names)))
        return {n: self.text() if self.rng.random() < 0.7 else str(self.rng.randint(-5, 10**6))
                for n in picked}

    def json_value(self, depth: int = 0) -> Any:
        r = self.rng
        roll = r.random()
        if depth > 3 or roll < 0.4:
            return r.choice([None, True, 0, -1, 2**70, 1.5, self.text(), ""])
        if roll < 0.7:
            return [self.json_value(depth + 1) for _ in range(r.randint(0, 4))]
        return {self.text(): self.json_value(depth + 1) for _ in range(r.randint(0, 4))}

    def event(self) -> dict[str, Any]:
        ev = orjson.loads(orjson.dumps(self.example))
        ev["id"] = str(uuid.uuid4())
        ev["source"] = f"/nodes/{self.f.node}"
        r = self.rng
        for _ in range(r.randint(0, 3)):
            data = ev.get("data")
            target = data if isinstance(data, dict) and r.random() < 0.5 else ev
            name = r.choice(sorted(target) + ["extra", self.text()])
            how = r.random()
            if how < 0.3:
                target.pop(name, None)
            else:
                target[name] = self.json_value()
        return ev

    def headers(self, auth: bool = True) -> dict[str, str]:
        r = self.rng
        h: dict[str, str] = {}
        if auth:
            h["authorization"] = r.choice([
                f"Bearer {self.f.key}", f"Bearer {self.f.key}", "Bearer gtk_nope", "Bearer ",
                "Basic dXNlcjpwYXNz", "bearer " + "x" * 300, f"Bearer {self.text()}"
            ])
        if r.random() < 0.2:
            h["accept-language"] = r.choice(["en", "id", "*", "xx-YY;q=abc", ",,,", "en;q=2"])
        if r.random() < 0.2:
            h["cookie"] = r.choice(["gotong_session=abc", "gotong_csrf=" + "x" * 200,
                                    "=;;=", 'a="\\"', "gotong_lang=fr"])
        # header values are bytes on the wire: anything latin-1 can carry, controls excepted
        return {k: v.encode("latin-1", "replace")
                .translate(None, bytes(range(32)) + b"\x7f") for k, v in h.items()}

    # -- requests --

    def get_read(self) -> tuple[str, str, dict[str, Any]]:
        r = self.rng
        path, names = r.choice([
            ("/api/v1/forums", ["program", "area", "limit", "offset"]),
            (f"/api/v1/forums/{self.some_id()}", []),
            ("/api/v1/proposals", ["forum", "status", "node", "program", "limit", "offset"]),
            (f"/api/v1/proposals/{self.some_id()}", []),
            ("/api/v1/commitments", ["owner", "status", "overdue", "proposal", "meeting",
                                     "limit", "offset"]),
            (f"/api/v1/commitments/{self.some_id()}", []),
            ("/api/v1/meetings", ["forum", "from", "to", "limit", "offset"]),
            (f"/api/v1/meetings/{self.some_id()}", []),
            ("/api/v1/nodes", ["kind", "limit", "offset"]),
            (f"/api/v1/nodes/{self.some_id()}", []),
            ("/feeds/proposals.atom", ["forum", "node", "status", "subject"]),
            ("/feeds/commitments.atom", ["owner", "node", "status", "forum", "subject"]),
            (f"/feeds/forums/{self.some_id()}.atom", []),
            (f"/feeds/nodes/{self.some_id()}.atom", []),
            ("/feeds/meetings.ics", []),
            (f"/feeds/forums/{self.some_id()}/meetings.ics", []),
            (f"/data/{r.choice(['proposals', 'commitments', 'indicators', 'programs', 'x'])}."
             f"{r.choice(['csv', 'json', 'xml'])}", ["program"]),
            ("/", ["q", "forum", "status", "node", "program", "page"]),
            (f"/forums/{self.some_id()}", ["sort", "status", "page"]),
            (f"/proposals/{self.some_id()}", ["pending"]),
            (f"/meetings/{self.some_id()}", ["pending"]),
            ("/commitments", ["owner", "status", "overdue", "within", "forum", "program"]),
            ("/commitments.csv", ["owner", "status", "overdue", "within"]),
            (f"/commitments/{self.some_id()}", ["pending"]),
            (f"/nodes/{self.some_id()}", []),
            ("/programs", ["program"]),
            (f"/programs/{self.some_program()}", []),
            (f"/programs/{self.some_program()}/report.pdf", []),
            ("/api/v1/programs", ["node", "limit", "offset"]),
            ("/api/v1/search", ["q", "kind", "forum", "program", "node", "status", "limit",
                                "offset"]),
            ("/search", ["q", "kind", "forum", "program", "node", "status", "page"]),
            (f"/api/v1/programs/{self.some_program()}", []),
            (f"/api/v1/programs/{self.some_program()}/indicators/"
             f"{r.choice(['balita_stunting', 'nope', quote(self.text(), safe='') or 'x'])}", []),
            (f"/feeds/programs/{self.some_program()}.atom", []),
            ("/login", ["next"]),
            ("/openapi.json", []),
            (f"/api/v1/{quote(self.text(), safe='/')}", []),
            (f"/{quote(self.text(), safe='/')}", []),
        ])
        return "GET", path, {"params": self.query(names), "headers": self.headers(False)}

    def post_events(self) -> tuple[str, str, dict[str, Any]]:
        r = self.rng
        roll = r.random()
        if roll < 0.15:
            body = r.randbytes(r.randint(0, 300))
        elif roll < 0.3:
            whole = dumps([self.event() for _ in range(r.randint(1, 3))])
            body = whole[: r.randint(0, len(whole))]
        elif roll < 0.45:
            body = dumps(self.json_value())
        elif roll < 0.55:
            body = b"[" * r.randint(1, 5000) + b"]" * r.randint(0, 5000)
        else:
            events = [self.event() for _ in range(r.randint(1, 4))]
            body = dumps(events if r.random() < 0.5 else events[0])
        headers = self.headers() | {"content-type": r.choice(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", ""])}
        return "POST", "/api/v1/events", {"content": body, "headers": headers}

    def subscriptions(self) -> tuple[str, str, dict[str, Any]]:
        r = self.rng
        body: Any = {"url": r.choice(["http://10.0.0.1/", "http://169.254.169.254/",
                                      "http://[::1]/", "ftp://x", "http://example.invalid/",
                                      "http://0x7f000001/", self.text()]),
                     r.choice(["types", "nodes", "subjects", "forums", "owners", "x"]):
                     r.choice([[self.text()], self.text(), [1], []])}
        if r.random() < 0.3:
            body = self.json_value()
        content = dumps(body) if r.random() < 0.8 else r.randbytes(50)
        method, path = r.choice([("POST", "/api/v1/subscriptions"),
                                 ("GET", "/api/v1/subscriptions"),
                                 ("GET", f"/api/v1/subscriptions/{self.some_id()}"),
                                 ("PATCH", f"/api/v1/subscriptions/{self.some_id()}"),
                                 ("DELETE", f"/api/v1/subscriptions/{self.some_id()}"),
                                 ("GET", f"/api/v1/subscriptions/{self.some_id()}/deliveries")])
        kwargs: dict[str, Any] = {"headers": self.headers() | {"content-type":
                                                                "application/json"}}
        if method in ("POST", "PATCH"):
            kwargs["content"] = content
        if method == "GET" and path.endswith("deliveries"):
            kwargs["params"] = self.query(["limit", "before"])
        return method, path, kwargs

    def form(self) -> tuple[str, str, dict[str, Any]]:
        r = self.rng
        path = r.choice([
            "/login", "/logout", "/language", f"/forums/{self.some_id()}/proposals",
            f"/proposals/{self.some_id()}/comments", f"/proposals/{self.some_id()}/endorsements",
            f"/proposals/{self.some_id()}/status", f"/forums/{self.some_id()}/meetings",
            f"/meetings/{self.some_id()}/minutes", f"/meetings/{self.some_id()}/action-items",
            f"/commitments/{self.some_id()}/progress", f"/commitments/{self.some_id()}/status"])
        fields = {name: self.text() for name in r.sample(
            ["title", "body", "username", "password", "next", "lang", "csrf_token", "status",
             "reason", "percent", "note", "evidence_url", "in_reply_to", "tags",
             "budget_estimate", "starts_at", "attendees", "decisions"], r.randint(0, 8))}
        if r.random() < 0.2:
            return "POST", path, {"content": "&".join(f"f{i}={i}" for i in range(5000)),
                                  "headers": {"content-type": "application/x-www-form-urlencoded"}}
        if r.random() < 0.3:
            return "POST", path, {"files": {"f": ("x.txt", b"x")}, "data": fields}
        return "POST", path, {"data": fields, "headers": self.headers(False)}

    def odd_method(self) -> tuple[str, str, dict[str, Any]]:
        r = self.rng
        method = r.choice(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "POST"])
        path = r.choice(["/api/v1/proposals", "/api/v1/events", "/api/v1/nodes", "/",
                         "/commitments", "/feeds/proposals.atom", "/openapi.json"])
        return method, path, {"headers": self.headers()}

    def next(self) -> tuple[str, str, dict[str, Any]]:
        roll = self.rng.random()
        if roll < 0.45:
            return self.get_read()
        if roll < 0.7:
            return self.post_events()
        if roll < 0.8:
            return self.subscriptions()
        if roll < 0.95:
            return self.form()
        return self.odd_method()


def _is_problem(response: Any) -> bool:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    body = response.json()
    named = all(isinstance(body.get(k), str) and body[k] for k in ("type", "title", "detail"))
    if body.get("type", "").endswith("/invalid-event"):
        named = named and bool(body.get("errors"))
    named = named and all(e.get("pointer", "").startswith("#") and e.get("detail")
                          for e in body.get("errors", []))
    return named and body.get("status") == response.status_code


def test_ten_thousand_generated_requests_give_no_server_error(fuzz: Fuzz) -> None:
    generator = Generator(fuzz, random.Random(SEED))
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for _ in range(REQUESTS):
        method, path, kwargs = generator.next()
        response = fuzz.client.request(method, path, **kwargs)
        statuses[response.status_code] += 1
        where = f"{method} {path} {kwargs.get('params') or ''}"
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {where} {repr(kwargs)[:300]}: "
                            f"{response.text[:300]}")
        elif response.status_code >= 400 \
                and response.request.url.path.startswith(PROBLEM_PREFIXES) \
                and method != "HEAD" and not _is_problem(response):
            failures.append(f"{response.status_code} not a problem body {where}: "
                            f"{response.text[:200]}")
        if response.headers.get("content-type", "").startswith("text/html") \
                and MARKUP in response.text:
            failures.append(f"unescaped markup in {where}")

    print(f"\n{sum(statuses.values())} generated requests on {fuzz.stack.name}: "
          f"{dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) >= REQUESTS
    assert failures == [], f"{len(failures)} failures, first: " + "\n".join(failures[:10])
    assert sum(n for code, n in statuses.items() if code >= 500) == 0
    assert statuses[202] > 0 and statuses[422] > 0 and statuses[200] > 0  # it went deep
