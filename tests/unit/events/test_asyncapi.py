"""events/asyncapi.yaml agrees with the catalog and with the schema files it refers to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from events import asyncapi
from events.catalog import ALL_TOPICS, SCHEMA_DIR, known_types

BASE = asyncapi.PATH.as_uri()


def _doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(asyncapi.PATH.read_text())
    return loaded


def _retrieve(uri: str) -> Resource[Any]:
    path = Path(uri.removeprefix("file://"))
    return Resource.from_contents(json.loads(path.read_text()),
                                  default_specification=DRAFT202012)


def test_the_committed_document_is_what_the_catalog_renders() -> None:
    assert _doc() == asyncapi.render(), "run: python -m events.asyncapi"


def test_every_topic_of_the_contract_is_a_channel() -> None:
    doc = _doc()
    assert doc["asyncapi"].startswith("3.")
    assert sorted(c["address"] for c in doc["channels"].values()) == sorted(ALL_TOPICS)


def test_every_event_type_is_a_message_referring_to_its_schema_file() -> None:
    messages = _doc()["components"]["messages"]
    for event_type in known_types():
        payload = messages[event_type]["payload"]["allOf"]
        assert payload[0] == {"$ref": "./schemas/envelope.json"}
        data_ref = payload[1]["properties"]["data"]["$ref"]
        assert data_ref == f"./schemas/{event_type}.json"
        assert (SCHEMA_DIR / f"{event_type}.json").exists()


def test_schema_examples_are_valid_messages_and_other_types_are_not() -> None:
    messages = _doc()["components"]["messages"]
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    for event_type in known_types():
        schema = json.loads((SCHEMA_DIR / f"{event_type}.json").read_text())
        event = {"specversion": "1.0", "id": "0b7e", "source": "/nodes/dinsos-bitung",
                 "type": event_type, "subject": "s-1", "time": "2026-11-20T09:00:00+08:00",
                 "datacontenttype": "application/json", "data": schema["examples"][0]}
        payload = {"$id": BASE, **messages[event_type]["payload"]}
        validator = Draft202012Validator(payload, registry=registry)
        assert not list(validator.iter_errors(event)), event_type
        other = next(t for t in known_types() if t != event_type)
        assert list(validator.iter_errors({**event, "type": other})), event_type
