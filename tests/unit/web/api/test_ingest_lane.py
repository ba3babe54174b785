"""Ingest's short way through the middleware (``web.api.events.IngestLane``): the same answers,
headers and metrics as the long way, which every other request still takes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client import REGISTRY
from starlette.routing import Route
from starlette.testclient import TestClient

from services.settings import get as get_settings
from web.api import events as api
from web.app import create_app

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options",
                    "referrer-policy", "strict-transport-security")


def client() -> TestClient:
    # no lifespan: what is asked here is answered before the database or Kafka
    return TestClient(create_app(replace(get_settings(), cookie_secure=True)),
                      raise_server_exceptions=False)


def counted(status: str) -> float:
    return REGISTRY.get_sample_value("gotong_http_requests_total", {
        "route": "/api/v1/events", "method": "POST", "status": status}) or 0.0


def test_ingest_answers_with_the_security_headers_and_is_counted_by_its_route() -> None:
    before = counted("401")
    answer = client().post("/api/v1/events", content=b"{}")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "set-cookie" not in answer.headers
    for name in SECURITY_HEADERS:
        assert name in answer.headers, name
    assert counted("401") == before + 1


def test_a_query_string_takes_the_ordinary_way_and_meets_the_nul_check() -> None:
    answer = client().post("/api/v1/events?x=%00", content=b"{}")
    assert answer.status_code == 400
    assert "NUL" in answer.json()["detail"]
    assert "content-security-policy" in answer.headers


def test_other_methods_and_paths_are_left_to_the_router() -> None:
    web = client()
    wrong_method = web.put("/api/v1/events", content=b"{}")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["allow"]
    assert wrong_method.headers["content-type"].startswith("application/problem+json")
    # the router redirects a trailing slash, as for every route
    assert web.post("/api/v1/events/", content=b"{}", follow_redirects=False).status_code == 307


def test_a_failure_in_ingest_is_a_500_in_problem_details_with_the_headers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(api, "_bearer", broken)
    answer = client().post("/api/v1/events", content=b"{}")
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "secret detail" not in answer.text
    for name in SECURITY_HEADERS:
        assert name in answer.headers, name


def test_ingest_does_not_pass_through_the_router() -> None:
    app = create_app(replace(get_settings(), cookie_secure=True))

    def taken(request: object) -> None:
        raise AssertionError("the router answered ingest")

    # a route the router would match first: the short way never asks it
    app.router.routes.insert(0, Route("/api/v1/events", taken, methods=["POST"]))
    web = TestClient(app, raise_server_exceptions=False)
    assert web.post("/api/v1/events", content=b"{}").status_code == 401
    assert web.post("/api/v1/events?via=router", content=b"{}").status_code == 500
