"""/openapi.json: OpenAPI 3.1 whose schemas are valid and which covers every JSON route."""

from __future__ import annotations

from jsonschema import Draft202012Validator
from starlette.routing import Route

from services.settings import load
from web.api.openapi import document
from web.app import create_app

NOT_API = {"/login"}  # pages of the site branch may add more: they are HTML


def test_document_is_openapi_3_1_with_valid_json_schemas() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1")
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name


def test_every_api_feed_and_data_route_is_documented() -> None:
    documented = {(path, method) for path, ops in document()["paths"].items()
                  for method in ops if method != "parameters"}
    for route in create_app(load()).routes:
        if not isinstance(route, Route):  # the site's static files are not part of the API
            continue
        path = route.path
        if not path.startswith(("/api/", "/feeds/", "/data/", "/healthz", "/openapi")):
            continue
        for method in route.methods or ():
            if method in ("HEAD",):
                continue
            if path == "/data/{dataset}.{format}":
                assert ("/data/{dataset}.json", "get") in documented
                continue
            assert (path, method.lower()) in documented, f"{method} {path}"


def test_every_operation_has_its_own_operation_id() -> None:
    ids = [operation.get("operationId") for ops in document()["paths"].values()
           for method, operation in ops.items() if method != "parameters"]
    assert None not in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_page_of_a_list_names_its_next_page() -> None:
    for path, ops in document()["paths"].items():
        answer = ops.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if "offset" in schema.get("properties", {}):
            assert "next" in schema["required"], path
