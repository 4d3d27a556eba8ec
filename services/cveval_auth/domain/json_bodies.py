"""Strict JSON request bodies: an unknown field (or a value of the wrong type) is refused with 400 naming it.

Envoy's JSON transcoder drops unknown fields silently, so a misspelt `"projet_id"` would be accepted as if it were
absent (decision 0009). Envoy therefore sends every JSON body of a public REST call here before transcoding it
(a second ext_authz check with the body), and this module parses it into the message the method's
`google.api.http` `body` maps to, exactly as the transcoder would but with unknown fields refused. protobuf's own
`json_format` does the parsing, so the accepted JSON is the same (both field spellings, enums by name, 64-bit
integers as strings).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, MethodDescriptor
from google.protobuf.message import Message

# Bodies that are not JSON messages (an upload's multipart form is a google.api.HttpBody).
_RAW_BODY = "google.api.HttpBody"
_VARIABLE = re.compile(r"\{([^}=]+)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class JsonBinding:
    """One REST binding whose body is a JSON message: HTTP verb, path pattern and the message type of its body."""

    verb: str
    path: re.Pattern[str]
    method: str
    body: type[Message]


def _path_pattern(template: str) -> re.Pattern[str]:
    """A google.api.http path template as a regex: `{id}` is one segment, `{name=a/**}` any number of them."""
    parts, last = [], 0
    for variable in _VARIABLE.finditer(template):
        parts.append(re.escape(template[last : variable.start()]))
        parts.append(".+" if "**" in (variable.group(2) or "") or "/" in (variable.group(2) or "") else "[^/]+")
        last = variable.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts))


def _body_message(method: MethodDescriptor, body: str) -> Descriptor | None:
    if body == "*":
        return method.input_type
    field = method.input_type.fields_by_name.get(body)
    return field.message_type if field is not None else None


def _rules(rule: http_pb2.HttpRule) -> Iterable[http_pb2.HttpRule]:
    yield rule
    yield from rule.additional_bindings


def json_bindings(methods: Iterable[MethodDescriptor]) -> list[JsonBinding]:
    """The bindings of `methods` that carry a JSON message body (POST / PUT / PATCH with `body` set)."""
    bindings = []
    for method in methods:
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        for rule in _rules(options.Extensions[annotations_pb2.http]):
            verb = rule.WhichOneof("pattern")
            if verb is None or verb == "custom" or not rule.body:
                continue
            message = _body_message(method, rule.body)
            if message is None or message.full_name == _RAW_BODY:
                continue
            bindings.append(
                JsonBinding(
                    verb=verb.upper(),
                    path=_path_pattern(getattr(rule, verb)),
                    method=f"/{method.containing_service.full_name}/{method.name}",
                    body=message_factory.GetMessageClass(message),
                )
            )
    return bindings


def find_binding(bindings: Iterable[JsonBinding], verb: str, path: str) -> JsonBinding | None:
    path = path.split("?", 1)[0]
    return next((b for b in bindings if b.verb == verb and b.path.fullmatch(path)), None)


def body_error(binding: JsonBinding, body: bytes) -> str | None:
    """Why `body` is not a valid JSON `binding.body` (naming the unknown or mistyped field), or None if it is."""
    if not body.strip():
        return None  # the transcoder reads an empty body as the empty message
    try:
        value = json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError included
        return f"invalid request body: not JSON ({exc})"
    if not isinstance(value, dict):
        return "invalid request body: expected a JSON object"
    try:
        json_format.ParseDict(value, binding.body(), ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        # The first line names the field and the message type; the rest lists every field the type has.
        return f"invalid request body: {str(exc).splitlines()[0].strip()}"
    return None
