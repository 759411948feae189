"""Loaded shipped lessons, kept between runs so that `k8slab run` starts without parsing YAML.

Loading Day 10 strictly (ruamel.yaml's round-trip parser keeping every position, then the
Kubernetes schemas) takes about half a second, the largest single part of the lab's startup
(bench/startup.py). The same files and the same code always load to the same `Lesson`, so a
lesson that loaded without problems is pickled under a key made of:

- every file in the lesson's folder: its relative path and the sha256 of its content;
- every `.py` file of the k8slab package, by path, size and modification time, and the
  installed versions of the libraries the loader uses (a changed loader, schema, action or
  check vocabulary gives another key);
- the Python version and the working directory (lessons keep paths written for messages).

Only shipped lessons (under `paths.lessons_root()`) are cached: a lesson being written is
loaded afresh each time, and `k8slab validate` always reads the files. A cache that cannot be
read or written is ignored. Entries live in `paths.cache_dir()/lessons` (K8SLAB_CACHE_DIR);
an entry whose key no longer matches is replaced.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
from pathlib import Path

from k8slab.lessons.model import Lesson
from k8slab.lessons.where import resolve
from k8slab.paths import cache_dir, lessons_root

_PACKAGE = Path(__file__).resolve().parent.parent
#: Libraries whose behaviour the loaded lesson depends on.
_LIBRARIES = ("ruamel.yaml", "kubernetes_validate", "jsonschema", "croniter")
_FORMAT = 1  # bump when the entry's layout changes


def load_lesson(path_or_id: str | Path) -> Lesson:
    """`loader.load_lesson`, answered from the cache for an unchanged shipped lesson.

    Raises:
        LessonError: as the loader does (failed loads are never cached).
    """
    path = resolve(path_or_id)
    if not _shipped(path):
        return _load(path_or_id)
    try:
        key = lesson_key(path)
    except OSError:
        return _load(path_or_id)
    entry = cache_dir() / "lessons" / f"{path.parent.name}-{key[:32]}.pickle"
    cached = _read(entry)
    if cached is not None:
        return cached
    lesson = _load(path_or_id)
    _write(entry, lesson)
    return lesson


def lesson_key(path: Path) -> str:
    """The cache key of the lesson file `path` (see the module's docstring)."""
    h = hashlib.sha256(f"k8slab-lesson-cache {_FORMAT} {sys.version} {os.getcwd()}\n".encode())
    folder = path.parent
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f"{file.relative_to(folder).as_posix()}\n".encode())
        h.update(hashlib.sha256(file.read_bytes()).digest())
    for source in sorted(_PACKAGE.rglob("*.py")):
        st = source.stat()
        h.update(f"{source.relative_to(_PACKAGE).as_posix()} {st.st_size} "
                 f"{st.st_mtime_ns}\n".encode())
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        stamp = os.stat(origin).st_mtime_ns if origin else 0
        h.update(f"{name} {origin} {stamp}\n".encode())
    return h.hexdigest()


def _shipped(path: Path) -> bool:
    try:
        return path.is_file() and path.resolve().is_relative_to(lessons_root().resolve())
    except OSError:
        return False


def _load(path_or_id: str | Path) -> Lesson:
    from k8slab.lessons import loader

    return loader.load_lesson(path_or_id)


def _read(entry: Path) -> Lesson | None:
    try:
        found = pickle.loads(entry.read_bytes())
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign entry is a miss, never an error
        return None
    return found if isinstance(found, Lesson) else None


def _write(entry: Path, lesson: Lesson) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        for stale in entry.parent.glob(f"{entry.name.rsplit('-', 1)[0]}-*.pickle"):
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(lesson, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)  # atomic: a concurrent reader sees the old entry or the new
    except (OSError, pickle.PicklingError):
        Path(tmp).unlink(missing_ok=True)
