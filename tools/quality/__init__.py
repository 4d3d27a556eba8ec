"""Quality harness of the scorer (`python -m tools.quality`, `make quality`): a report, not a service.

It runs the offline evaluation pipeline in-process on the shared corpus of real resumes and job descriptions and on
the project reports in data/, and prints how the scores behave against the targets of the scoring issue: ranking,
format invariance, repeatability, project-report ordering and resistance to injected instructions.

Being a tool, it imports the domain code of several services directly (upload's text extraction, the gateway's
offline embedding engine, the job service's retrieval and offline scorer) instead of starting any server.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The import roots the Makefile's .pth file adds; added here too so a fresh clone with only .venv can run it.
for _root in (REPO_ROOT, REPO_ROOT / "gen" / "python", REPO_ROOT / "libs", REPO_ROOT / "services"):
    if str(_root) not in sys.path:
        sys.path.insert(0, str(_root))
