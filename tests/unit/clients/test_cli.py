"""The CLI's configuration, input checks and exit codes, without a server."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from cveval_client import cli, config
from cveval_client.files import UnsupportedFile, reports_for
from cveval_devstack.procs import free_port


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "config.json"
    monkeypatch.setenv("CVEVAL_CONFIG", str(path))
    monkeypatch.delenv("CVEVAL_URL", raising=False)
    monkeypatch.delenv("CVEVAL_API_KEY", raising=False)
    return path


def test_config_set_is_private_and_env_wins(isolated_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["config", "set", "--url", "http://h:1/", "--key", "cvk_secret"]) == cli.OK
    assert stat.S_IMODE(isolated_config.stat().st_mode) == 0o600
    assert json.loads(isolated_config.read_text()) == {"url": "http://h:1", "api_key": "cvk_secret"}
    assert config.load() == config.Settings("http://h:1", "cvk_secret")
    monkeypatch.setenv("CVEVAL_API_KEY", "from-env")
    assert config.load().api_key == "from-env"


def test_unsupported_files_fail_before_anything_is_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG")
    code = cli.main(["screen", "--vacancy", "v", "--reports", str(image), str(image), "--url", "http://127.0.0.1:1"])
    assert code == cli.BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unsupported file type .png" in err


def test_a_vacancy_from_an_unsupported_file_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, sheet = tmp_path / "jd.pdf", tmp_path / "brief.xlsx"
    pdf.write_bytes(b"%PDF-1.4")
    sheet.write_bytes(b"PK")
    assert cli.main(["vacancy", "create", "--title", "T", "--job-description", str(pdf)]) == cli.BAD_INPUT
    assert "--brief" in capsys.readouterr().err
    args = ["vacancy", "create", "--title", "T", "--job-description", str(pdf), "--brief", str(sheet)]
    assert cli.main(args) == cli.BAD_INPUT
    assert "unsupported file type .xlsx" in capsys.readouterr().err


def test_an_unreachable_server_is_one_line_and_exit_5(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["vacancy", "list", "--url", f"http://127.0.0.1:{free_port()}"])
    assert code == cli.UNREACHABLE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is the server running?" in err


def test_reports_by_name_or_shared(tmp_path: Path) -> None:
    cvs = [tmp_path / "ann.pdf", tmp_path / "bob.pdf"]
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "ann.txt").write_text("a")
    (reports / "bob.docx").write_text("b")
    assert [p.name if p else "" for p in reports_for(cvs, reports)] == ["ann.txt", "bob.docx"]
    assert reports_for(cvs, reports / "ann.txt") == [reports / "ann.txt"] * 2
    (reports / "bob.docx").unlink()
    (reports / "carl.txt").write_text("c")
    with pytest.raises(UnsupportedFile, match="no report named bob"):
        reports_for(cvs, reports)
    assert reports_for(cvs, None) == [None, None]  # no reports: the CVs alone are evaluated
