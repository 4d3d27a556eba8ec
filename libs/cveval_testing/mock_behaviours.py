"""What the mock OpenAI server answers: its modes, and the bodies of its chat and embedding replies.

Besides the well-behaved answers (an echo, a scripted reply, a document generated from the request's JSON schema),
the modes reproduce what small real models did behind an OpenAI-compatible server:

- `prompt_s_per_1k_tokens`: reading the prompt takes time proportional to its length (a CPU model: ~30 s per 1k);
- `loop`: the model repeats one sentence until the token cap (`max_tokens`, else `default_cap_tokens`) and the
  reply ends with finish_reason "length";
- `runaway`: the JSON starts well, then one string never ends: cut at the cap, finish_reason "length";
- `nondeterministic`: at temperature 0 with a seed, answers still differ from call to call (parallel slots);
- `misbehave_when`: the misbehaviour only for requests whose prompt or schema contains this text (one step).

Tokens are whitespace-separated words: a cap of N tokens cuts a reply after N words.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from typing import Any, Literal

from cveval_testing.schema_instances import FILLER, invalid_instance, request_schema, valid_instance

__all__ = ["LOOP_SENTENCE", "MockMode", "chat_reply", "embeddings_reply", "failure_reply", "hash_vector",
           "json_reply", "prompt_delay_s"]

LOOP_SENTENCE = "The candidate has strong experience in backend development."


@dataclass
class MockMode:
    latency_s: float = 0.0
    error_rate: float = 0.0  # share of requests answered 500, drawn from a seeded RNG (reproducible runs)
    fail_next: int = 0  # the next N requests answer `fail_status`
    fail_status: int = 500
    error_message: str | None = None  # the failure body's error.message (default "mock failure <status>")
    retry_after_s: float | None = None  # sent with 429s as `retry-after-ms` and a rounded-up `Retry-After`
    malformed: bool = False  # 200 with a body that is not JSON
    reply: str | None = None  # chat content; None echoes the last user message
    replies: tuple[str, ...] = ()  # chat contents used one per chat request, before `reply`
    # Chat requests carrying a JSON schema (and no `reply`/`replies` set) get a document generated from it that is
    # valid, or always invalid (valid JSON that breaks the schema); requests without a schema are answered as usual.
    schema_reply: Literal["", "valid", "invalid"] = ""
    dims: int = 64
    reverse_embeddings: bool = True  # answer in reverse order so clients must sort by `index`
    prompt_s_per_1k_tokens: float = 0.0
    loop: bool = False
    runaway: bool = False
    nondeterministic: bool = False
    misbehave_when: str = ""
    default_cap_tokens: int = 2048  # where a loop ends when the request sets no max_tokens (the context's end)


def prompt_tokens(payload: dict[str, Any]) -> int:
    messages = payload.get("messages") or []
    return sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))


def prompt_delay_s(payload: dict[str, Any], mode: MockMode) -> float:
    """How long reading this prompt takes in `prompt_s_per_1k_tokens` mode."""
    return mode.prompt_s_per_1k_tokens * prompt_tokens(payload) / 1000


def chat_reply(payload: dict[str, Any], mode: MockMode, rng: random.Random) -> dict[str, Any]:
    messages = payload.get("messages") or []
    users = [str(m.get("content", "")) for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    content, finish = _misbehaviour(payload, mode)
    if content is None:
        content = mode.reply if mode.reply is not None else _schema_reply(payload, mode, rng)
        content = content if content is not None else (users[-1] if users else "")
    used = prompt_tokens(payload)
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "model": payload.get("model", "mock-chat"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": used, "completion_tokens": len(content.split()),
                  "total_tokens": used + len(content.split())},
    }


def _misbehaviour(payload: dict[str, Any], mode: MockMode) -> tuple[str | None, str]:
    """A looping or runaway reply cut at the token cap, when the mode asks for one and the request is selected."""
    if not (mode.loop or mode.runaway) or not _selected(payload, mode):
        return None, "stop"
    requested = payload.get("max_tokens")
    cap = requested if isinstance(requested, int) and requested > 0 else mode.default_cap_tokens
    if mode.loop:
        looped = LOOP_SENTENCE.split() * (cap // len(LOOP_SENTENCE.split()) + 1)
        return " ".join(looped[:cap]), "length"
    schema = request_schema(payload)
    start = json.dumps(valid_instance(schema)) if schema is not None else json.dumps({"text": FILLER})
    # The first string opens and never closes: the model keeps writing it until the cap.
    head = start.split(json.dumps(FILLER), 1)[0] if json.dumps(FILLER) in start else start[:-1] + ', "text": '
    words = [*head.split(), '"' + LOOP_SENTENCE.split()[0]]
    words += LOOP_SENTENCE.split() * (cap // len(LOOP_SENTENCE.split()) + 1)
    return " ".join(words[:cap]), "length"


def _selected(payload: dict[str, Any], mode: MockMode) -> bool:
    if not mode.misbehave_when:
        return True
    return mode.misbehave_when in json.dumps(payload, ensure_ascii=False)


def _schema_reply(payload: dict[str, Any], mode: MockMode, rng: random.Random) -> str | None:
    schema = request_schema(payload) if mode.schema_reply else None
    if schema is None:
        return None
    document = valid_instance(schema) if mode.schema_reply == "valid" else invalid_instance(schema)
    if mode.nondeterministic and mode.schema_reply == "valid":
        document = _jittered(document, rng)
    return json.dumps(document)


def _jittered(document: Any, rng: random.Random) -> Any:
    """The same document with every integer in 1..5 redrawn and some strings longer: what parallel slots of a
    real server did to temperature-0 answers (the scores stay in range, so the answer still validates)."""
    if isinstance(document, dict):
        return {key: _jittered(value, rng) for key, value in document.items()}
    if isinstance(document, list):
        return [_jittered(item, rng) for item in document]
    if isinstance(document, int) and not isinstance(document, bool) and 1 <= document <= 5:
        return rng.randint(1, 5)
    return document


def embeddings_reply(payload: dict[str, Any], mode: MockMode) -> dict[str, Any]:
    raw = payload.get("input", [])
    texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
    data = [{"object": "embedding", "index": i, "embedding": hash_vector(t, mode.dims)} for i, t in enumerate(texts)]
    if mode.reverse_embeddings:
        data.reverse()
    tokens = sum(len(t.split()) for t in texts)
    return {"object": "list", "model": payload.get("model", "mock-embed"), "data": data,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def failure_reply(status: int, mode: MockMode) -> tuple[int, dict[str, str], bytes]:
    headers: dict[str, str] = {}
    if status == 429 and mode.retry_after_s is not None:
        headers["retry-after"] = str(math.ceil(mode.retry_after_s))
        headers["retry-after-ms"] = str(int(mode.retry_after_s * 1000))
    message = mode.error_message if mode.error_message is not None else f"mock failure {status}"
    code, body_headers, body = json_reply(status, {"error": {"message": message, "type": "mock_error"}})
    return code, {**body_headers, **headers}, body


def json_reply(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


def hash_vector(text: str, dims: int) -> list[float]:
    """A unit vector that depends only on the text: the same input always embeds the same way."""
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
