"""The JobState enum beside the `status` string: one enum value per job status, in both services that send it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cveval.job.v1 import job_state_pb2
from cveval_job.domain.jobs import STATUSES, Job
from cveval_job.servicer import job_state as job_service_state
from cveval_job.servicer import job_to_proto
from cveval_result.servicer import job_state as result_service_state


def test_the_enum_has_one_value_per_status_and_an_unspecified_zero() -> None:
    names = set(job_state_pb2.JobState.keys())
    assert names == {"JOB_STATE_UNSPECIFIED", *(f"JOB_STATE_{s.upper()}" for s in STATUSES)}
    assert job_state_pb2.JobState.Value("JOB_STATE_UNSPECIFIED") == 0


@pytest.mark.parametrize("status", STATUSES)
def test_both_services_map_each_status_to_its_value(status: str) -> None:
    expected = f"JOB_STATE_{status.upper()}"
    assert job_service_state(status) == result_service_state(status) == expected
    assert job_state_pb2.JobState.Value(expected) > 0


def test_an_unknown_status_is_unspecified_not_an_error() -> None:
    assert job_service_state("archived") == result_service_state("") == "JOB_STATE_UNSPECIFIED"


def test_a_jobs_message_carries_both() -> None:
    now = datetime.now(UTC)
    job = Job(id="j", status="failed", cv_id="c", project_id="p", vacancy_id="v", attempts=5, created_at=now,
              updated_at=now, error_code="SCORING_FAILED", error_message="no")
    message = job_to_proto(job)
    assert (message.status, message.state) == ("failed", job_state_pb2.JOB_STATE_FAILED)
