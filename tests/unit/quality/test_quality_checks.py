"""Pure parts of the quality harness: ranking with ties, spreads, gaps, tables, and the report's exit code."""

from __future__ import annotations

import pytest

from tools.quality.checks import Check, adjacent_gaps, rank_from_bottom, rank_from_top, render_table, spread, summarize


def test_a_tie_for_first_is_not_first() -> None:
    rates = {"own": 0.8, "other": 0.7, "teacher": 0.3}
    assert rank_from_top("own", rates) == 1
    assert rank_from_top("own", {**rates, "other": 0.8}) == 2
    assert rank_from_top("other", rates) == 2


def test_a_tie_for_last_is_not_last() -> None:
    rates = {"own": 0.8, "other": 0.4, "teacher": 0.3}
    assert rank_from_bottom("teacher", rates) == 1
    assert rank_from_bottom("teacher", {**rates, "other": 0.3}) == 2


def test_spread_and_gaps_ignore_float_noise() -> None:
    assert spread([0.71, 0.73, 0.72]) == 0.02  # 0.73 - 0.71 is 0.0199999… in binary floating point
    assert spread([]) == 0.0
    assert adjacent_gaps([4.6, 3.4, 2.0]) == [1.2, 1.4]
    assert adjacent_gaps([3.0]) == []


def test_table_aligns_columns() -> None:
    table = render_table(["name", "score"], [["a", "0.50"], ["longer", "1.00"]])
    lines = table.splitlines()
    assert lines[0] == "name    score"
    assert lines[1] == "------  -----"
    assert lines[2] == "a        0.50"


def test_check_lines_and_summary() -> None:
    checks = [Check("s", "cv", "rank 1", "rank 1", True), Check("s", "cv2", "rank 3", "rank 1", False)]
    assert checks[0].line() == "PASS  cv: rank 1 (target: rank 1)"
    assert checks[1].line().startswith("FAIL  cv2")
    assert summarize(checks) == "2 checks: 1 PASS, 1 FAIL"


@pytest.mark.timeout(120)
def test_the_report_runs_without_a_corpus_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    from tools.quality.__main__ import main

    assert main(["--corpus", "/nonexistent/corpus", "--labeled", "/nonexistent/labeled"]) == 0
    out = capsys.readouterr().out
    assert "skipping the ranking and format-invariance sections" in out
    assert "skipping the labelled benchmark" in out
    for section in ("Injection", "Keyword stuffing", "Counterfactual", "Project reports", "CPU time"):
        assert f"## {section}" in out


def test_strict_mode_fails_on_a_failed_target(monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.quality.__main__ as cli

    async def failing(*_: object) -> list[Check]:
        return [Check("s", "cv", "rank 2", "rank 1", False)]

    monkeypatch.setattr(cli, "_run", failing)
    assert cli.main([]) == 0  # a report by default
    assert cli.main(["--strict"]) == 1
