"""`envoy --mode validate` on the deployable REST bridge config and on the loopback copy `make run` renders."""

from __future__ import annotations

from pathlib import Path

import yaml

from cveval_devstack.envoy import DESCRIPTOR, ENVOY_CONFIG, render_config, validate


def test_deployable_config_validates(tmp_path: Path) -> None:
    assert DESCRIPTOR.exists(), "run `make gen` first"
    text = ENVOY_CONFIG.read_text().replace("/etc/envoy/cveval.pb", str(DESCRIPTOR))
    path = tmp_path / "envoy.yaml"
    path.write_text(text)
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_loopback_config_validates(tmp_path: Path) -> None:
    upstreams = {"upload": 50051, "job": 50052, "result": 50053, "auth_grpc": 50055, "auth": 9002}
    config = render_config(upstreams, http_port=18080, admin_port=19901, health_port=18081)
    path = tmp_path / "envoy.yaml"
    path.write_text(yaml.safe_dump(config))
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rest_surface_is_transcoded_with_snake_case() -> None:
    config = yaml.safe_load(ENVOY_CONFIG.read_text())
    filters = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    transcoder = next(f for f in filters["http_filters"] if f["name"].endswith("grpc_json_transcoder"))
    options = transcoder["typed_config"]
    assert options["print_options"]["preserve_proto_field_names"] is True
    assert options["convert_grpc_status"] is True
    assert options["max_request_body_size"] > 0
    assert set(options["services"]) == {
        "cveval.upload.v1.UploadService",
        "cveval.job.v1.JobService",
        "cveval.job.v1.VacancyService",
        "cveval.job.v1.AdminService",
        "cveval.result.v1.ResultService",
        "cveval.auth.v1.ApiKeyService",
    }
