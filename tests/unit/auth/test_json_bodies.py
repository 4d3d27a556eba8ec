"""Strict JSON bodies: the bindings come from the protos, and unknown or mistyped fields are named."""

from __future__ import annotations

import pytest

from cveval_auth.adapters.contract import public_method_descriptors
from cveval_auth.domain.json_bodies import JsonBinding, body_error, find_binding, json_bindings

BINDINGS = json_bindings(public_method_descriptors())


def binding(verb: str, path: str) -> JsonBinding:
    found = find_binding(BINDINGS, verb, path)
    assert found is not None, (verb, path)
    return found


def test_every_json_binding_of_the_public_api_is_known() -> None:
    assert {(b.verb, b.method) for b in BINDINGS} == {
        ("POST", "/cveval.job.v1.JobService/Evaluate"),
        ("POST", "/cveval.job.v1.JobService/ReplayJob"),
        ("POST", "/cveval.job.v1.JobService/CreateBatch"),
        ("POST", "/cveval.job.v1.VacancyService/CreateVacancy"),
        ("PUT", "/cveval.job.v1.AdminService/SetRetention"),
        ("POST", "/cveval.auth.v1.ApiKeyService/CreateApiKey"),
    }


def test_uploads_and_bodiless_calls_are_not_json_bindings() -> None:
    assert find_binding(BINDINGS, "POST", "/v1/upload") is None  # a multipart form (google.api.HttpBody)
    assert find_binding(BINDINGS, "GET", "/v1/vacancies") is None
    assert find_binding(BINDINGS, "POST", "/v1/api-keys/k1:revoke") is None  # no body
    assert find_binding(BINDINGS, "POST", "/cveval.job.v1.JobService/Evaluate") is None  # a gRPC path


def test_path_templates_match_one_segment_per_variable() -> None:
    assert binding("POST", "/v1/jobs/0b7c:replay").method.endswith("/ReplayJob")
    assert find_binding(BINDINGS, "POST", "/v1/jobs/a/b:replay") is None
    assert binding("POST", "/v1/evaluate?x=1").method.endswith("/Evaluate")


def test_valid_bodies_pass_in_either_spelling() -> None:
    evaluate = binding("POST", "/v1/evaluate")
    assert body_error(evaluate, b'{"cv_id": "a", "project_id": "b"}') is None
    assert body_error(evaluate, b'{"cvId": "a", "projectId": "b"}') is None
    assert body_error(evaluate, b"") is None  # the transcoder reads it as the empty message


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"cv_id": "a", "project_id": "b", "bogus": 1}', '"bogus"'),
        (b'{"cv_id": 12}', "cv_id"),
        (b"[1, 2]", "JSON object"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_bad_bodies_are_named(body: bytes, named: str) -> None:
    error = body_error(binding("POST", "/v1/evaluate"), body)
    assert error is not None and named in error
    assert "\n" not in error and "Available Fields" not in error


def test_nested_messages_are_checked_too() -> None:
    vacancy = binding("POST", "/v1/vacancies")
    error = body_error(vacancy, b'{"title": "t", "cv_rubric": {"nonsense": 1}}')
    assert error is not None and '"nonsense"' in error
