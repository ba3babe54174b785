"""Writes ``events/asyncapi.yaml`` (AsyncAPI 3) from the catalog and the schema files.

    python -m events.asyncapi        # regenerate after adding a schema

Every message's payload refers to ``schemas/envelope.json`` and its data to
``schemas/<type>.json``, so the document never restates a contract; a test
checks the committed file is what this module renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from events.catalog import (
    AGGREGATE_TOPICS,
    DEAD_LETTER_TOPIC,
    INGEST_TOPIC,
    SCHEMA_DIR,
    aggregate_of,
    known_types,
)

PATH = Path(__file__).resolve().parent / "asyncapi.yaml"
CONSUMER_GROUP = "your-agency-name"  # any group id of the consumer's own

DEAD_LETTER_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "required": ["reason", "errors", "origin", "received_at", "original_size"],
    "properties": {
        "reason": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "pointer": {"type": "string"}, "detail": {"type": "string"}}}},
        "event_id": {"type": ["string", "null"]},
        "origin": {"type": "object", "description": "topic, partition, offset, timestamp, key"},
        "received_at": {"type": "string", "format": "date-time"},
        "original": {"type": ["string", "null"]},
        "original_base64": {"type": ["string", "null"]},
        "original_size": {"type": "integer"},
        "truncated": {"type": "boolean"},
    },
}


def _channel_id(topic: str) -> str:
    return topic.replace("gotong.", "").replace("-", "_")


def _message(event_type: str) -> dict[str, Any]:
    return {
        "name": event_type,
        "title": event_type,
        "contentType": "application/json",
        "summary": f"A CloudEvent of type {event_type} (JSON structured mode).",
        "bindings": {"kafka": {"key": {"type": "string",
                                       "description": "the event's subject"}}},
        "payload": {"allOf": [
            {"$ref": "./schemas/envelope.json"},
            {"type": "object", "properties": {
                "type": {"const": event_type},
                "data": {"$ref": f"./schemas/{event_type}.json"}}},
        ]},
    }


def render() -> dict[str, Any]:
    types = known_types()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for aggregate, topic in AGGREGATE_TOPICS.items():
        name = _channel_id(topic)
        wanted = [t for t in types if aggregate_of(t) == aggregate]
        channels[name] = {
            "address": topic,
            "description": f"Validated events of the {aggregate} aggregate, keyed by subject, "
                           "kept forever: read from the beginning to replay everything. "
                           "Written by the worker's ingest agent as it folds each event, in "
                           "the partition of its subject and in the order it was folded; "
                           "after a worker crash an event may appear twice (same id).",
            "messages": {t.replace(".", "_"): {"$ref": f"#/components/messages/{t}"}
                         for t in wanted}}
        operations[f"consume_{name}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"Follow {topic} with a consumer group of your own.",
            "bindings": {"kafka": {"groupId": {"type": "string",
                                               "examples": [CONSUMER_GROUP]}}},
            "messages": [{"$ref": f"#/channels/{name}/messages/{t.replace('.', '_')}"}
                         for t in wanted]}
    channels["ingest"] = {
        "address": INGEST_TOPIC,
        "description": "Everything unvalidated, one event per record, keyed by subject (the "
                       "partition of a subject holds its aggregate's state; a record in "
                       "another partition is moved to its subject's). Nodes writing here "
                       "directly sign each event (Ed25519 'signature' extension attribute); "
                       "unsigned ones are dead-lettered.",
        "messages": {"anyEvent": {"$ref": "#/components/messages/anyEvent"}}}
    operations["publish_ingest"] = {
        "action": "send", "channel": {"$ref": "#/channels/ingest"},
        "messages": [{"$ref": "#/channels/ingest/messages/anyEvent"}]}
    channels["dead_letter"] = {
        "address": DEAD_LETTER_TOPIC,
        "description": "Rejected records with the reason (kept 90 days).",
        "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}}}
    operations["consume_dead_letter"] = {
        "action": "receive", "channel": {"$ref": "#/channels/dead_letter"},
        "messages": [{"$ref": "#/channels/dead_letter/messages/deadLetter"}]}
    messages: dict[str, Any] = {t: _message(t) for t in types}
    messages["anyEvent"] = {"name": "anyEvent", "contentType": "application/json",
                            "payload": {"$ref": "./schemas/envelope.json"}}
    messages["deadLetter"] = {"name": "deadLetter", "contentType": "application/json",
                              "payload": DEAD_LETTER_PAYLOAD}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Gotong event topics", "version": "1.0.0",
                 "description": "The Kafka topics of Gotong. Records are CloudEvents 1.0 in "
                                "JSON structured mode, keyed by subject; their schemas are "
                                "the files in events/schemas/. Generated by events/asyncapi.py."},
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka",
                              "description": "the broker 'gotong kafka start' runs"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def text() -> str:
    body: str = yaml.safe_dump(render(), sort_keys=False, allow_unicode=True, width=100)
    return "# Generated by `python -m events.asyncapi`; do not edit by hand.\n" + body


if __name__ == "__main__":
    PATH.write_text(text())
    print(f"wrote {PATH} ({len(known_types())} message types from {SCHEMA_DIR})")
