"""`buf breaking` against the main branch: the protos are the contract, and a change that breaks wire or source
compatibility with main (a renumbered, retyped or removed field, a removed RPC…) fails here.

The protos import google/api/*.proto, which are never committed: build/proto-deps is made from the installed
googleapis-common-protos wheel (tools/gen_protos.py). The main branch's protos are taken from git (`git archive`)
into a scratch directory and given the same deps, so both sides of the comparison build the same way.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from cveval_devstack.procs import venv_binary
from tests.deploy.metric_names import REPO

DEPS = REPO / "build" / "proto-deps"
BASE_BRANCHES = ("main", "origin/main")


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, timeout=60, check=False)


def _base_commit() -> str | None:
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        return None
    for branch in BASE_BRANCHES:
        found = _git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        if found.returncode == 0:
            return found.stdout.decode().strip()
    return None


def test_the_protos_do_not_break_the_main_branch(tmp_path: Path) -> None:
    base = _base_commit()
    if base is None:
        pytest.skip("no git history with a main branch to compare the protos against")
    assert DEPS.is_dir(), "build/proto-deps is missing: run `make gen`"
    archive = _git("archive", "--format=tar", base, "protos", "buf.yaml")
    assert archive.returncode == 0, archive.stderr.decode()
    tar_path = tmp_path / "main.tar"
    tar_path.write_bytes(archive.stdout)
    against = tmp_path / "main"
    with tarfile.open(tar_path) as tar:
        tar.extractall(against, filter="data")
    shutil.copytree(DEPS, against / "build" / "proto-deps")
    result = subprocess.run(
        [venv_binary("buf"), "breaking", "--against", str(against)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"breaking changes against main ({base[:12]}):\n{result.stdout}{result.stderr}"
