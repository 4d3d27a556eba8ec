"""The public methods' descriptors, from the generated modules of the protos (the contract every service shares)."""

from __future__ import annotations

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor

# Imported for their side effect: each registers its file's descriptors in the default pool.
from cveval.auth.v1 import auth_pb2  # noqa: F401
from cveval.job.v1 import admin_pb2, job_pb2, vacancy_pb2  # noqa: F401
from cveval.result.v1 import result_pb2  # noqa: F401
from cveval.upload.v1 import upload_pb2  # noqa: F401
from cveval_auth.domain.policy import PUBLIC_METHODS


def public_method_descriptors() -> list[MethodDescriptor]:
    """Every method of the public API (domain/policy.py); a KeyError if the protos lost one of them."""
    pool = descriptor_pool.Default()
    return [pool.FindMethodByName(path.lstrip("/").replace("/", ".")) for path in PUBLIC_METHODS]
