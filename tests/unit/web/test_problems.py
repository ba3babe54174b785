"""A failure of ours still answers like the rest of the site: a page in the person's
language or problem details, with the security headers, and no detail of the failure."""

from __future__ import annotations

from dataclasses import replace

from starlette.routing import Route
from starlette.testclient import TestClient

from services.settings import get as get_settings
from web.app import create_app


def _broken(request: object) -> None:
    raise RuntimeError("secret detail of the failure")


def client() -> TestClient:
    app = create_app(replace(get_settings(), cookie_secure=True))
    app.router.routes.insert(0, Route("/boom", _broken))
    app.router.routes.insert(0, Route("/api/v1/boom", _broken))
    # no lifespan: nothing here reads the database or Kafka
    return TestClient(app, raise_server_exceptions=False)


def test_a_page_that_fails_is_a_500_page_in_the_persons_language_with_the_headers() -> None:
    web = client()
    english = web.get("/boom", headers={"Accept-Language": "en"})
    assert english.status_code == 500
    assert english.headers["content-type"].startswith("text/html")
    assert "Something went wrong." in english.text
    assert "secret detail" not in english.text
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options",
                 "referrer-policy", "strict-transport-security"):
        assert name in english.headers, name
    indonesian = web.get("/boom")
    assert indonesian.status_code == 500 and "Something went wrong." not in indonesian.text


def test_an_api_call_that_fails_is_problem_details_with_the_headers() -> None:
    answer = client().get("/api/v1/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 500 and "secret detail" not in answer.text
    assert "content-security-policy" in answer.headers
