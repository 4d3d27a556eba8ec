"""Where a root-run devstack keeps PostgreSQL: an area of its own, never a permission change outside the project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cveval_devstack import postgres

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the server area is only used when running as root")


def test_an_area_belongs_to_its_data_directory_and_goes_with_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "private" / "postgres"
    data_dir.mkdir(parents=True)
    (tmp_path / "private").chmod(0o700)
    area = postgres.server_area(data_dir)
    try:
        assert (area / postgres.AREA_OWNER).read_text().strip() == str(data_dir.resolve())
        assert area.stat().st_uid == 0 and area.stat().st_mode & 0o777 == 0o755
        assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700, "no folder outside the area is opened"
        assert area not in postgres.remove_orphaned_areas()
        shutil.rmtree(tmp_path / "private")
        assert area in postgres.remove_orphaned_areas()
        assert not area.exists()
    finally:
        shutil.rmtree(area, ignore_errors=True)


def test_a_name_taken_by_someone_else_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    data_dir.mkdir()
    area = postgres.server_area(data_dir)
    try:
        area.chmod(0o777)  # as if another user had made it writable for themselves
        with pytest.raises(RuntimeError, match="not a root-owned directory"):
            postgres.server_area(data_dir)
    finally:
        shutil.rmtree(area, ignore_errors=True)
