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
    dead_letter_stream: str
    dead_letter_subject: str
    audit_stream: str
    audit_prefix: str
    audit_durable: str
    results_erased_subject: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NatsNames:
        defaults = Settings.model_fields

        def get(field: str) -> str:
            return env.get(f"CVEVAL_{field.upper()}") or str(defaults[field].default)

        return cls(
            get("jobs_stream"),
            get("jobs_subject"),
            get("events_subject_prefix"),
            get("worker_durable"),
            get("dead_letter_stream"),
            get("dead_letter_subject"),
            get("audit_stream"),
            get("audit_subject_prefix"),
            get("audit_durable"),
            get("results_erased_subject"),
        )


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


def _pull_consumer(stream: str, durable: str) -> tuple[str, ...]:
    # Create (or update) a durable pull consumer, fetch from it and acknowledge what it delivered.
    consumer = f"{stream}.{durable}"
    return (
        f"$JS.API.CONSUMER.INFO.{consumer}",
        f"$JS.API.CONSUMER.CREATE.{consumer}",
        f"$JS.API.CONSUMER.CREATE.{consumer}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{consumer}",
        f"$JS.API.CONSUMER.MSG.NEXT.{consumer}",
        f"$JS.ACK.{consumer}.>",
    )


def _auditor(n: NatsNames, service: str) -> tuple[str, ...]:
    # Every service that shows or erases candidate data appends to the audit feed under its own subject only.
    return (*_stream_admin(n.audit_stream), f"{n.audit_prefix}.{service}")


def _permissions(n: NatsNames) -> dict[str, Permissions]:
    return {
        # The job service publishes evaluation jobs (reconciler and replays included), removes the queued messages of
        # erased jobs, appends to the audit feed and copies it into its table through its durable consumer.
        "job": Permissions(
            publish=(
                *_stream_admin(n.jobs_stream),
                *_stream_admin(n.dead_letter_stream),
                n.jobs_subject,
                f"$JS.API.STREAM.MSG.GET.{n.jobs_stream}",
                f"$JS.API.STREAM.MSG.DELETE.{n.jobs_stream}",
                *_auditor(n, "job"),
                *_pull_consumer(n.audit_stream, n.audit_durable),
                # Read-only: the worker consumer's backlog for the queue-lag metrics (cveval_job.queue_lag).
                f"$JS.API.CONSUMER.INFO.{n.jobs_stream}.{n.worker_durable}",
            ),
            subscribe=(_inbox("job"),),
        ),
        # The worker pulls from its durable consumer, acknowledges, dead-letters what it gives up on, and announces
        # job status changes.
        "worker": Permissions(
            publish=(
                *_stream_admin(n.jobs_stream),
                *_stream_admin(n.dead_letter_stream),
                *_pull_consumer(n.jobs_stream, n.worker_durable),
                n.dead_letter_subject,
                f"{n.events_prefix}.>",
            ),
            subscribe=(_inbox("worker"),),
        ),
        # The result service listens to status changes (WatchResult), audits the results it shows, and tells its
        # other replicas which results were erased (so none serves a cached copy).
        "result": Permissions(
            publish=(*_auditor(n, "result"), n.results_erased_subject),
            subscribe=(f"{n.events_prefix}.>", n.results_erased_subject, _inbox("result")),
        ),
        # The upload service audits the document texts it shows and the documents it erases.
        "upload": Permissions(publish=_auditor(n, "upload"), subscribe=(_inbox("upload"),)),
    }


def user_for_process(process: str) -> str | None:
    """The NATS user of a devstack process name (worker-0 → worker), None when the process uses no NATS."""
    kind = process.split("-", 1)[0]
    return kind if kind in ("job", "worker", "result", "upload") else None


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
