"""The cache of loaded shipped lessons: the same Lesson as a fresh load, a new entry whenever
a lesson file changes, never used for lessons outside the shipped folder or for failed loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from k8slab.errors import LessonError
from k8slab.lessons import cache, loader
from k8slab.paths import lessons_root


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("K8SLAB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped lessons, used as the shipped folder."""
    root = tmp_path / "lessons"
    shutil.copytree(lessons_root(), root)
    monkeypatch.setenv("K8SLAB_LESSONS", str(root))
    return root


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "lessons").glob("*.pickle"))


def forbid_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path_or_id: object) -> None:
        raise AssertionError("the loader ran although the cache holds the lesson")

    monkeypatch.setattr(loader, "load_lesson", refuse)


@pytest.mark.parametrize("lesson_id", ["day10", "day11"])
def test_second_load_comes_from_the_cache_and_equals_a_fresh_load(
        lesson_id: str, cached: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = loader.load_lesson(lesson_id)
    first = cache.load_lesson(lesson_id)
    assert first == fresh and len(entries(cached)) == 1
    forbid_loading(monkeypatch)
    again = cache.load_lesson(lesson_id)
    assert again == fresh and again is not first


def test_a_changed_lesson_file_is_loaded_again(cached: Path, shipped_copy: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache.load_lesson("day10")
    lesson_file = shipped_copy / "day10" / "lesson.yaml"
    text = lesson_file.read_text()
    line = f'title: "{before.title}"'
    assert line in text
    lesson_file.write_text(text.replace(line, f'title: "{before.title} (edited)"', 1))
    after = cache.load_lesson("day10")
    assert after.title == before.title + " (edited)"
    assert len(entries(cached)) == 1  # the stale entry was replaced, not kept beside it


def test_a_changed_manifest_is_loaded_again(cached: Path, shipped_copy: Path) -> None:
    before = cache.load_lesson("day10")
    name, manifest = next(iter(before.manifests.items()))
    path = shipped_copy / "day10" / "manifests" / Path(manifest.path).name
    path.write_text(path.read_text() + "\n# a comment\n")
    after = cache.load_lesson("day10")
    assert after.manifests[name].text.endswith("# a comment\n")


def test_lessons_outside_the_shipped_folder_are_not_cached(cached: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    mine = tmp_path / "mine" / "day10"
    shutil.copytree(lessons_root() / "day10", mine)
    lesson = cache.load_lesson(str(mine))
    assert lesson.id == "day10" and entries(cached) == []


def test_a_damaged_entry_is_a_miss_and_is_rewritten(cached: Path) -> None:
    fresh = cache.load_lesson("day10")
    (entry,) = entries(cached)
    entry.write_bytes(b"not a pickle")
    assert cache.load_lesson("day10") == fresh
    (entry,) = entries(cached)
    assert entry.read_bytes() != b"not a pickle"


def test_failed_loads_are_not_cached(cached: Path, shipped_copy: Path) -> None:
    lesson_file = shipped_copy / "day10" / "lesson.yaml"
    lesson_file.write_text(lesson_file.read_text() + "\nunknown_key: 1\n")
    for _ in range(2):
        with pytest.raises(LessonError):
            cache.load_lesson("day10")
    assert entries(cached) == []


def test_an_unwritable_cache_only_costs_the_load(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("K8SLAB_CACHE_DIR", str(blocker / "below-a-file"))
    assert cache.load_lesson("day10") == loader.load_lesson("day10")


def test_the_package_api_loads_through_the_cache(cached: Path) -> None:
    from k8slab import lessons

    assert lessons.load_lesson is cache.load_lesson
    assert lessons.load_lesson("day11").id == "day11" and len(entries(cached)) == 1
