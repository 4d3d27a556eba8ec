from pathlib import Path

from cveval_kit.cli import run_cli
from cveval_upload.app import serve

run_cli("upload", serve, Path(__file__).parent / "migrations")
