"""`k8slab list` and `k8slab validate`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from k8slab.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "lessons" / "corpus"


def test_list_shows_the_lessons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    rows = {cells[1]: cells for cells in (
        [c.strip() for c in line.split("│")] for line in out.splitlines()
        if line.startswith("│")) if cells[1]}
    assert list(rows) == ["day10", "day11"]
    # lesson, title, parts, steps, checklist, manifests
    assert rows["day10"][2].startswith("Day 10: DaemonSets")
    assert rows["day10"][5] == "13" and int(rows["day10"][4]) >= 30
    assert rows["day11"][2] == "Day 11: Jobs & CronJobs"
    assert int(rows["day11"][5]) >= 8


def test_list_marks_an_invalid_lesson(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(CORPUS / "valid", tmp_path / "good")
    shutil.copytree(CORPUS / "unknown-kind", tmp_path / "broken")
    monkeypatch.setenv("K8SLAB_LESSONS", str(tmp_path))
    assert main(["list"]) == 1
    out = capsys.readouterr().out
    assert "good" in out and "Corpus base lesson" in out
    assert "broken" in out and "invalid" in out


def test_validate_passes_on_the_shipped_lessons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert re.match(r"^ok \S*day10/lesson\.yaml: \d+ steps, 13 checklist items, \d+ manifests$",
                    out[0])
    assert re.match(r"^ok \S*day11/lesson\.yaml: ", out[1])


def test_validate_reports_problems_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CORPUS / "selector-mismatch"),
                 str(CORPUS / "valid")]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert any(line.endswith("valid/lesson.yaml: 3 steps, 2 checklist items, 3 manifests")
               for line in lines)
    problem = next(line for line in lines if "selector" in line)
    assert "selector-mismatch/manifests/web.yaml:25:9: StatefulSet web: spec.selector does " \
           "not match" in problem
    assert "1 problem(s) found" in captured.err


def test_validate_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/lesson"]) == 1
    assert capsys.readouterr().out == "no/such/lesson: no such lesson file\n"
