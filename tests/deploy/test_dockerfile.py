"""The Dockerfile and .dockerignore, read as text (no Docker engine here): the image's contract with compose and k8s."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


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


def test_multi_stage_on_python_311_slim() -> None:
    steps = instructions()
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert len(froms) >= 2
    args = {a.split("=", 1)[0]: a.split("=", 1)[1] for k, a in steps if k == "ARG" and "=" in a}
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_builds_dependencies_and_generated_code() -> None:
    runs = [args for keyword, args in instructions() if keyword == "RUN"]
    assert any("pip install --no-cache-dir ." in r for r in runs)
    assert any(r == "python tools/gen_protos.py" for r in runs)
    copies = " ".join(args for keyword, args in instructions() if keyword == "COPY")
    assert "/src/build/cveval.pb /app/build/cveval.pb" in copies, "Envoy's init container copies it from there"
    assert "/src/gen/python/ /app/gen/python/" in copies


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
