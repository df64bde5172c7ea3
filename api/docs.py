"""The API's documentation page: the OpenAPI document, read on the server into a page of
the portal (``base.html``), with no script. Swagger UI would load a script bundle and
inline settings the portal's Content-Security-Policy does not allow, and nothing is
loaded from another host; the document itself is at ``/api/v1/openapi.json`` for any
tool that reads OpenAPI."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase


def _schema_name(schema: dict) -> str:
    """A parameter's or field's type in a few words: ``integer``, ``string or null``."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_schema_name(option) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"[{_schema_name(schema.get('items', {}))}]"
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    kind = str(schema.get("type", "object"))
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def paragraphs(text: str) -> list[str]:
    """Text written in the code (docstrings, the description) as paragraphs, each one
    line: the line breaks of the source are not the reader's."""
    return [" ".join(part.split()) for part in text.split("\n\n") if part.strip()]


def _operations(document: dict) -> list[dict]:
    operations = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": paragraphs(operation.get("description", "")),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "required": parameter.get("required", False),
                            "type": _schema_name(parameter.get("schema", {})),
                            "description": parameter.get("description", "")
                            or parameter.get("schema", {}).get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "responses": [
                        {"status": status, "type": _response_type(response)}
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return operations


def _response_type(response: dict) -> str:
    content = response.get("content", {}).get("application/json", {})
    return _schema_name(content.get("schema", {})) if content else ""


def _schemas(document: dict) -> list[dict]:
    found = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        fields = [
            {
                "name": field,
                "type": _schema_name(spec),
                "required": field in required,
                "description": spec.get("description", ""),
            }
            for field, spec in schema.get("properties", {}).items()
        ]
        found.append({"name": name, "fields": fields})
    return found


class ReadableDocs(DocsBase):
    """ninja's docs page, as a page of the portal."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        document = api.get_openapi_schema(path_params=kwargs)
        context = {
            "document": document,
            "info": document.get("info", {}),
            "description": paragraphs(document.get("info", {}).get("description", "")),
            "operations": _operations(document),
            "schemas": _schemas(document),
            "openapi_url": self.get_openapi_url(api, kwargs),
        }
        return render(request, "api/docs.html", context)
