"""The installed `k8slab run day10` in a real terminal (tmux), read the way a person reads it.

Skipped only when tmux is missing (CI installs it).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.terminal import Terminal

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def installed_k8slab() -> str:
    """The console script installed next to this Python (the venv's), else the PATH's."""
    here = Path(sys.executable).parent / "k8slab"
    found = str(here) if here.exists() else shutil.which("k8slab")
    if not found:
        pytest.fail("k8slab is not installed: pip install -e .")
    return found


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path, 120, 40)
    yield term
    term.close()


def env(tmp_path: Path) -> dict[str, str]:
    return {"K8SLAB_STATE_DIR": str(tmp_path / "state"), "TERM": "xterm-256color",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path), "PYTHONFAULTHANDLER": "1"}


def test_run_day10_apply_a_statefulset_and_watch_it(terminal: Terminal, tmp_path: Path) -> None:
    terminal.start([installed_k8slab(), "run", "day10", "--speed", "8"], env(tmp_path))
    # The first frame is drawn top to bottom: wait for the status bar at the bottom too.
    screen = terminal.wait_for(lambda s: "Step 1/" in s and "sim · k8slab-day10" in s,
                               timeout=90)
    assert "Day 10: DaemonSets & StatefulSets" in screen
    assert "Checklist · 0/13" in screen

    for _ in range(6):
        terminal.keys("n")
    terminal.wait_for("Your first StatefulSet")
    terminal.wait_for("1 apply simple-statefulset.yaml")

    terminal.keys("a")
    screen = terminal.wait_for(lambda s: "web-0" in s and "Ready" in s)
    screen = terminal.wait_for("3/3 ready")
    for pod in ("web-0", "web-1", "web-2"):
        assert pod in screen

    terminal.keys("?")
    terminal.wait_for(lambda s: "k8slab keys" in s and "Pause or resume the sim's clock" in s)
    terminal.keys("Escape")
    terminal.wait_for(lambda s: "k8slab keys" not in s)

    terminal.keys("q")
    assert terminal.wait_exit(timeout=30) == 0
    saved = list((tmp_path / "state" / "progress").glob("day10--sim--*.json"))
    assert saved and '"statefulset-basics"' in saved[0].read_text()


def test_run_unknown_lesson_prints_one_line_and_fails(terminal: Terminal,
                                                     tmp_path: Path) -> None:
    terminal.start([installed_k8slab(), "run", "day99"], env(tmp_path))
    status = terminal.wait_exit(timeout=60)
    screen = terminal.screen(history=True)
    assert "day99: no such lesson file" in screen
    assert "hint: shipped lessons: day10, day11" in screen
    assert "Traceback" not in screen
    assert status == 1
