"""NATS users for `make run`: one per process kind, each allowed only the subjects it uses.

The subject names follow the same `CVEVAL_*` settings the services read, so a stack started with test-unique stream
and subject names gets permissions for those names. To give a new process NATS access, add a line to `_permissions`
(and map its process name in `user_for_process`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from cveval_kit.jetstream import inbox_prefix
from cveval_kit.settings import Settings


@dataclass(frozen=True)
class NatsNames:
    jobs_stream: str
    jobs_subject: str
    events_prefix: str
    worker_durable: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NatsNames:
        defaults = Settings.model_fields

        def get(field: str) -> str:
            return env.get(f"CVEVAL_{field.upper()}") or str(defaults[field].default)

        return cls(get("jobs_stream"), get("jobs_subject"), get("events_subject_prefix"), get("worker_durable"))


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def _inbox(user: str) -> str:
    # Replies to JetStream API calls, publish acknowledgements and pulled messages come to a per-user inbox prefix
    # (the kit connects with it), so no user can read another's replies.
    return f"{inbox_prefix(user)}.>"


def _stream_admin(stream: str) -> tuple[str, ...]:
    # ensure_stream: look the stream up, create it when missing. Nothing may delete or purge it.
    return ("$JS.API.INFO", f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.STREAM.CREATE.{stream}")


def _permissions(n: NatsNames) -> dict[str, Permissions]:
    consumer = f"{n.jobs_stream}.{n.worker_durable}"
    return {
        # The job service publishes evaluation jobs (outbox relay included) and nothing else.
        "job": Permissions(publish=(*_stream_admin(n.jobs_stream), n.jobs_subject), subscribe=(_inbox("job"),)),
        # The worker pulls from its durable consumer, acknowledges, and announces job status changes.
        "worker": Permissions(
            publish=(
                *_stream_admin(n.jobs_stream),
                f"$JS.API.CONSUMER.INFO.{consumer}",
                f"$JS.API.CONSUMER.CREATE.{consumer}",
                f"$JS.API.CONSUMER.CREATE.{consumer}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{consumer}",
                f"$JS.API.CONSUMER.MSG.NEXT.{consumer}",
                f"$JS.ACK.{consumer}.>",
                f"{n.events_prefix}.>",
            ),
            subscribe=(_inbox("worker"),),
        ),
        # The result service only listens to status changes (WatchResult); it publishes nothing.
        "result": Permissions(publish=(), subscribe=(f"{n.events_prefix}.>",)),
    }


def user_for_process(process: str) -> str | None:
    """The NATS user of a devstack process name (worker-0 → worker), None when the process uses no NATS."""
    kind = process.split("-", 1)[0]
    return kind if kind in ("job", "worker", "result") else None


def users(names: NatsNames) -> dict[str, Permissions]:
    return _permissions(names)


def password_variable(user: str) -> str:
    """The environment variable a deployed nats-server reads a user's password from (deploy/nats/nats.conf)."""
    return f"NATS_{user.upper()}_PASSWORD"


def render_authorization(perms: Mapping[str, Permissions], passwords: Mapping[str, str] | None = None) -> str:
    """The `authorization { users = [...] }` block of a nats-server config. With `passwords` they are written in
    (the devstack's private file); without, each is an environment variable reference `$NATS_<USER>_PASSWORD` that
    nats-server resolves at start (the deployable config, whose passwords come from a Secret). Subjects are quoted
    JSON strings, so `$JS.…` is never taken for a variable."""
    lines = ["authorization {", "  users = ["]
    for user, p in perms.items():
        password = json.dumps(passwords[user]) if passwords is not None else f"${password_variable(user)}"
        publish = {"allow": list(p.publish)} if p.publish else {"deny": [">"]}
        subscribe = {"allow": list(p.subscribe)} if p.subscribe else {"deny": [">"]}
        lines += [
            "    {",
            f"      user: {json.dumps(user)}",
            f"      password: {password}",
            f"      permissions: {{publish: {json.dumps(publish)}, subscribe: {json.dumps(subscribe)}}}",
            "    }",
        ]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"
