"""Where things live: the shipped lessons and the user's state directory."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def lessons_root() -> Path:
    """The folder holding the shipped lessons (`<id>/lesson.yaml`).

    Inside a wheel they are installed as `k8slab/_lessons`; in a source checkout they are the
    top-level `lessons/` folder. `K8SLAB_LESSONS` overrides both.
    """
    override = os.environ.get("K8SLAB_LESSONS")
    if override:
        return Path(override)
    installed = _PKG / "_lessons"
    if installed.is_dir():
        return installed
    return _PKG.parent / "lessons"


def state_dir() -> Path:
    """The per-user state directory (progress files), created on demand.

    `K8SLAB_STATE_DIR` overrides the platformdirs location (tests use it).
    """
    override = os.environ.get("K8SLAB_STATE_DIR")
    if override:
        path = Path(override)
    else:
        from platformdirs import user_state_dir

        path = Path(user_state_dir("k8slab", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("K8SLAB_CACHE_DIR") or user_cache_dir("k8slab", appauthor=False))
