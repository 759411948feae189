"""`k8slab validate [PATH...]`: check lesson files and their manifests.

Problems are printed one per line as `file:line:col: message`, the form editors and CI
annotate, and the exit code is 1 if there are any.
"""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    """Validate the given lessons (lesson files, lesson folders or folders of lessons), or the
    shipped lessons when no path is given."""
    from k8slab.errors import LessonError
    from k8slab.lessons import load_lesson
    from k8slab.lessons.loader import expand_paths
    from k8slab.lessons.source import display_path

    targets = expand_paths(args.paths)
    if not targets:
        print("error: no lessons to validate", file=sys.stderr)
        return 1
    total = 0
    for target in targets:
        try:
            lesson = load_lesson(target)
        except LessonError as exc:
            total += len(exc.problems)
            for problem in exc.problems:
                print(problem)
            continue
        print(f"ok {display_path(lesson.path)}: {len(lesson.steps)} steps, "
              f"{len(lesson.checklist)} checklist items, {len(lesson.manifests)} manifests")
    if total:
        print(f"{total} problem(s) found", file=sys.stderr)
        return 1
    return 0
