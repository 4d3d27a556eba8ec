from pathlib import Path

from cveval_auth.app import serve
from cveval_kit.cli import run_cli

run_cli("auth", serve, Path(__file__).parent / "migrations")
