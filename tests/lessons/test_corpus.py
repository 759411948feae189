"""A corpus of broken lessons, one fault each, and the message the loader must give for it.

Each case under corpus/ is a copy of corpus/valid with one thing broken, and an expect.yaml
naming the file:line where the fault is and a fragment of the message.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from k8slab.cli import main
from k8slab.errors import LessonError, Problem
from k8slab.lessons import load_lesson

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())
_FORMAT = re.compile(r"^\S.*:\d+:\d+: \S.*$")


def _expect(case: Path) -> tuple[Path, int, str]:
    data = YAML(typ="safe").load((case / "expect.yaml").read_text(encoding="utf-8"))
    file, line = str(data["at"]).rsplit(":", 1)
    return (case / file).resolve(), int(line), str(data["message"])


def _problems(case: Path) -> list[Problem]:
    with pytest.raises(LessonError) as info:
        load_lesson(case)
    return info.value.problems


def test_the_corpus_has_at_least_twenty_distinct_faults() -> None:
    # A fault is what is wrong and in which kind of file (lesson or manifest).
    faults = {(_expect(case)[0].parent.name == "manifests", _expect(case)[2]) for case in CASES}
    assert len(CASES) >= 20
    assert len(faults) == len(CASES)


def test_the_base_of_the_corpus_is_valid() -> None:
    lesson = load_lesson(CORPUS / "valid")
    assert [s.id for s in lesson.steps] == ["web", "agent", "batch"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_broken_lesson_is_reported_at_the_fault(case: Path) -> None:
    where, line, message = _expect(case)
    problems = _problems(case)
    hits = [p for p in problems
            if Path(p.location.path).resolve() == where and p.location.line == line
            and message in p.message]
    report = "\n".join(str(p) for p in problems)
    assert hits, f"expected {where.name}:{line}: ...{message}... in:\n{report}"
    for problem in problems:
        assert _FORMAT.match(str(problem)), f"not file:line:col: message: {problem}"


def test_validate_prints_every_case_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(CORPUS)]) == 1
    out = capsys.readouterr().out
    for case in CASES:
        where, line, message = _expect(case)
        assert any(message in row and f"{where.name}:{line}:" in row and case.name in row
                   for row in out.splitlines()), case.name
    assert "Traceback" not in out


def test_validate_never_shows_a_traceback() -> None:
    """The installed entry point, as a user runs it, on the whole corpus."""
    result = subprocess.run([sys.executable, "-m", "k8slab", "validate", str(CORPUS)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("\n") >= len(CASES)
