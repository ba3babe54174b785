"""Validate a response against the operation of ``/openapi.json`` that produced it."""

from __future__ import annotations

import re
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from web.api.openapi import document

URN = "urn:gotong:openapi"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def template_for(path: str) -> str:
    for template in document()["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(
            r"\{", "{").replace(r"\}", "}")) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in /openapi.json")


def check(response: httpx.Response) -> None:
    """Raise unless the status, content type and body are what the document says."""
    request = response.request
    template = template_for(request.url.path)
    method = request.method.lower()
    operation = document()["paths"][template].get(method)
    assert operation is not None, f"{method.upper()} {template} is not in /openapi.json"
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method.upper()} {template} answered {status}, not documented")
    content = operation["responses"][status].get("content")
    if not content:
        return
    media = response.headers.get("content-type", "").split(";")[0]
    assert media in content, f"{media} is not documented for {template} {status}"
    if not media.endswith("json"):
        return
    pointer = "/".join(["#", "paths", _escape(template), method, "responses", status,
                        "content", _escape(media), "schema"])
    registry: Registry[Any] = Registry().with_resource(
        URN, Resource.from_contents(document(), default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": URN + pointer}, registry=registry)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: e.path)
    assert not errors, f"{template} {status}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
