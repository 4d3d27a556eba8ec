from cveval_gateway.app import serve
from cveval_kit.cli import run_cli

# No tables yet: `python -m cveval_gateway migrate` only logs and exits 0.
run_cli("gateway", serve, None)
