"""Lessons: the file format, the strict loader, and text rendering.

Public API:
- `load_lesson(path_or_id)` reads one lesson (raises LessonError with every problem); an
  unchanged shipped lesson comes from a cache of loaded lessons (cache.py);
- `discover()` lists the shipped lesson files;
- `validate_paths(paths)` returns every problem in the given lessons;
- `render_text(text, namespace=...)` fills in `{{namespace}}` placeholders.

The loader (ruamel.yaml, the Kubernetes schemas) is imported on first use, so importing
`k8slab.lessons.model` stays cheap for the sim, the grader and the TUI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from k8slab.lessons.cache import load_lesson
    from k8slab.lessons.loader import validate_paths
    from k8slab.lessons.text import render_text
    from k8slab.lessons.where import discover, resolve

__all__ = ["discover", "load_lesson", "render_text", "resolve", "validate_paths"]


def __getattr__(name: str) -> Any:
    if name == "render_text":
        from k8slab.lessons import text

        return text.render_text
    if name == "load_lesson":
        # Shipped lessons come from the cache when unchanged (see cache.py); the loader, and
        # the YAML and schema libraries it imports, only load on a miss.
        from k8slab.lessons import cache

        return cache.load_lesson
    if name in ("discover", "resolve"):
        from k8slab.lessons import where

        return getattr(where, name)
    if name in __all__:
        from k8slab.lessons import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
