"""The result service's public methods and the roles allowed to call them; StoreResult and DeleteResults are
internal (the edge never routes them)."""

from __future__ import annotations

from typing import Final

from cveval.result.v1 import result_pb2
from cveval_kit.identity import REVIEWER, SUBMITTER
from cveval_kit.interceptors import AccessPolicy

_SERVICE: Final = result_pb2.DESCRIPTOR.services_by_name["ResultService"].full_name

POLICY: Final[AccessPolicy] = {
    # A submitter reads the results of its own jobs, a reviewer the tenant's (enforced in the service).
    f"/{_SERVICE}/GetResult": frozenset({SUBMITTER, REVIEWER}),
    f"/{_SERVICE}/WatchResult": frozenset({SUBMITTER, REVIEWER}),
    # A submitter's ranking holds its own candidates only, a reviewer's the tenant's (enforced in the service).
    f"/{_SERVICE}/ListRanking": frozenset({SUBMITTER, REVIEWER}),
    f"/{_SERVICE}/ExportRanking": frozenset({SUBMITTER, REVIEWER}),
}
