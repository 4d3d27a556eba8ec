"""Random secrets of a deployed cveval: the database's password, one per NATS user, the key that signs the edge's
caller identities, and the first admin API key.

    python -m tools.internal_secrets --env > .env                        # docker compose (.env is untracked)
    python -m tools.internal_secrets --k8s | kubectl apply -f -           # the Kubernetes Secret `cveval-internal`

Each run makes new passwords: run it once per deployment (a changed database password needs the database told too).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from urllib.parse import quote

import yaml

from cveval_devstack import nats_users

SECRET_NAME = "cveval-internal"
DATABASE_URL = "postgresql+asyncpg://cveval:{password}@postgres:5432/cveval"


def generate() -> dict[str, str]:
    values = {"POSTGRES_PASSWORD": secrets.token_urlsafe(24)}
    for user in nats_users.users(nats_users.NatsNames.from_env({})):
        values[nats_users.password_variable(user)] = secrets.token_urlsafe(24)
    values["CVEVAL_IDENTITY_SECRET"] = secrets.token_urlsafe(48)
    values["CVEVAL_BOOTSTRAP_API_KEY"] = f"cvk_{secrets.token_urlsafe(32)}"
    return values


def k8s_secret(values: dict[str, str]) -> str:
    data = {**values, "CVEVAL_DATABASE_URL": DATABASE_URL.format(password=quote(values["POSTGRES_PASSWORD"]))}
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SECRET_NAME, "labels": {"app.kubernetes.io/part-of": "cveval"}},
        "type": "Opaque",
        "stringData": data,
    }
    return yaml.safe_dump(secret, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.internal_secrets")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--env", action="store_true", help="KEY=value lines for docker compose's .env")
    where.add_argument("--k8s", action="store_true", help=f"the Kubernetes Secret {SECRET_NAME}")
    args = parser.parse_args()
    values = generate()
    if args.k8s:
        sys.stdout.write(k8s_secret(values))
    else:
        sys.stdout.write("".join(f"{k}={v}\n" for k, v in values.items()))


if __name__ == "__main__":
    main()
