"""Progress files: round trip, atomic replace, corrupt files set aside, reset."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from k8slab.errors import ProgressError
from k8slab.progress import Progress, ProgressStore


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress")


def test_missing_file_gives_fresh_progress(store: ProgressStore) -> None:
    loaded = store.load("day10", "sim", "k8slab-day10")
    assert loaded.problem is None
    assert not loaded.resumed
    assert loaded.progress.step is None
    assert loaded.progress.steps_done == set()


def test_save_then_load_resumes(store: ProgressStore) -> None:
    p = Progress("day10", "sim", "k8slab-day10", step="sts-simple",
                 steps_done={"ds-simple", "intro"}, answers={"q1": 2}, passed={"ds": 12.5})
    path = store.save(p)
    assert path.parent == store.root
    loaded = store.load("day10", "sim", "k8slab-day10")
    assert loaded.resumed and loaded.problem is None
    got = loaded.progress
    assert got.step == "sts-simple"
    assert got.steps_done == {"ds-simple", "intro"}
    assert got.answers == {"q1": 2}
    assert got.passed == {"ds": 12.5}
    assert got.updated > 0


def test_backends_and_namespaces_are_separate(store: ProgressStore) -> None:
    store.save(Progress("day10", "sim", "k8slab-day10", step="a"))
    store.save(Progress("day10", "kube", "k8slab-day10", step="b"))
    store.save(Progress("day10", "kube", "alice", step="c"))
    assert store.load("day10", "sim", "k8slab-day10").progress.step == "a"
    assert store.load("day10", "kube", "k8slab-day10").progress.step == "b"
    assert store.load("day10", "kube", "alice").progress.step == "c"


def test_save_replaces_atomically_and_leaves_no_temp_files(store: ProgressStore) -> None:
    p = Progress("day10", "sim", "ns", step="one")
    store.save(p)
    p.step = "two"
    store.save(p)
    files = sorted(f.name for f in store.root.iterdir())
    assert files == ["day10--sim--ns.json"]
    assert json.loads((store.root / files[0]).read_text())["step"] == "two"


def test_failed_write_keeps_the_old_file(store: ProgressStore,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(Progress("day10", "sim", "ns", step="old"))

    def boom(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(ProgressError, match="could not save progress"):
        store.save(Progress("day10", "sim", "ns", step="new"))
    monkeypatch.undo()
    assert store.load("day10", "sim", "ns").progress.step == "old"
    assert [f.name for f in store.root.iterdir()] == ["day10--sim--ns.json"]


@pytest.mark.parametrize("content", [
    "{not json",
    "[]",
    '{"version": 99, "lesson": "day10"}',
    '{"version": 1, "lesson": "day10", "answers": {"q": "b"}}',
    '{"version": 1, "lesson": "day11"}',
])
def test_corrupt_file_is_set_aside_and_reported(store: ProgressStore, content: str) -> None:
    path = store.path("day10", "sim", "ns")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    loaded = store.load("day10", "sim", "ns")
    assert isinstance(loaded.problem, ProgressError)
    assert "unreadable" in loaded.problem.message
    assert not loaded.resumed
    assert loaded.progress.step is None
    assert not path.exists()
    aside = [f for f in store.root.iterdir() if ".corrupt-" in f.name]
    assert len(aside) == 1
    assert aside[0].read_text() == content
    assert aside[0].name in loaded.problem.message
    # The next save starts cleanly next to the set-aside file.
    store.save(loaded.progress)
    assert store.load("day10", "sim", "ns").problem is None


def test_clear_removes_only_the_lesson(store: ProgressStore) -> None:
    store.save(Progress("day10", "sim", "ns"))
    store.save(Progress("day10", "kube", "ns"))
    store.save(Progress("day11", "sim", "ns"))
    removed = store.clear("day10", backend="kube")
    assert [p.name for p in removed] == ["day10--kube--ns.json"]
    removed = store.clear("day10")
    assert [p.name for p in removed] == ["day10--sim--ns.json"]
    assert store.load("day11", "sim", "ns").resumed


def test_odd_names_make_safe_file_names(store: ProgressStore) -> None:
    path = store.path("day10", "kube", "../../etc")
    assert path.parent == store.root
    assert "/" not in path.name


def test_default_root_is_under_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SLAB_STATE_DIR", str(tmp_path / "state"))
    assert ProgressStore().root == tmp_path / "state" / "progress"
