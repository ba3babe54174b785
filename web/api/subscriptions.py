"""``/api/v1/subscriptions``: webhooks an agency manages with a key holding ``subscribe``.

``POST`` answers 201 with the ``whsec_`` secret, shown this once; the owner can
list, pause (``PATCH {"status": "paused"}``), resume (``"active"``), delete, and
read the delivery log with each attempt's status code.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.validation import FieldError
from services.feeds.filters import FeedFilter
from services.feeds.webhooks import store
from services.feeds.webhooks.sealing import seal
from services.feeds.webhooks.signing import new_secret
from services.feeds.webhooks.targets import TargetRefused, check_target
from services.identity.keys import Credential
from services.readmodel.feed_tables import ACTIVE, PAUSED, WebhookDelivery, WebhookSubscription
from web.api import params
from web.api.events import BodyTooLarge, request_body
from web.problems import JSONResponse, problem
from web.queries.filters import whole_number

FILTER_FIELDS = {"types": "type", "nodes": "node", "subjects": "subject", "forums": "forum",
                 "owners": "owner"}
MAX_BODY = 64 * 1024


def public(row: WebhookSubscription) -> dict[str, Any]:
    flt = row.filter or {}
    return {"id": row.id, "url": row.url, "status": row.status,
            "status_reason": row.status_reason, "failing_since": row.failing_since,
            "private": row.private, "created_at": row.created_at, "updated_at": row.updated_at,
            **{name: flt.get(field, []) for name, field in FILTER_FIELDS.items()}}


def _invalid(errors: list[FieldError]) -> Response:
    return problem(422, "invalid-subscription", "Invalid subscription",
                   f"{len(errors)} problem(s) in the subscription", errors=errors)


async def _owner(request: Request) -> Credential | Response:
    try:
        found = await params.credential(request, "subscribe")
    except params.Unauthorized as exc:
        return exc.response
    assert found is not None
    return found


async def _read_json(request: Request) -> Any:
    # read at most MAX_BODY bytes: request.body() would hold any size in memory first
    return orjson.loads(await request_body(request, MAX_BODY))


def _too_large() -> Response:
    return problem(413, "too-large", "Request body too large",
                   f"a subscription request may carry at most {MAX_BODY} bytes")


async def create(request: Request) -> Response:
    owner = await _owner(request)
    if isinstance(owner, Response):
        return owner
    try:
        body = await _read_json(request)
    except BodyTooLarge:
        return _too_large()
    except orjson.JSONDecodeError as exc:
        return problem(400, "not-json", "Body is not JSON", str(exc))
    if not isinstance(body, dict):
        return _invalid([FieldError("", "must be an object with url, types, nodes, subjects")])
    errors: list[FieldError] = []
    unknown = sorted(set(body) - {"url", *FILTER_FIELDS})
    errors += [FieldError(f"/{k}", "is not a field of a subscription") for k in unknown]
    lists: dict[str, list[str]] = {}
    for name, field in FILTER_FIELDS.items():
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(FieldError(f"/{name}", "must be a list of strings"))
        elif len(value) > 100:
            errors.append(FieldError(f"/{name}", "may hold at most 100 values"))
        else:
            lists[field] = value
    url = body.get("url")
    if not isinstance(url, str):
        errors.append(FieldError("/url", "is required: the http(s) URL to deliver to"))
    if not errors:
        try:
            flt = FeedFilter.from_lists(lists)
        except ValueError as exc:
            field, _, reason = str(exc).partition(": ")
            name = next(n for n, f in FILTER_FIELDS.items() if f == field)
            errors.append(FieldError(f"/{name}", reason))
    if not errors:
        try:
            await check_target(str(url), request.app.state.settings.webhook_allowed_hosts)
        except TargetRefused as exc:
            errors.append(FieldError("/url", str(exc)))
    if errors:
        return _invalid(errors)
    secret = new_secret()
    state = request.app.state
    row = await asyncio.to_thread(
        store.create, state.engine, owner.node_id, str(url), flt.as_lists(),
        seal(state.settings.secret_key, secret), "read_private" in owner.scopes)
    location = request.url_for("api_subscription", id=row.id)
    return JSONResponse({**public(row), "secret": secret}, status_code=201,
                        headers={"Location": str(location)})


async def list_owned(request: Request) -> Response:
    owner = await _owner(request)
    if isinstance(owner, Response):
        return owner
    rows = await asyncio.to_thread(store.owned, request.app.state.engine, owner.node_id)
    return JSONResponse({"items": [public(r) for r in rows]})


async def _mine(request: Request) -> WebhookSubscription | Response:
    owner = await _owner(request)
    if isinstance(owner, Response):
        return owner
    sub_id = request.path_params["id"]
    row = await asyncio.to_thread(store.get, request.app.state.engine, sub_id)
    if row is None or row.node_id != owner.node_id:  # someone else's is as good as none
        return problem(404, "not-found", "No such subscription", f"no subscription {sub_id!r}")
    return row


async def show(request: Request) -> Response:
    row = await _mine(request)
    return row if isinstance(row, Response) else JSONResponse(public(row))


async def change(request: Request) -> Response:
    row = await _mine(request)
    if isinstance(row, Response):
        return row
    try:
        body = await _read_json(request)
    except BodyTooLarge:
        return _too_large()
    except orjson.JSONDecodeError as exc:
        return problem(400, "not-json", "Body is not JSON", str(exc))
    status = body.get("status") if isinstance(body, dict) else None
    if status not in (ACTIVE, PAUSED) or set(body) != {"status"}:
        return _invalid([FieldError("/status", "must be 'active' or 'paused' (only status "
                                    "can change; a new URL or filter is a new subscription)")])
    if row.status == "disabled":
        return problem(409, "disabled", "Subscription disabled",
                       f"{row.status_reason or 'disabled'}; create a new subscription")
    reason = "paused by its owner" if status == PAUSED else None
    engine = request.app.state.engine
    await asyncio.to_thread(store.set_status, engine, row.id, status, reason)
    updated = await asyncio.to_thread(store.get, engine, row.id)
    assert updated is not None
    return JSONResponse(public(updated))


async def remove(request: Request) -> Response:
    row = await _mine(request)
    if isinstance(row, Response):
        return row
    await asyncio.to_thread(store.remove, request.app.state.engine, row.id)
    return Response(status_code=204)


def _attempt(row: WebhookDelivery) -> dict[str, Any]:
    return row.model_dump(exclude={"subscription_id"})


async def deliveries(request: Request) -> Response:
    row = await _mine(request)
    if isinstance(row, Response):
        return row
    try:
        limit = params.limit(request, 100, 1000)
        raw = request.query_params.get("before")
        before = whole_number(raw)
        if raw is not None and before is None:
            raise params.BadParameter("before", "must be the id of a log entry")
    except params.BadParameter as exc:
        return exc.response()
    rows = await asyncio.to_thread(store.log_of, request.app.state.engine, row.id, limit, before)
    return JSONResponse({"items": [_attempt(r) for r in rows]})


routes = [
    Route("/api/v1/subscriptions", create, methods=["POST"], name="api_subscriptions_create"),
    Route("/api/v1/subscriptions", list_owned, methods=["GET"], name="api_subscriptions"),
    Route("/api/v1/subscriptions/{id}", show, methods=["GET"], name="api_subscription"),
    Route("/api/v1/subscriptions/{id}", change, methods=["PATCH"], name="api_subscription_change"),
    Route("/api/v1/subscriptions/{id}", remove, methods=["DELETE"],
          name="api_subscription_delete"),
    Route("/api/v1/subscriptions/{id}/deliveries", deliveries, name="api_subscription_log"),
]
