"""`make run`'s secrets: made once, mode 0600, the bootstrap key from the environment when given."""

from __future__ import annotations

import stat
from pathlib import Path

from cveval_devstack.credentials import Credentials


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_made_once_and_private(tmp_path: Path) -> None:
    first = Credentials.load_or_create(tmp_path, {})
    assert first.admin_key_is_new and first.admin_api_key.startswith("cvk_")
    assert mode(tmp_path / "identity-secret") == 0o600 and mode(tmp_path / "admin-api-key") == 0o600
    again = Credentials.load_or_create(tmp_path, {})
    assert (again.identity_secret, again.admin_api_key) == (first.identity_secret, first.admin_api_key)
    assert not again.admin_key_is_new


def test_bootstrap_key_from_the_environment(tmp_path: Path) -> None:
    given = "cvk_" + "z" * 40
    made = Credentials.load_or_create(tmp_path, {"CVEVAL_BOOTSTRAP_API_KEY": given})
    assert made.admin_api_key == given and not made.admin_key_is_new
    assert (tmp_path / "admin-api-key").read_text().strip() == given
    assert made.auth_env() == {"CVEVAL_BOOTSTRAP_API_KEY": given}
    assert set(made.process_env()) == {"CVEVAL_IDENTITY_SECRET"}
