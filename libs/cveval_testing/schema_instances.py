"""Deterministic JSON documents for a JSON schema: one that validates, and one that does not.

The mock OpenAI server uses them to answer structured-output chat requests like a well-behaved model (or a broken
one) without knowing the caller's prompts. The schema comes from `response_format` (json_schema mode) or, as in
json_object mode, from the first schema written into a message. The valid document follows simple rules, so a test
can predict it:

- object: every required property (nothing else, so `additionalProperties: false` holds);
- integer / number: within [minimum, maximum]; with both bounds a stable hash of the property's path picks the value
  (so the parameters of a rubric get different scores and a weighted average really tests the weights), else the
  bound nearest to 3, else 3;
- string: "evidence from the document", padded to minLength, cut to maxLength; a few formats get a sample value;
- array: max(minItems, 1) items, at most maxItems (each filled the same way); enum: the first value; const: itself;
- boolean: true; null: null; anyOf / oneOf: the first alternative; local "$ref"s are followed.

`pattern` is not honoured: nothing in this project's schemas uses it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["FILLER", "invalid_instance", "request_schema", "valid_instance"]

FILLER: Final = "evidence from the document"
_FORMATS: Final = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "candidate@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH: Final = 32  # a recursive $ref must not recurse forever


def request_schema(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a chat request asks its answer to satisfy, or None when it carries none."""
    response_format = payload.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if isinstance(schema, dict):
            return schema
    messages = payload.get("messages")
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            found = _embedded_schema(content)
            if found is not None:
                return found
    return None


def valid_instance(schema: Mapping[str, Any]) -> Any:
    return _instance(schema, schema, "$", 0)


def invalid_instance(schema: Mapping[str, Any]) -> Any:
    """Valid JSON that breaks the schema: the valid document without its required properties, else a wrong type."""
    document = valid_instance(schema)
    required = schema.get("required")
    if isinstance(document, dict) and isinstance(required, list) and required:
        return {k: v for k, v in document.items() if k not in required}
    return 0 if isinstance(document, str) else "not what the schema asks for"


def _embedded_schema(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and ("properties" in value or "$schema" in value):
            return value
        start = text.find("{", end)
    return None


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in (p for p in ref[1:].split("/") if p):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise ValueError(f"$ref {ref!r} does not name a schema")
    return node


def _type(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), declared[0] if declared else None)
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "required" in schema:
        return "object"
    return "array" if "items" in schema else "string"


def _instance(schema: Mapping[str, Any], root: Mapping[str, Any], path: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise ValueError(f"the schema nests deeper than {_MAX_DEPTH} levels at {path}")
    if "$ref" in schema:
        return _instance(_resolve(root, str(schema["$ref"])), root, path, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return _instance(options[0], root, path, depth + 1)
    kind = _type(schema)
    if kind == "object":
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        return {name: _instance(properties.get(name, {}), root, f"{path}.{name}", depth + 1) for name in required}
    if kind == "array":
        items = schema.get("items") or {}
        count = max(int(schema.get("minItems", 0)), 1)
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        values = [_instance(items, root, f"{path}[{i}]", depth + 1) for i in range(count)]
        if schema.get("uniqueItems"):
            values = [f"{v} {i + 1}" if isinstance(v, str) else v for i, v in enumerate(values)]
        return values
    if kind in ("integer", "number"):
        return _number(schema, path, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema)


def _number(schema: Mapping[str, Any], path: str, *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low = low + 1 if integer else low + 0.5
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        high = high - 1 if integer else high - 0.5
    if low is not None and high is not None:
        if integer:
            return int(low) + zlib.crc32(path.encode()) % (int(high) - int(low) + 1)
        return float(low) + (zlib.crc32(path.encode()) % 1000) / 1000 * (float(high) - float(low))
    value = max(low, 3) if low is not None else min(high, 3) if high is not None else 3
    return int(value) if integer else float(value)


def _string(schema: Mapping[str, Any]) -> str:
    text = _FORMATS.get(str(schema.get("format", "")), FILLER)
    minimum = int(schema.get("minLength", 0))
    while len(text) < minimum:
        text += " " + FILLER
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text

