from pathlib import Path

from cveval_job.app import serve
from cveval_kit.cli import run_cli

run_cli("job", serve, Path(__file__).parent / "migrations")
