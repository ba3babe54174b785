"""web/metrics.py: requests counted by route template, /metrics for operators only."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from web.metrics import MetricsMiddleware, metrics


async def item(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.path_params["id"])


def client(token: str | None = None) -> TestClient:
    app = Starlette(routes=[Route("/things/{id}", item), Route("/metrics", metrics)],
                    middleware=[Middleware(MetricsMiddleware)])
    app.state.settings = SimpleNamespace(metrics_token=token)
    return TestClient(app)


def test_requests_are_counted_by_route_template_not_by_path() -> None:
    web = client(token="s3cret")
    for thing in ("usulan-1", "usulan-2", "rapat-9"):
        assert web.get(f"/things/{thing}").status_code == 200
    web.get("/nowhere")
    page = web.get("/metrics", headers={"Authorization": "Bearer s3cret"}).text
    counted = [line for line in page.splitlines()
               if line.startswith("gotong_http_requests_total{")]
    assert any('route="/things/{id}"' in line and 'status="200"' in line for line in counted)
    assert not any("usulan-1" in line for line in page.splitlines())
    assert any('route="unmatched"' in line and 'status="404"' in line for line in counted)
    assert "gotong_http_request_seconds_bucket" in page


def test_metrics_are_not_shown_to_a_remote_client_without_the_token() -> None:
    assert client().get("/metrics").status_code == 404  # TestClient is not loopback
    wrong = client(token="s3cret").get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
