"""``/openapi.json``: OpenAPI 3.1 for every JSON route.

Schemas come from their sources rather than being written twice: the event
envelope from ``events/schemas/envelope.json``, the read API's answers from their
SQLModel data models (``services.readmodel.models``, made from the tables). A test
validates real responses against this document and schemathesis fuzzes the API with it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlmodel import SQLModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import SCHEMA_DIR
from services.readmodel import models
from web.problems import JSONResponse

REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def schema_of(model: type[SQLModel]) -> dict[str, Any]:
    """A data model as JSON Schema: a field with a default may also be null (a column
    the worker leaves empty); the data models it holds are referred to by name."""
    raw = model.model_json_schema(ref_template=REF + "{model}")
    props: dict[str, Any] = {}
    for name, prop in raw["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        if name not in raw.get("required", []):
            prop = {"anyOf": [prop, {"type": "null"}]}
        props[name] = prop
    return {"type": "object", "description": raw.get("description", ""), "properties": props,
            "required": list(raw.get("required", []))}


def _envelope() -> dict[str, Any]:
    schema = json.loads((SCHEMA_DIR / "envelope.json").read_text())
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id", "examples")}


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def components() -> dict[str, Any]:
    subscription = {
        "type": "object",
        "required": ["id", "url", "status", "types", "nodes", "subjects", "forums", "owners",
                     "created_at"],
        "properties": {"id": {"type": "string"}, "url": {"type": "string"},
                       "status": {"enum": ["active", "paused", "disabled"]},
                       "status_reason": {"type": ["string", "null"]},
                       "failing_since": {"type": ["string", "null"]},
                       "private": {"type": "boolean"},
                       "created_at": {"type": "string"}, "updated_at": {"type": "string"},
                       **{k: _strings() for k in ("types", "nodes", "subjects", "forums",
                                                  "owners")}}}
    return {
        "CloudEvent": _envelope(),
        "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "errors": {"type": "array", "items": {
                    "type": "object", "required": ["pointer", "detail"],
                    "properties": {"pointer": {"type": "string"},
                                   "detail": {"type": "string"}}}},
                "invalid-params": {"type": "array", "items": {
                    "type": "object", "required": ["name", "reason"],
                    "properties": {"name": {"type": "string"},
                                   "reason": {"type": "string"}}}}}},
        "Accepted": {"type": "object", "required": ["accepted", "ids"],
                     "properties": {"accepted": {"type": "integer"}, "ids": _strings()}},
        "FeedPage": {
            "type": "object", "required": ["items", "next", "at_end"],
            "properties": {"items": {"type": "array", "items": ref("CloudEvent")},
                           "next": {"type": "string", "description": "the cursor to follow"},
                           "at_end": {"type": "boolean"}}},
        **{model.__name__: schema_of(model) for model in models.ANSWERS},
        "Health": {"type": "object", "required": ["status", "checks"],
                   "properties": {"status": {"enum": ["ok", "degraded", "unavailable"]},
                                  "checks": {"type": "object"}}},
        "SubscriptionRequest": {
            "type": "object", "required": ["url"], "additionalProperties": False,
            "properties": {"url": {"type": "string", "format": "uri"},
                           **{k: _strings() for k in ("types", "nodes", "subjects", "forums",
                                                      "owners")}}},
        "Subscription": subscription,
        "SubscriptionCreated": {"allOf": [ref("Subscription"), {
            "type": "object", "required": ["secret"],
            "properties": {"secret": {"type": "string", "pattern": "^whsec_"}}}]},
        "Delivery": {
            "type": "object",
            "required": ["id", "message_id", "event_id", "event_type", "attempt", "outcome",
                         "at"],
            "properties": {"id": {"type": "integer"}, "message_id": {"type": "string"},
                           "event_id": {"type": "string"}, "event_type": {"type": "string"},
                           "attempt": {"type": "integer"},
                           "outcome": {"enum": ["delivered", "retrying", "failed", "disabled",
                                                "skipped"]},
                           "status_code": {"type": ["integer", "null"]},
                           "error": {"type": ["string", "null"]},
                           "duration_ms": {"type": ["number", "null"]},
                           "next_attempt_at": {"type": ["string", "null"]},
                           "at": {"type": "string"}}},
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": ref("Problem")}}}


def _list(item: str, paged: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {"items": {"type": "array", "items": ref(item)}}
    if paged:
        props |= {"total": {"type": "integer"}, "limit": {"type": "integer"},
                  "offset": {"type": "integer"},
                  "next": {"type": ["string", "null"],
                           "description": "the next page's URL (this path and query, the "
                                          "next offset); null on the last page"}}
    return {"type": "object", "required": list(props), "properties": props}


def _q(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


FEED_FILTERS = [
    _q("type", "event types, comma-separated; gotong.<aggregate>.* for all of one aggregate"),
    _q("node", "publishing nodes"), _q("subject", "aggregate ids"),
    _q("forum", "forums (comments and action items follow their proposal or meeting)"),
    _q("owner", "owners of action items (only action-item events)"),
]
BEARER: list[dict[str, Any]] = [{"nodeKey": []}]
OPTIONAL_BEARER: list[dict[str, Any]] = [{}, {"nodeKey": []}]
LIMIT = {"type": "integer", "minimum": 1, "maximum": 1000}
PROGRAM_DATA = _q("program", "indicators and programs: one program's rows only")


def _paging(default: int, most: int) -> list[dict[str, Any]]:
    return [_q("limit", f"page size ({default}; at most {most})",
               {"type": "integer", "minimum": 0}),
            _q("offset", "skip this many", {"type": "integer", "minimum": 0})]


def _starts(bound: str, description: str) -> dict[str, Any]:
    return _q(bound, f"meetings that start {description} (a date is a day in the city's "
                     "time zone)",
              {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]})


def paths() -> dict[str, Any]:
    bad_query = _problem("a query parameter is wrong; invalid-params names it")
    unauthorized = _problem("no key, or an unknown, expired or revoked key")
    forbidden = _problem("the key lacks the scope")
    missing = _problem("no such thing")
    sub_id = [_path("id")]
    atom = {"description": "Atom (RFC 4287)",
            "content": {"application/atom+xml": {"schema": {"type": "string"}}}}
    ics = {"description": "iCalendar (RFC 5545)",
           "content": {"text/calendar": {"schema": {"type": "string"}}}}
    lang = _q("lang", "the language of the summaries (Indonesian by default)",
              {"type": "string", "enum": ["id", "en"]})
    return {
        "/api/v1/events": {
            "post": {
                "operationId": "publishEvents",
                "summary": "Publish one event or an array of events as the key's node",
                "description": "202 only once Kafka acknowledged every event. Retry rule: on "
                               "503, a timeout or a dropped connection, send the same events "
                               "again with the same ids; duplicates are dropped.",
                "security": BEARER,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "oneOf": [ref("CloudEvent"),
                              {"type": "array", "items": ref("CloudEvent"),
                               "minItems": 1, "maxItems": 500}]}}}},
                "responses": {"202": _json(ref("Accepted"), "accepted by Kafka"),
                              "400": _problem("not JSON"), "401": unauthorized,
                              "403": _problem("another node's source, no publish scope, or "
                                              "an event no node may publish (registering "
                                              "another node, an overdue event)"),
                              "413": _problem("too many events or bytes"),
                              "422": _problem("invalid events; errors name each field"),
                              "503": _problem("Kafka unreachable; retry with the same ids")}},
            "get": {
                "operationId": "listEvents",
                "summary": "The event feed: a page of events after a cursor, in log order",
                "security": OPTIONAL_BEARER,
                "parameters": [_q("after", "a cursor from a previous page's next"),
                               *FEED_FILTERS, _q("limit", "at most this many (100)", LIMIT)],
                "responses": {"200": _json(ref("FeedPage"), "a page; follow next"),
                              "400": bad_query, "401": unauthorized,
                              "503": _problem("Kafka unreachable; retry with the cursor")}}},
        "/api/v1/stream": {"get": {
            "operationId": "streamEvents",
            "summary": "Server-Sent Events of the feed; resume with Last-Event-ID",
            "security": OPTIONAL_BEARER,
            "parameters": [_q("after", "a cursor to start after (or Last-Event-ID)"),
                           {"name": "Last-Event-ID", "in": "header", "required": False,
                            "schema": {"type": "string"}}, *FEED_FILTERS],
            "responses": {"200": {"description": "an endless event stream; each id is a cursor",
                                  "content": {"text/event-stream": {"schema":
                                                                    {"type": "string"}}}},
                          "400": bad_query, "401": unauthorized,
                          "503": _problem("Kafka unreachable")}}},
        "/api/v1/forums": {"get": {
            "operationId": "listForums",
            "summary": "Forums by title, each with its proposal count",
            "parameters": [_q("program", "program"), _q("area", "area"), *_paging(100, 1000)],
            "responses": {"200": _json(_list("ForumSummary", paged=True), "forums"),
                          "400": bad_query}}},
        "/api/v1/forums/{id}": {"get": {
            "operationId": "getForum",
            "summary": "A forum, its proposals counted by status, its upcoming and past "
                       "meetings", "parameters": [_path("id")],
            "responses": {"200": _json(ref("Forum"), "the forum"), "404": missing}}},
        "/api/v1/proposals": {"get": {
            "operationId": "listProposals",
            "summary": "Proposals, newest first",
            "parameters": [_q("forum", "forum id"), _q("status", "status"),
                           _q("node", "publishing node"), _q("program", "program"),
                           *_paging(50, 500)],
            "responses": {"200": _json(_list("ProposalSummary", paged=True), "proposals"),
                          "400": bad_query}}},
        "/api/v1/proposals/{id}": {"get": {
            "operationId": "getProposal",
            "summary": "A proposal's thread with its action items", "parameters": [_path("id")],
            "responses": {"200": _json(ref("ProposalThread"), "the thread"), "404": missing}}},
        "/api/v1/meetings": {"get": {
            "operationId": "listMeetings",
            "summary": "Meetings, soonest first (without their minutes)",
            "parameters": [_q("forum", "forum id"),
                           _starts("from", "on or after this date or at or after this time"),
                           _starts("to", "on or before this date or at or before this time"),
                           *_paging(100, 1000)],
            "responses": {"200": _json(_list("MeetingSummary", paged=True), "meetings"),
                          "400": bad_query}}},
        "/api/v1/meetings/{id}": {"get": {
            "operationId": "getMeeting",
            "summary": "A meeting with its minutes and action items", "parameters": [_path("id")],
            "responses": {"200": _json(ref("Meeting"), "the meeting"), "404": missing}}},
        "/api/v1/commitments": {"get": {
            "operationId": "listCommitments",
            "summary": "Action items with owners and due dates",
            "parameters": [_q("owner", "owner node"), _q("status", "status"),
                           _q("overdue", "true or false", {"type": "boolean"}),
                           _q("proposal", "proposal id"), _q("meeting", "meeting id"),
                           *_paging(100, 1000)],
            "responses": {"200": _json(_list("Commitment", paged=True), "commitments"),
                          "400": bad_query}}},
        "/api/v1/commitments/{id}": {"get": {
            "operationId": "getCommitment",
            "summary": "An action item with its history", "parameters": [_path("id")],
            "responses": {"200": _json(ref("Commitment"), "the commitment"),
                          "404": missing}}},
        "/api/v1/nodes": {"get": {
            "operationId": "listNodes",
            "summary": "Registered nodes by id (contact: read_private keys only)",
            "security": OPTIONAL_BEARER,
            "parameters": [_q("kind", "node kind"), *_paging(500, 1000)],
            "responses": {"200": _json(_list("Node", paged=True), "nodes"), "400": bad_query,
                          "401": unauthorized}}},
        "/api/v1/nodes/{id}": {"get": {
            "operationId": "getNode",
            "summary": "A node and its track record (contact: read_private keys only)",
            "security": OPTIONAL_BEARER, "parameters": [_path("id")],
            "responses": {"200": _json(ref("NodeProfile"), "the node"), "401": unauthorized,
                          "404": missing}}},
        "/api/v1/programs": {"get": {
            "operationId": "listPrograms",
            "summary": "Programs by name, each indicator with its latest figure and progress",
            "parameters": [_q("node", "the programs this node leads or is a partner of"),
                           *_paging(100, 1000)],
            "responses": {"200": _json(_list("ProgramSummary", paged=True), "programs"),
                          "400": bad_query}}},
        "/api/v1/programs/{id}": {"get": {
            "operationId": "getProgram",
            "summary": "A program: lead, partners, indicators with baseline, target, latest "
                       "figure and progress; the proposals and commitments serving it",
            "parameters": [_path("id")],
            "responses": {"200": _json(ref("Program"), "the program"), "404": missing}}},
        "/api/v1/programs/{id}/indicators/{indicator}": {"get": {
            "operationId": "getIndicatorSeries",
            "summary": "An indicator's figures by period and by area",
            "parameters": [_path("id"), _path("indicator")],
            "responses": {"200": _json(ref("IndicatorSeries"), "the series"),
                          "404": missing}}},
        "/api/v1/search": {"get": {
            "operationId": "search",
            "summary": "Full-text search of proposals, comments, meetings (agenda, minutes, "
                       "decisions) and commitments, best match first, with snippets",
            "description": "Every word must match; a \"quoted phrase\" matches as a phrase; "
                           "the last word also matches as a prefix while it is being typed "
                           "(no space after it). Other punctuation is not syntax.",
            "parameters": [
                {**_q("q", "the words to search for", {"type": "string", "minLength": 1}),
                 "required": True},
                _q("kind", "only this kind", {"enum": ["proposal", "comment", "meeting",
                                                       "commitment"]}),
                _q("forum", "forum id"), _q("program", "program id (a proposal's own, or its "
                                                      "forum's)"),
                _q("node", "the node that wrote it (a commitment: its owner)"),
                _q("status", "a proposal's or a commitment's status (a comment: its thread's)"),
                *_paging(20, 100)],
            "responses": {"200": _json(_list("SearchHit", paged=True), "what matched"),
                          "400": _problem("q missing or empty, or a wrong kind, status, "
                                          "limit or offset; invalid-params names it")}}},
        "/api/v1/subscriptions": {
            "post": {"operationId": "createSubscription",
                     "summary": "Subscribe a webhook; the whsec_ secret is shown only here",
                     "security": BEARER,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": ref("SubscriptionRequest")}}},
                     "responses": {"201": _json(ref("SubscriptionCreated"), "subscribed"),
                                   "400": _problem("not JSON"), "401": unauthorized,
                                   "403": forbidden, "413": _problem("body above 64 KiB"),
                                   "422": _problem("invalid or refused; errors name the field")}},
            "get": {"operationId": "listSubscriptions",
                    "summary": "The key's node's subscriptions", "security": BEARER,
                    "responses": {"200": _json(_list("Subscription"), "subscriptions"),
                                  "401": unauthorized, "403": forbidden}}},
        "/api/v1/subscriptions/{id}": {
            "parameters": sub_id,
            "get": {"operationId": "getSubscription", "summary": "One subscription",
                    "security": BEARER,
                    "responses": {"200": _json(ref("Subscription"), "the subscription"),
                                  "401": unauthorized, "403": forbidden, "404": missing}},
            "patch": {"operationId": "updateSubscription", "summary": "Pause or resume",
                      "security": BEARER,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {"type": "object", "required": ["status"],
                                     "additionalProperties": False,
                                     "properties": {"status": {"enum": ["active",
                                                                        "paused"]}}}}}},
                      "responses": {"200": _json(ref("Subscription"), "changed"),
                                    "400": _problem("not JSON"), "401": unauthorized,
                                    "403": forbidden, "404": missing,
                                    "409": _problem("disabled for good"),
                                    "413": _problem("body above 64 KiB"),
                                    "422": _problem("status must be active or paused")}},
            "delete": {"operationId": "deleteSubscription", "summary": "Delete",
                       "security": BEARER,
                       "responses": {"204": {"description": "deleted"}, "401": unauthorized,
                                     "403": forbidden, "404": missing}}},
        "/api/v1/subscriptions/{id}/deliveries": {"get": {
            "operationId": "listDeliveries",
            "summary": "The delivery log, newest first", "security": BEARER,
            "parameters": [*sub_id, _q("limit", "at most this many", LIMIT),
                           _q("before", "entries older than this log id",
                              {"type": "integer", "minimum": 0})],
            "responses": {"200": _json(_list("Delivery"), "attempts"), "400": bad_query,
                          "401": unauthorized, "403": forbidden, "404": missing}}},
        "/feeds/proposals.atom": {"get": {
            "operationId": "proposalsAtom",
            "summary": "Atom feed of proposals",
            "parameters": [_q("forum", "forum"), _q("node", "node"), _q("status", "status"),
                           _q("subject", "proposal id")],
            "responses": {"200": atom}}},
        "/feeds/commitments.atom": {"get": {
            "operationId": "commitmentsAtom",
            "summary": "Atom feed of commitments",
            "parameters": [_q("owner", "owner"), _q("node", "node"), _q("status", "status"),
                           _q("forum", "forum"), _q("subject", "action item id"), lang],
            "responses": {"200": atom}}},
        "/feeds/forums/{id}.atom": {"get": {"operationId": "forumAtom",
                                            "summary": "Atom feed of a forum",
                                            "parameters": [_path("id"), lang],
                                            "responses": {"200": atom, "404": missing}}},
        "/feeds/nodes/{id}.atom": {"get": {"operationId": "nodeAtom",
                                           "summary": "Atom feed of a node",
                                           "parameters": [_path("id"), lang],
                                           "responses": {"200": atom, "404": missing}}},
        "/feeds/programs/{id}.atom": {"get": {
            "operationId": "programAtom",
            "summary": "Atom feed of a program: its indicator reports, proposals and commitments",
            "parameters": [_path("id"), lang], "responses": {"200": atom, "404": missing}}},
        "/feeds/meetings/{id}.ics": {"get": {"operationId": "meetingCalendar",
                                             "summary": "One meeting as iCalendar (add to "
                                                        "calendar)",
                                             "parameters": [_path("id")],
                                             "responses": {"200": ics, "404": missing}}},
        "/feeds/meetings.ics": {"get": {"operationId": "meetingsCalendar",
                                        "summary": "Meetings as iCalendar",
                                        "responses": {"200": ics}}},
        "/feeds/forums/{id}/meetings.ics": {"get": {"operationId": "forumMeetingsCalendar",
                                                    "summary": "A forum's meetings",
                                                    "parameters": [_path("id")],
                                                    "responses": {"200": ics, "404": missing}}},
        "/data/{dataset}.json": {"get": {
            "operationId": "openDataJson",
            "summary": "Open data as JSON (proposals, commitments, indicators, programs)",
            "parameters": [{"name": "dataset", "in": "path", "required": True,
                            "schema": {"type": "string"}}, PROGRAM_DATA],
            "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": {"type": "object"}}}}, "rows"),
                "404": missing}}},
        "/data/{dataset}.csv": {"get": {
            "operationId": "openDataCsv",
            "summary": "Open data as CSV (cells that start a formula are quoted)",
            "parameters": [{"name": "dataset", "in": "path", "required": True,
                            "schema": {"type": "string"}}, PROGRAM_DATA],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {
                "schema": {"type": "string"}}}}, "404": missing}}},
        "/healthz": {"get": {"operationId": "health",
                             "summary": "Kafka, database and worker health",
                             "responses": {"200": _json(ref("Health"), "healthy"),
                                           "503": _json(ref("Health"), "not healthy")}}},
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                  "responses": {"200": _json({"type": "object"}, "OpenAPI")}}},
    }


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gotong API", "version": "1.0.0",
                 "description": "Events in (POST /api/v1/events), feeds out: the cursor feed, "
                                "Server-Sent Events, webhooks, Atom, iCalendar, open data; "
                                "the read model as JSON, the site's twin (lists are pages: "
                                "follow next). "
                                "Errors are RFC 9457 problem details."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "components": {"schemas": components(), "securitySchemes": {
            "nodeKey": {"type": "http", "scheme": "bearer",
                        "description": "a node's API key (gtk_...)"}}},
        "paths": paths(),
    }


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


routes = [Route("/openapi.json", openapi, name="openapi")]
