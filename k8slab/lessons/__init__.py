"""Lessons: the file format, the strict loader, and text rendering.

Public API:
- `load_lesson(path_or_id)` reads one lesson (raises LessonError with every problem);
- `discover()` lists the shipped lesson files;
- `validate_paths(paths)` returns every problem in the given lessons;
- `render_text(text, namespace=...)` fills in `{{namespace}}` placeholders.
"""

from k8slab.lessons.loader import discover, load_lesson, resolve, validate_paths
from k8slab.lessons.text import render_text

__all__ = ["discover", "load_lesson", "render_text", "resolve", "validate_paths"]
