"""The JSON API's ingest (publishes events), its health check and its metrics; the read
endpoints are ``web.api.reads``."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from sqlalchemy import func, text
from sqlmodel import Session, select
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from services.identity.keys import credential_for_key
from services.ingest import publish as publishing
from services.readmodel.db import lookup
from services.readmodel.tables import WorkerHeartbeat
from web import metrics
from web.problems import JSONResponse, problem
from web.security import security_headers, with_headers

log = logging.getLogger(__name__)

RETRY_AFTER_S = "5"


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """The body, read in chunks and refused (BodyTooLarge) once past ``limit`` bytes;
    ``declared`` is the request's Content-Length, if it sent one."""
    if declared is not None and declared.isascii() and declared.isdigit() \
            and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def request_body(request: Request, limit: int) -> bytes:
    """``read_body`` of a request the router passed on (its body not read yet)."""
    return await read_body(request.receive, request.headers.get("content-length"), limit)


def _bearer(header: str | None) -> str | None:
    scheme, _, credentials = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


async def post_events(request: Request) -> Response:
    """Publish one event or a JSON array of events as the node the API key belongs to.

    Answers 202 only once Kafka has acknowledged every event. Retrying with the
    same event ids is always safe: duplicates are dropped by the gate.
    """
    headers = request.headers
    outcome = await ingest(request.app.state, headers.get("authorization"),
                           headers.get("content-length"), request.receive)
    if isinstance(outcome, Response):
        return outcome
    return Response(outcome, status_code=202, media_type="application/json")


async def ingest(state: Any, authorization: str | None, declared: str | None,
                 receive: Receive) -> bytes | Response:
    """``post_events``' work, on the parts of a request it reads: the 202's body, or the
    problem that answers instead."""
    settings = state.settings
    key = _bearer(authorization)
    if key is None:
        return problem(401, "unauthenticated", "Authentication required",
                       "send the node's API key as 'Authorization: Bearer <key>'",
                       headers={"WWW-Authenticate": 'Bearer realm="gotong"'})
    credential = await lookup(state.engine, credential_for_key, state.engine, key)
    if credential is None:
        return problem(401, "bad-key", "Unknown API key",
                       "the API key is not known or was revoked",
                       headers={"WWW-Authenticate": 'Bearer realm="gotong", error="invalid_token"'})
    if "publish" not in credential.scopes:
        return problem(403, "insufficient-scope", "Key may not publish",
                       "this API key lacks the 'publish' scope",
                       headers={"WWW-Authenticate":
                                'Bearer realm="gotong", error="insufficient_scope", '
                                'scope="publish"'})
    node = credential.node_id
    try:
        body = await read_body(receive, declared, settings.max_body_bytes)
    except BodyTooLarge:
        return problem(413, "too-large", "Request body too large",
                       f"a request may carry at most {settings.max_body_bytes} bytes")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return problem(400, "not-json", "Body is not JSON", f"the body is not valid JSON: {exc}")
    single = not isinstance(parsed, list)
    events: list[Any] = [parsed] if single else parsed
    if not events:
        return problem(422, "empty", "No events", "the array holds no event")
    if len(events) > settings.max_batch_events:
        return problem(413, "too-many-events", "Too many events",
                       f"a request may carry at most {settings.max_batch_events} events, "
                       f"got {len(events)}")
    prefix = publishing.pointer_prefix(single)
    try:
        publishing.check(state.validator, node, events, prefix)
        await publishing.ask_owners(state.engine, events, prefix)
        await publishing.send(state.producer, node, events, settings.publish_timeout_s)
    except publishing.NotPublished as exc:
        return _not_published(exc)
    return orjson.dumps({"accepted": len(events), "ids": [e["id"] for e in events]})


def _not_published(exc: publishing.NotPublished) -> Response:
    if exc.kind == "invalid":
        return problem(422, "invalid-event", "Invalid event", exc.detail, errors=exc.errors)
    if exc.kind == "wrong-source":
        return problem(403, "wrong-source", "Source is not your node", exc.detail,
                       errors=exc.errors)
    if exc.kind == "not-allowed":
        return problem(403, "not-allowed", "Event not allowed", exc.detail, errors=exc.errors)
    log.warning("publish failed: %s", exc.detail)
    return problem(503, "kafka-unavailable", "Event log unavailable",
                   f"{exc.detail}; retry later with the same event ids (a retry never "
                   "duplicates)", headers={"Retry-After": RETRY_AFTER_S})


