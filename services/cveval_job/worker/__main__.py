import sys

from cveval_job.worker.app import healthy, serve
from cveval_kit.cli import run_cli

if len(sys.argv) > 1 and sys.argv[1] == "healthcheck":
    # Exec probe for Kubernetes: the consumer loop refreshes a heartbeat file while it runs.
    sys.exit(0 if healthy() else 1)

run_cli("worker", serve, None)
