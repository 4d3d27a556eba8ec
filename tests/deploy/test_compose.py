"""docker-compose.yml: valid against the Compose Specification JSON schema (vendored in deploy/compose/, see
SOURCE.md there), then the stack's rules. No Docker engine is needed; when a `docker compose` or `docker-compose`
binary happens to be installed, its own `config` check runs too."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tools import internal_secrets

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = ROOT / "deploy" / "compose" / "compose-spec.schema.json"

APP_IMAGE = "cveval:0.1.0"  # the version in pyproject.toml (tests/deploy/test_versions.py)
APP_SERVICES = {
    # service: (command, OTEL_SERVICE_NAME)
    "upload": (["cveval_upload", "serve"], "cveval-upload"),
    "job": (["cveval_job", "serve"], "cveval-job"),
    "worker": (["cveval_job.worker"], "cveval-worker"),
    "ai-gateway": (["cveval_gateway", "serve"], "cveval-ai-gateway"),
    "result": (["cveval_result", "serve"], "cveval-result"),
    "auth": (["cveval_auth", "serve"], "cveval-auth"),
}
MIGRATIONS = ("cveval_upload", "cveval_job", "cveval_result", "cveval_gateway", "cveval_auth")
SECRETISH = re.compile(r"(API_?KEY|TOKEN|SECRET|CREDENTIAL|PASSWORD)", re.IGNORECASE)
KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_-]{16,}|sk-or-v1-[0-9a-f]{16,}|Bearer\s+[A-Za-z0-9._-]{16,})")
INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")
# A required variable: compose refuses to start without it and says how to make it.
REQUIRED = "${{{name}:?run python -m tools.internal_secrets --env > .env}}"
NATS_USERS = ("job", "worker", "result", "upload")

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def schema() -> Doc:
    loaded: Doc = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(loaded)
    return loaded


@pytest.fixture(scope="module")
def compose() -> Doc:
    loaded: Doc = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def schema_errors(schema: Doc, document: Doc) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def environment(service: Doc) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_schema_is_the_compose_specification(schema: Doc) -> None:
    assert schema["$id"] == "compose_spec.json"
    assert schema["title"] == "Compose Specification"
    assert "service_completed_successfully" in json.dumps(schema)


def test_compose_file_matches_the_compose_specification(schema: Doc, compose: Doc) -> None:
    errors = schema_errors(schema, compose)
    assert not errors, "\n".join(errors)


def test_the_schema_check_has_teeth(schema: Doc, compose: Doc) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["upload"]["imagee"] = APP_IMAGE
    broken["services"]["worker"]["depends_on"]["migrate"]["condition"] = "service_finished"
    errors = schema_errors(schema, broken)
    assert any("imagee" in e for e in errors)
    assert any("service_finished" in e for e in errors)


def test_docker_compose_config_when_available() -> None:
    docker = shutil.which("docker")
    command: list[str] | None = None
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        command = [docker, "compose"]
    elif legacy := shutil.which("docker-compose"):
        command = [legacy]
    if command is None:
        pytest.skip("no docker compose binary here: the schema test above is the check")
    proc = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr


def test_services(compose: Doc) -> None:
    expected = {"postgres", "nats", "migrate", "envoy", "redis", "ratelimit", "otel-collector", *APP_SERVICES}
    assert set(compose["services"]) == expected
    assert set(compose.get("volumes", {})) >= {"postgres-data", "nats-data"}


def test_every_app_service_runs_the_one_image(compose: Doc) -> None:
    services = compose["services"]
    for name in [*APP_SERVICES, "migrate"]:
        assert services[name]["image"] == APP_IMAGE, name
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"], "the image is built once, by the first service to run"
    assert services["migrate"]["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    assert (ROOT / "Dockerfile").is_file()
    for name in APP_SERVICES:
        assert services[name]["pull_policy"] == "never", f"{name} must not try to pull the locally built image"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_service(compose: Doc, name: str) -> None:
    command, otel_name = APP_SERVICES[name]
    service = compose["services"][name]
    assert service["command"] == command
    env = environment(service)
    assert env["OTEL_SERVICE_NAME"] == otel_name
    password = REQUIRED.format(name="POSTGRES_PASSWORD")
    assert env["CVEVAL_DATABASE_URL"] == f"postgresql+asyncpg://cveval:{password}@postgres:5432/cveval"
    if name in NATS_USERS:
        assert env["CVEVAL_NATS_USER"] == name
        assert env["CVEVAL_NATS_PASSWORD"] == REQUIRED.format(name=f"NATS_{name.upper()}_PASSWORD")
    else:
        assert "CVEVAL_NATS_PASSWORD" not in env, f"{name} uses no NATS and gets no NATS credential"
    assert env["CVEVAL_NATS_URL"] == "nats://nats:4222"
    assert env["CVEVAL_UPLOAD_ADDR"] == "upload:50051"
    assert env["CVEVAL_JOB_ADDR"] == "job:50051"
    assert env["CVEVAL_RESULT_ADDR"] == "result:50051"
    assert env["CVEVAL_GATEWAY_ADDR"] == "ai-gateway:50051"
    assert env["CVEVAL_GRPC_HOST"] == "0.0.0.0"
    assert env["CVEVAL_GRPC_PORT"] == "50051"
    assert env["CVEVAL_METRICS_PORT"] == "9464"
    assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert service["depends_on"]["nats"] == {"condition": "service_healthy"}
    assert service["read_only"] is True
    assert "healthcheck" in service


@pytest.mark.parametrize("name", ["upload", "job", "ai-gateway", "result", "auth"])
def test_grpc_services_check_grpc_health(compose: Doc, name: str) -> None:
    test = compose["services"][name]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "HealthStub" in test[3] and "127.0.0.1:50051" in test[3]


def test_worker(compose: Doc) -> None:
    worker = compose["services"]["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["healthcheck"]["test"] == ["CMD", "python", "-m", "cveval_job.worker", "healthcheck"]
    assert "ports" not in worker, "replicas cannot share a host port"
    assert "container_name" not in worker, "a fixed container name forbids replicas"


def test_migrate_is_a_one_shot_running_every_migration(compose: Doc) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    script = " ".join(migrate["command"])
    positions = [script.index(f"python -m {module} migrate") for module in MIGRATIONS]
    assert positions == sorted(positions)
    assert "&&" in script and migrate["entrypoint"][:2] == ["/bin/sh", "-ec"]


def test_infrastructure(compose: Doc) -> None:
    postgres = compose["services"]["postgres"]
    # Image versions: tests/deploy/test_versions.py (the same as `make run`'s servers).
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "postgres-data:/var/lib/postgresql" in postgres["volumes"], "the PostgreSQL 18 images' data root"

    nats = compose["services"]["nats"]
    command = nats["command"]
    assert "-js" in command and command[command.index("-sd") + 1] == "/data"
    assert command[command.index("-m") + 1] == "8222"
    assert "nats-data:/data" in nats["volumes"]
    assert command[command.index("-c") + 1] == "/etc/nats/nats.conf"
    config = next(v for v in nats["volumes"] if isinstance(v, dict) and v["target"] == "/etc/nats/nats.conf")
    assert config["source"] == "./deploy/nats/nats.conf" and config["read_only"] is True
    generated = internal_secrets.generate()
    assert environment(nats) == {k: REQUIRED.format(name=k) for k in generated if k.startswith("NATS_")}
    assert environment(postgres)["POSTGRES_PASSWORD"] == REQUIRED.format(name="POSTGRES_PASSWORD")
    health = " ".join(nats["healthcheck"]["test"])
    assert "wget" in health and ":8222/healthz" in health


def test_envoy(compose: Doc) -> None:
    envoy = compose["services"]["envoy"]
    assert envoy["depends_on"]["otel-collector"] == {"condition": "service_started"}
    assert "8080:8080" in envoy["ports"]
    mounts = {v["target"]: v for v in envoy["volumes"]}
    assert mounts["/etc/envoy/envoy.yaml"]["source"] == "./deploy/envoy/envoy.yaml"
    assert mounts["/etc/envoy/cveval.pb"]["source"] == "./build/cveval.pb"
    assert all(m["read_only"] is True for m in mounts.values())
    assert (ROOT / "deploy" / "envoy" / "envoy.yaml").is_file()
    for upstream in ("upload", "job", "result"):
        assert envoy["depends_on"][upstream] == {"condition": "service_healthy"}


def test_no_literal_api_key(compose: Doc) -> None:
    text = COMPOSE_FILE.read_text()
    assert not KEY_SHAPES.search(text), "something that looks like a real API key is in docker-compose.yml"
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if key == "CVEVAL_LLM_API_KEY":
                assert value == "${CVEVAL_LLM_API_KEY:-}", f"{name}: the key comes from the environment, empty default"
            elif SECRETISH.search(key):
                assert INTERPOLATION.match(value), f"{name}: {key} is a literal value"
    assert "CVEVAL_LLM_API_KEY" in environment(compose["services"]["ai-gateway"])


def test_otel_collector(compose: Doc) -> None:
    collector = compose["services"]["otel-collector"]
    (config,) = collector["volumes"]
    default = "./deploy/k8s/base/otel-collector/config.yaml"
    assert config["source"] == "${OTEL_COLLECTOR_CONFIG:-" + default + "}" and config["read_only"] is True
    assert (ROOT / default).is_file() and (ROOT / "deploy/k8s/overlays/prod/otel-collector-config.yaml").is_file()
    assert collector["command"] == [f"--config={config['target']}"]
    for name in APP_SERVICES:
        endpoint = environment(compose["services"][name])["OTEL_EXPORTER_OTLP_ENDPOINT"]
        assert endpoint == "${OTEL_EXPORTER_OTLP_ENDPOINT-http://otel-collector:4317}", name
