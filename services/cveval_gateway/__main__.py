from pathlib import Path

from cveval_gateway.app import serve
from cveval_kit.cli import run_cli

# The embedding cache's table lives in the `gateway` schema.
run_cli("gateway", serve, Path(__file__).parent / "migrations")
