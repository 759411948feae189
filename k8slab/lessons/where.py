"""Where lessons are: a lesson id, folder or file to its lesson file. Standard library only, so
finding a lesson (and its cached copy, see cache.py) does not import the YAML loader."""

from __future__ import annotations

import re
from pathlib import Path

from k8slab.paths import lessons_root

LESSON_FILE = "lesson.yaml"
LESSON_ID = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def resolve(path_or_id: str | Path) -> Path:
    """The lesson file for a lesson id (under lessons_root()), a folder, or a file."""
    path = Path(path_or_id)
    if isinstance(path_or_id, str) and LESSON_ID.match(path_or_id) and not path.exists():
        path = lessons_root() / path_or_id
    if path.is_dir():
        path = path / LESSON_FILE
    return path


def discover() -> list[Path]:
    """The lesson files shipped with k8slab, sorted by lesson id."""
    root = lessons_root()
    return sorted(root.glob(f"*/{LESSON_FILE}")) if root.is_dir() else []
