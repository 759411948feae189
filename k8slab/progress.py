"""A learner's progress through one lesson, saved between runs.

One file per lesson, backend and namespace (`day10` on the sim and `day10` on a real cluster
are separate journeys), as JSON under `k8slab.paths.state_dir()/progress/`. Writes are atomic:
a temp file in the same folder, fsync, then `os.replace`, so a crash mid-write leaves either the
old file or the new one, never half of one. A file that cannot be read is renamed aside to
`<name>.corrupt-<timestamp>` and reported; it never stops the lab from starting.

This module never imports textual: the CLI's `reset` and the headless grader use it too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8slab.errors import ProgressError

FORMAT_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(slots=True)
class Progress:
    """Where a learner is in a lesson and what they have done.

    Attributes:
        lesson: the lesson id (`day10`).
        backend: `sim` or `kube`.
        namespace: the lab namespace.
        step: the id of the step being read, or None for the first step.
        steps_done: ids of the steps the learner has finished.
        answers: quiz answers, question id -> chosen index.
        passed: checklist items passed so far, item id -> cluster time when first passed.
            On the sim the cluster starts empty on every run, so this is how an item earned
            yesterday stays earned today.
    """

    lesson: str
    backend: str = "sim"
    namespace: str = ""
    step: str | None = None
    steps_done: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)
    passed: dict[str, float] = field(default_factory=dict)
    updated: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "lesson": self.lesson,
            "backend": self.backend,
            "namespace": self.namespace,
            "step": self.step,
            "steps_done": sorted(self.steps_done),
            "answers": dict(sorted(self.answers.items())),
            "passed": dict(sorted(self.passed.items())),
            "updated": self.updated,
        }

    @classmethod
    def from_json(cls, data: Any) -> Progress:
        """Build from parsed JSON. Raises ValueError when the shape is wrong."""
        if not isinstance(data, dict):
            raise ValueError("the top level is not an object")
        version = data.get("version")
        if version != FORMAT_VERSION:
            raise ValueError(f"unknown format version {version!r}")
        lesson = data.get("lesson")
        if not isinstance(lesson, str) or not lesson:
            raise ValueError("'lesson' is missing")
        step = data.get("step")
        if step is not None and not isinstance(step, str):
            raise ValueError("'step' is not a string")
        steps_done = data.get("steps_done", [])
        if not isinstance(steps_done, list) or not all(isinstance(s, str) for s in steps_done):
            raise ValueError("'steps_done' is not a list of step ids")
        answers = data.get("answers", {})
        if not isinstance(answers, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in answers.values()):
            raise ValueError("'answers' is not a map of question id to choice")
        passed = data.get("passed", {})
        if not isinstance(passed, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in passed.values()):
            raise ValueError("'passed' is not a map of item id to time")
        return cls(
            lesson=lesson,
            backend=str(data.get("backend", "sim")),
            namespace=str(data.get("namespace", "")),
            step=step,
            steps_done=set(steps_done),
            answers={str(k): int(v) for k, v in answers.items()},
            passed={str(k): float(v) for k, v in passed.items()},
            updated=float(data.get("updated", 0.0) or 0.0),
        )


@dataclass(frozen=True, slots=True)
class Loaded:
    """What `ProgressStore.load` found: the progress, and the problem if the file was bad."""

    progress: Progress
    problem: ProgressError | None = None
    resumed: bool = False


class ProgressStore:
    """Progress files in one folder (default: `state_dir()/progress`)."""

    def __init__(self, root: Path | None = None) -> None:
        if root is None:
            from k8slab.paths import state_dir

            root = state_dir() / "progress"
        self.root = root

    def path(self, lesson: str, backend: str, namespace: str) -> Path:
        """The file that holds this lesson's progress on this backend and namespace."""
        parts = [_UNSAFE.sub("_", p) or "_" for p in (lesson, backend, namespace)]
        return self.root / ("--".join(parts) + ".json")

    def load(self, lesson: str, backend: str, namespace: str) -> Loaded:
        """The saved progress, or a fresh one. A corrupt file is set aside, never fatal."""
        fresh = Progress(lesson=lesson, backend=backend, namespace=namespace)
        path = self.path(lesson, backend, namespace)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Loaded(fresh)
        except OSError as exc:
            return Loaded(fresh, ProgressError(
                f"could not read saved progress {path}: {exc.strerror or exc}",
                hint="check the file's permissions; the lab starts from the first step"))
        try:
            progress = Progress.from_json(json.loads(raw))
            if progress.lesson != lesson:
                raise ValueError(f"it belongs to lesson {progress.lesson!r}")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            aside = self._set_aside(path)
            where = f"; it was moved to {aside.name}" if aside else ""
            return Loaded(fresh, ProgressError(
                f"saved progress for {lesson} was unreadable ({exc}){where}",
                hint="the lab starts from the first step"))
        progress.backend, progress.namespace = backend, namespace
        return Loaded(progress, resumed=True)

    def save(self, progress: Progress) -> Path:
        """Write atomically: temp file in the same folder, fsync, rename over the old file.

        Raises:
            ProgressError: the folder is not writable.
        """
        progress.updated = time.time()
        path = self.path(progress.lesson, progress.backend, progress.namespace)
        text = json.dumps(progress.to_json(), indent=2, ensure_ascii=False) + "\n"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=self.root)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            _fsync_dir(self.root)
        except OSError as exc:
            raise ProgressError(f"could not save progress to {path}: {exc.strerror or exc}",
                                hint="check that the state directory is writable") from exc
        return path

    def clear(self, lesson: str, backend: str | None = None,
              namespace: str | None = None) -> list[Path]:
        """Delete saved progress for `lesson` (on every backend and namespace unless given).

        Returns the files removed.
        """
        if not self.root.is_dir():
            return []
        removed = []
        for path in sorted(self.root.glob("*.json")):
            parts = path.stem.split("--")
            if len(parts) != 3 or parts[0] != _UNSAFE.sub("_", lesson):
                continue
            if backend is not None and parts[1] != _UNSAFE.sub("_", backend):
                continue
            if namespace is not None and parts[2] != _UNSAFE.sub("_", namespace):
                continue
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    def _set_aside(self, path: Path) -> Path | None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(path, aside)
        except OSError:
            return None
        return aside


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
