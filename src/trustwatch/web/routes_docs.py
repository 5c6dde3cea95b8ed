"""The OpenAPI document and a reference page rendered from it on the server.

The usual interactive docs page loads its scripts from a CDN and runs inline code, both of which
the CSP forbids; this page is plain HTML made from the same OpenAPI document, which tools can fetch
at /openapi.json.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from .render import page
from .security import ROLE_KEY, role

router = APIRouter()


def _resolve(schema: Any, spec: dict[str, Any], depth: int = 0) -> Any:
    if depth > 6:
        return schema
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return _resolve(spec.get("components", {}).get("schemas", {}).get(name, {}), spec, depth + 1)
        return {k: _resolve(v, spec, depth + 1) for k, v in schema.items() if k not in ("title",)}
    if isinstance(schema, list):
        return [_resolve(v, spec, depth + 1) for v in schema]
    return schema


@router.get("/openapi.json", include_in_schema=False, **role("viewer"))
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False, **role("viewer"))
def docs(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            ok = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema")
            ops.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""), "tags": op.get("tags", []),
                "role": op.get(ROLE_KEY, "public"),
                "params": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                            "description": p.get("description", ""), "schema": json.dumps(_resolve(p.get("schema", {}), spec), ensure_ascii=False)}
                           for p in op.get("parameters", [])],
                "body": json.dumps(_resolve(body, spec), indent=2, ensure_ascii=False) if body else None,
                "response": json.dumps(_resolve(ok, spec), indent=2, ensure_ascii=False) if ok else None,
            })
    return page(request, "docs.html", spec=spec, ops=ops)
