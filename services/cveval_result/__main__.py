from pathlib import Path

from cveval_kit.cli import run_cli
from cveval_result.app import serve

run_cli("result", serve, Path(__file__).parent / "migrations")