def _database_and_worker(engine: Any, stale_s: int) -> tuple[bool, float | None, int]:
    """(database answers, age of the newest worker heartbeat, the fresh workers' lag)."""
    with Session(engine) as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        newest = session.exec(select(func.max(WorkerHeartbeat.seen_at))).one()
        lag = session.exec(select(func.coalesce(func.sum(WorkerHeartbeat.lag), 0)).where(
            WorkerHeartbeat.seen_at >= time.time() - stale_s)).one()
    age = None if newest is None else time.time() - float(newest)
    return True, age, int(lag or 0)


async def healthz(request: Request) -> Response:
    """200 only when Kafka answers, the database answers and a worker is making progress;
    "degraded" (still 200) when the workers have more unprocessed ingest records than
    ``GOTONG_LAG_DEGRADED``: pages and feeds are then behind what was published."""
    state = request.app.state
    settings = state.settings
    checks: dict[str, Any] = {}
    producer = state.producer
    checks["kafka"] = bool(producer is not None and producer.started
                           and await producer.is_reachable())
    try:
        checks["database"], age, lag = await asyncio.to_thread(
            _database_and_worker, state.engine, settings.worker_heartbeat_stale_s)
    except Exception as exc:  # any database failure is reported, not raised
        log.warning("health check: database unreachable: %r", exc)
        checks["database"], age, lag = False, None, 0
    checks["worker"] = age is not None and age <= settings.worker_heartbeat_stale_s
    checks["worker_heartbeat_age_s"] = None if age is None else round(age, 1)
    checks["lag"] = lag
    healthy = checks["kafka"] and checks["database"] and checks["worker"]
    status = "unavailable" if not healthy else (
        "degraded" if lag > settings.lag_degraded else "ok")
    return JSONResponse({"status": status, "checks": checks},
                        status_code=200 if healthy else 503)


INGEST = Route("/api/v1/events", post_events, methods=["POST"], name="api_events")

routes = [
    INGEST,
    Route("/healthz", healthz, name="healthz"),
    Route("/metrics", metrics.metrics, name="metrics"),
]


class IngestLane:
    """``POST /api/v1/events`` straight to its endpoint, past what acts only on other requests.

    Agencies send this one request by the thousand a second. The rest of the middleware
    (locale, compression, the forms' body limit, sessions, the NUL check of a query string)
    and the router's scan do nothing for it: ingest answers problem details in English,
    sets no cookie, has its own body limit, answers too little to compress and takes no
    query string (a request with one goes the ordinary way). This lane sits outermost
    and does itself what acts on every response: the security headers (the same list,
    ``web.security.security_headers``) and the metrics (``web.metrics.count``), without
    a wrapper per message for each (~13 µs of a ~170 µs request); it reads the two
    headers it needs from the scope and sends the 202 itself, without a Request or a
    Response object. A client that leaves while its body is read is counted as 499
    (nginx's word; one that leaves later is counted by the answer it did not wait for).
    An endpoint's failure still reaches the 500 handler (Starlette's, outside all
    middleware), which adds the headers itself; Starlette's HTTPException handlers are
    inside, so ``ingest`` answers every refusal itself (problem details) and raises none.
    """

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.headers = security_headers(https=https)
        self.accepted = [(b"content-type", b"application/json"), *self.headers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != INGEST.path
                or scope["method"] != "POST" or scope.get("query_string")):
            await self.app(scope, receive, send)
            return
        # what the router would have set: the route names the request in the metrics
        scope.update(route=INGEST, endpoint=INGEST.endpoint, path_params={})
        started = time.perf_counter()
        status = 500
        authorization = declared = None
        for name, value in scope["headers"]:  # (the first of each, as Starlette's Headers)
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-length" and declared is None:
                declared = value.decode("latin-1")
        try:
            outcome = await ingest(scope["app"].state, authorization, declared, receive)
            if isinstance(outcome, Response):
                outcome.raw_headers = with_headers(outcome.raw_headers, self.headers)
                status = outcome.status_code
                await outcome(scope, receive, send)
                return
            status = 202
            await send({"type": "http.response.start", "status": 202, "headers": [
                (b"content-length", str(len(outcome)).encode()), *self.accepted]})
            await send({"type": "http.response.body", "body": outcome})
        except ClientDisconnect:
            status = 499
        finally:
            metrics.count(INGEST.path, "POST", status, started)
