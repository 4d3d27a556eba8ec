"""The mock OpenAI server's schema-driven replies: valid documents the gateway accepts, invalid ones it refuses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from cveval_job.scoring.prompts import PROFILE_SCHEMA, SUMMARY_SCHEMA, stage_schema
from cveval_job.scoring.rubrics import default_cv_rubric, default_project_rubric
from cveval_testing.mock_openai import MockOpenAI
from cveval_testing.schema_instances import FILLER, invalid_instance, request_schema, valid_instance

SCHEMAS = [stage_schema(default_cv_rubric()), stage_schema(default_project_rubric()), PROFILE_SCHEMA, SUMMARY_SCHEMA]


@pytest.mark.parametrize("schema_text", SCHEMAS)
def test_instances_of_the_scorer_schemas(schema_text: str) -> None:
    schema = json.loads(schema_text)
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(valid_instance(schema))) == []
    assert list(validator.iter_errors(invalid_instance(schema)))
    assert valid_instance(schema) == valid_instance(schema)  # deterministic


def test_generation_rules() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["n", "low", "s", "tags", "kind", "flag", "ref"],
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 5},
            "low": {"type": "integer", "minimum": 7},
            "s": {"type": "string", "minLength": 40, "maxLength": 45},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
            "kind": {"enum": ["a", "b"]},
            "flag": {"type": "boolean"},
            "ref": {"$ref": "#/$defs/date"},
            "optional": {"type": "string"},
        },
        "$defs": {"date": {"type": "string", "format": "date"}},
    }
    document = valid_instance(schema)
    assert 1 <= document["n"] <= 5 and document["low"] == 7
    assert 40 <= len(document["s"]) <= 45 and document["s"].startswith(FILLER)
    assert document["tags"] == [f"{FILLER} 1", f"{FILLER} 2"]
    assert document["kind"] == "a" and document["flag"] is True and document["ref"] == "2026-01-01"
    assert "optional" not in document
    assert list(Draft202012Validator(schema).iter_errors(document)) == []


def test_the_schema_is_found_in_response_format_or_in_a_message() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    in_format = {"response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}}}
    assert request_schema(in_format) == schema
    prompt = f"Data {{not json}} and {{\"type\": \"x\"}}. Reply with JSON matching this schema:\n{json.dumps(schema)}"
    assert request_schema({"messages": [{"role": "user", "content": prompt}]}) == schema
    assert request_schema({"messages": [{"role": "user", "content": "no schema here"}]}) is None


def test_the_mock_answers_with_the_mode_and_echoes_without_a_schema() -> None:
    mock = MockOpenAI()
    url = mock.start()
    try:
        body = {"model": "m", "messages": [{"role": "user", "content": f"Schema: {SUMMARY_SCHEMA}"}]}
        with httpx.Client() as client:
            mock.set_mode(schema_reply="valid")
            answer = client.post(f"{url}/chat/completions", json=body).json()
            assert json.loads(answer["choices"][0]["message"]["content"]) == {"overall_summary": FILLER}
            mock.set_mode(schema_reply="invalid")
            answer = client.post(f"{url}/chat/completions", json=body).json()
            assert json.loads(answer["choices"][0]["message"]["content"]) == {}
            plain = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
            assert client.post(f"{url}/chat/completions", json=plain).json()["choices"][0]["message"]["content"] == (
                "hello"
            )
    finally:
        mock.stop()
