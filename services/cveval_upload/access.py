"""The upload service's public methods and the roles allowed to call them; every other method is internal."""

from __future__ import annotations

from typing import Final

from cveval.upload.v1 import upload_pb2
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER
from cveval_kit.interceptors import AccessPolicy

_SERVICE: Final = upload_pb2.DESCRIPTOR.services_by_name["UploadService"].full_name

POLICY: Final[AccessPolicy] = {
    f"/{_SERVICE}/Upload": frozenset({SUBMITTER}),
    f"/{_SERVICE}/UploadForm": frozenset({SUBMITTER}),
    # A submitter reads its own documents, a reviewer the tenant's (enforced in the service).
    f"/{_SERVICE}/GetDocument": frozenset({SUBMITTER, REVIEWER}),
    f"/{_SERVICE}/DeleteDocument": frozenset({ADMIN}),
}
