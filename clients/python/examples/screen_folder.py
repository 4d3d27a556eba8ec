"""Screen every PDF of a folder against a vacancy and print the ranking (the SDK's sync client).

    python examples/screen_folder.py vac-… ./cvs ./report.txt
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cveval_client import Candidate, Client


def main(vacancy_id: str, folder: str, report: str) -> None:
    project = (Path(report).name, Path(report).read_bytes(), "text/plain")
    with Client(os.environ.get("CVEVAL_URL", "http://127.0.0.1:8080"), os.environ["CVEVAL_API_KEY"]) as client:
        candidates = []
        for cv in sorted(Path(folder).glob("*.pdf")):
            uploaded = client.upload((cv.name, cv.read_bytes(), "application/pdf"), project)
            candidates.append(Candidate(uploaded.cv_id, uploaded.project_id))
        created = client.create_batch(vacancy_id, candidates)
        for batch in client.watch_batch(created.batch.id):
            print(f"{batch.progress.completed + batch.progress.failed}/{batch.progress.total}", file=sys.stderr)
        for row in client.full_ranking(vacancy_id, batch_id=created.batch.id):
            print(f"{row.rank:>3} {row.display_name:<30} {row.overall_score:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
