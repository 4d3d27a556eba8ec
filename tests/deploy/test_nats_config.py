"""deploy/nats/nats.conf: the NATS users of a deployed cveval are the devstack's (one table), and nats-server
accepts the file once the password variables are set."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cveval_devstack import nats_users
from cveval_devstack.procs import venv_binary

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "nats.conf"


def test_the_config_is_the_devstack_table_with_password_variables() -> None:
    rendered = nats_users.render_authorization(nats_users.users(nats_users.NatsNames.from_env({})))
    body = "".join(line for line in CONFIG.read_text().splitlines(keepends=True) if not line.startswith("#"))
    assert body.strip() == rendered.strip(), "regenerate deploy/nats/nats.conf (command in its header)"


def test_nats_server_accepts_it_with_the_passwords_and_refuses_it_without() -> None:
    users = nats_users.users(nats_users.NatsNames.from_env({}))
    passwords = {nats_users.password_variable(u): f"pw-{u}" for u in users}
    base = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
    ok = subprocess.run(
        [venv_binary("nats-server"), "-t", "-c", str(CONFIG)],
        env={**base, **passwords},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run(
        [venv_binary("nats-server"), "-t", "-c", str(CONFIG)], env=base, capture_output=True, text=True, check=False
    )
    assert missing.returncode != 0 and "NATS_" in missing.stderr
